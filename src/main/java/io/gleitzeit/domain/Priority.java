package io.gleitzeit.domain;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** How urgently a task should be assigned; a task without one takes its workflow's. */
public enum Priority {
    LOW, NORMAL, HIGH, URGENT;

    /** The word used in definitions and on the wire: the lower-case name. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The constant for an exact wire word; case matters, so a definition has one spelling. */
    public static Optional<Priority> fromWire(String s) {
        for (Priority v : values()) {
            if (v.wire().equals(s)) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }

    /** The allowed wire words in declaration order, joined by ", ", for error messages. */
    public static String allowedWords() {
        return String.join(", ", Arrays.stream(values()).map(Priority::wire).toList());
    }
}
