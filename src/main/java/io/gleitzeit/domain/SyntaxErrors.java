package io.gleitzeit.domain;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;

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

    /**
     * Where a parse error about one key or value is (a key given twice, a number that cannot be read or is too long):
     * {@code tasks[0].params.x}. "$" for an error in the text's syntax, whose line and column say where.
     */
    static String pathOf(JsonProcessingException e) {
        String message = String.valueOf(e.getOriginalMessage());
        boolean aboutOneField = message.startsWith("Duplicate field") || message.startsWith("Malformed numeric value")
                || message.startsWith("Number value length") || message.startsWith("Numeric value");
        return aboutOneField && e.getProcessor() instanceof JsonParser p ? ParsePaths.of(p.getParsingContext()) : "$";
    }

    /**
     * "invalid YAML at line 4, column 9: the text is not valid UTF-8 ..." at the first byte of {@code body} that is
     * not UTF-8, or null when all of it is. The YAML parser decodes the body before it tracks positions, so it says
     * line 1, column 1 wherever the byte is; the JSON parser says where itself.
     */
    static String notUtf8(byte[] body, String format) {
        CharBuffer before = CharBuffer.allocate(body.length + 1);
        CoderResult result = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(body), before, true);
        if (!result.isError()) {
            return null;
        }
        before.flip();
        int line = 1;
        int column = 1;
        for (int i = 0; i < before.length(); i++) {
            if (before.charAt(i) == '\n') {
                line++;
                column = 1;
            } else {
                column++;
            }
        }
        return "invalid " + format + " at line " + line + ", column " + column + ": " + NOT_UTF8;
    }

    private static final String NOT_UTF8 = "the text is not valid UTF-8 (a definition is read as UTF-8)";

    /** The parser's message without the Java names some of them carry (a user cannot act on those). */
    private static String inWords(String message) {
        if (message.contains("Invalid UTF-8")) {
            // JSON is UTF-8 (RFC 8259); a charset parameter does not change how a body is read.
            return NOT_UTF8;
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
