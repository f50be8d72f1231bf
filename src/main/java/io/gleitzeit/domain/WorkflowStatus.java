package io.gleitzeit.domain;

import java.util.Locale;
import java.util.Optional;

/** A workflow's status (SPEC §3): running, then completed, failed or cancelled; failed may run again on a retry. */
public enum WorkflowStatus {
    RUNNING, COMPLETED, FAILED, CANCELLED;

    /** The lower-case wire word. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean terminal() {
        return this != RUNNING;
    }

    public static Optional<WorkflowStatus> fromWire(String s) {
        for (WorkflowStatus v : values()) {
            if (v.wire().equals(s)) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }
}
