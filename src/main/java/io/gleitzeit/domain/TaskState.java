package io.gleitzeit.domain;

import java.util.Locale;
import java.util.Optional;

/** The states of a task (SPEC §3); {@link TaskTransitions} says which moves between them are allowed. */
public enum TaskState {
    PENDING, READY, ASSIGNED, RUNNING, COMPLETED, FAILED, RETRY_SCHEDULED, CANCELLED, SKIPPED;

    /** The lower-case wire word, e.g. {@code retry_scheduled}. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Completed, failed, cancelled and skipped are final unless a manual retry reopens them. */
    public boolean terminal() {
        return this == COMPLETED || this == FAILED || this == CANCELLED || this == SKIPPED;
    }

    public static Optional<TaskState> fromWire(String s) {
        for (TaskState v : values()) {
            if (v.wire().equals(s)) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }
}
