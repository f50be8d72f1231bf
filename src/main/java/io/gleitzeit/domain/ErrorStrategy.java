package io.gleitzeit.domain;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** What a task that fails for good does to the rest of its workflow (SPEC §3). */
public enum ErrorStrategy {
    STOP, CONTINUE;

    /** The word used in definitions and on the wire: the lower-case name. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The constant for an exact wire word; case matters, so a definition has one spelling. */
    public static Optional<ErrorStrategy> fromWire(String s) {
        for (ErrorStrategy v : values()) {
            if (v.wire().equals(s)) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }

    /** The allowed wire words in declaration order, joined by ", ", for error messages. */
    public static String allowedWords() {
        return String.join(", ", Arrays.stream(values()).map(ErrorStrategy::wire).toList());
    }
}
