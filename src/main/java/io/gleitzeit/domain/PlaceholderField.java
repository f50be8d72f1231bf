package io.gleitzeit.domain;

import java.util.Locale;
import java.util.Optional;

/** What a placeholder takes from a finished task (SPEC §2). Only {@link #RESULT} can be followed by a path. */
public enum PlaceholderField {
    RESULT, STATUS, PROVIDER_ID, DURATION_MS;

    /** As written in a placeholder: {@code result}, {@code status}, {@code provider_id}, {@code duration_ms}. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<PlaceholderField> fromWire(String s) {
        for (PlaceholderField f : values()) {
            if (f.wire().equals(s)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }
}
