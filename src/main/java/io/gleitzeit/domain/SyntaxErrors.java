package io.gleitzeit.domain;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;

/** A parser's failure on a request body, said in one line with where it is: the same for every kind of body. */
final class SyntaxErrors {

    private SyntaxErrors() {}

    /**
     * "invalid JSON at line 3, column 7: ..." for {@code format} ("JSON", "YAML"); a body with content after its
     * end gets {@code afterTheEnd} as its message instead of Jackson's.
     */
    static String describe(JsonProcessingException e, String format, String afterTheEnd) {
        StringBuilder b = new StringBuilder("invalid ").append(format);
        JsonLocation at = e.getLocation();
        if (at != null && at.getLineNr() > 0) {
            b.append(" at line ").append(at.getLineNr());
            if (at.getColumnNr() > 0) {
                b.append(", column ").append(at.getColumnNr());
            }
        }
        String message = oneLine(String.valueOf(e.getOriginalMessage()));
        if (message.contains("FAIL_ON_TRAILING_TOKENS")) {
            message = afterTheEnd;
        }
        // Jackson names a redacted source inside its messages; the line and column already say where.
        message = message.replaceAll("\\[Source: [^;\\]]*; ", "[");
        return b.append(": ").append(inWords(message)).toString();
    }

    /** The parser's message without the Java names some of them carry (a user cannot act on those). */
    private static String inWords(String message) {
        if (message.contains("Invalid UTF-8")) {
            // JSON is UTF-8 (RFC 8259); a charset parameter does not change how a body is read.
            return "the text is not valid UTF-8 (a definition is read as UTF-8)";
        }
        if (message.startsWith("Expected a field name (Scalar value in YAML)")) {
            return "a mapping key must be a plain value, not a list or a mapping";
        }
        // "... exceeds the maximum allowed (1000, from `StreamReadConstraints.getMaxNestingDepth()`)"
        return message.replaceAll(", from `StreamReadConstraints\\.\\w+\\(\\)`", "");
    }

    static String oneLine(String s) {
        return s.strip().replaceAll("\\s+", " ");
    }
}
