package io.gleitzeit.domain;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

/**
 * Finds the {@code ${...}} placeholders of SPEC §2 in strings and in JSON trees.
 *
 * <p>Grammar: {@code ${<task>.result}} followed by any number of {@code .key} (key {@code [A-Za-z0-9_-]+})
 * and {@code [n]} steps; {@code ${task_<task>_result}} (the V3 form, the task id being everything between
 * {@code task_} and the final {@code _result}); {@code ${<task>.status}}, {@code ${<task>.provider_id}},
 * {@code ${<task>.duration_ms}}. A placeholder ends at the first closing brace. <code>$${</code> is a
 * literal <code>${</code>: the text after it, up to and including the next closing brace, is copied as it is
 * and is neither a placeholder nor validated. A string is scanned once, left to right.
 */
public final class Placeholders {

    /** Task ids, SPEC §1. */
    public static final Pattern TASK_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    private static final String FORMS = "expected ${<task>.result}, ${<task>.result.<key>[<n>]...}, "
            + "${task_<task>_result}, ${<task>.status}, ${<task>.provider_id} or ${<task>.duration_ms}";

    private Placeholders() {}

    /** The well-formed placeholders of a string, and a message for each malformed one, in order. */
    public record Scan(List<Placeholder> placeholders, List<String> malformed) {
        public Scan {
            placeholders = List.copyOf(placeholders);
            malformed = List.copyOf(malformed);
        }
    }

    /** A placeholder found in a JSON tree; {@code path} is relative to the tree's root ("prompt", "items[0].name"). */
    public record Located(String path, Placeholder placeholder) {}

    /** A malformed placeholder found in a JSON tree, with its message. */
    public record LocatedMalformed(String path, String message) {}

    /** A piece of a scanned string. */
    public sealed interface Segment {
        /** Text to keep as it is; <code>$${</code> already turned into <code>${</code>. */
        record Literal(String text) implements Segment {}

        record Ref(Placeholder placeholder) implements Segment {}

        /** {@code text} is what was written, {@code message} says what is wrong with it. */
        record Malformed(String text, String message) implements Segment {}
    }

    /** Scans a string; <code>$${</code> is a literal "${" and what follows it is not scanned. */
    public static Scan scan(String s) {
        List<Placeholder> found = new ArrayList<>();
        List<String> malformed = new ArrayList<>();
        for (Segment segment : segments(s)) {
            if (segment instanceof Segment.Ref ref) {
                found.add(ref.placeholder());
            } else if (segment instanceof Segment.Malformed bad) {
                malformed.add(bad.message());
            }
        }
        return new Scan(found, malformed);
    }

    /** True when the string holds anything but plain text: a placeholder, a malformed one, or a <code>$${</code>. */
    public static boolean hasMarkup(String s) {
        return s.contains("${");
    }

    /**
     * Splits a string into literal text, placeholders and malformed placeholders. Adjacent literal text is
     * merged, so a string that is exactly one placeholder yields exactly one {@link Segment.Ref}.
     */
    public static List<Segment> segments(String s) {
        List<Segment> out = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < s.length()) {
            if (s.startsWith("$${", i)) {
                // The escape: emit "${" and copy the would-be placeholder body verbatim.
                literal.append("${");
                int close = s.indexOf('}', i + 3);
                int end = close < 0 ? s.length() : close + 1;
                literal.append(s, i + 3, end);
                i = end;
            } else if (s.startsWith("${", i)) {
                flush(literal, out);
                int close = s.indexOf('}', i + 2);
                if (close < 0) {
                    String text = s.substring(i);
                    out.add(new Segment.Malformed(text, malformed(text, "missing closing '}'")));
                    i = s.length();
                } else {
                    String text = s.substring(i, close + 1);
                    out.add(parse(text));
                    i = close + 1;
                }
            } else {
                literal.append(s.charAt(i));
                i++;
            }
        }
        flush(literal, out);
        return out;
    }

    /** Every placeholder in every string value of a tree (keys are never scanned), in document order. */
    public static List<Located> scanTree(JsonNode params) {
        List<Located> out = new ArrayList<>();
        walkStrings(params, "", (path, text) -> {
            for (Segment segment : segments(text)) {
                if (segment instanceof Segment.Ref ref) {
                    out.add(new Located(path, ref.placeholder()));
                }
            }
        });
        return out;
    }

    /** Every malformed placeholder in every string value of a tree, in document order. */
    public static List<LocatedMalformed> scanTreeMalformed(JsonNode params) {
        List<LocatedMalformed> out = new ArrayList<>();
        walkStrings(params, "", (path, text) -> {
            for (Segment segment : segments(text)) {
                if (segment instanceof Segment.Malformed bad) {
                    out.add(new LocatedMalformed(path, bad.message()));
                }
            }
        });
        return out;
    }

    /** The placeholder as written back from its parts, in the canonical (non-V3) form. */
    public static String render(String taskId, PlaceholderField field, List<PathStep> path) {
        StringBuilder b = new StringBuilder("${").append(taskId).append('.').append(field.wire());
        path.forEach(step -> b.append(step.render()));
        return b.append('}').toString();
    }

    private static void walkStrings(JsonNode node, String path, BiConsumer<String, String> visit) {
        if (node == null) {
            return;
        }
        if (node.isTextual()) {
            if (hasMarkup(node.textValue())) {
                visit.accept(path, node.textValue());
            }
        } else if (node.isObject()) {
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                walkStrings(e.getValue(), FieldPaths.key(path, e.getKey()), visit);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                walkStrings(node.get(i), FieldPaths.index(path, i), visit);
            }
        }
    }

    private static void flush(StringBuilder literal, List<Segment> out) {
        if (!literal.isEmpty()) {
            out.add(new Segment.Literal(literal.toString()));
            literal.setLength(0);
        }
    }

    private static String malformed(String text, String why) {
        return "malformed placeholder '" + text + "': " + why;
    }

    /** Parses one complete "${...}" (closing brace included). */
    private static Segment parse(String text) {
        String body = text.substring(2, text.length() - 1);
        if (body.isEmpty()) {
            return bad(text, "empty placeholder (" + FORMS + ")");
        }
        if (isV3(body)) {
            String id = body.substring("task_".length(), body.length() - "_result".length());
            if (!TASK_ID.matcher(id).matches()) {
                return bad(text, "invalid task id '" + id + "' (expected 1-64 characters of A-Z, a-z, 0-9, _ and -)");
            }
            return new Segment.Ref(new Placeholder(text, id, PlaceholderField.RESULT, List.of()));
        }
        int dot = body.indexOf('.');
        if (dot < 0) {
            return bad(text, "no field after the task id (" + FORMS + ")");
        }
        String id = body.substring(0, dot);
        if (!TASK_ID.matcher(id).matches()) {
            return bad(text, "invalid task id '" + id + "' (expected 1-64 characters of A-Z, a-z, 0-9, _ and -)");
        }
        int fieldEnd = dot + 1;
        while (fieldEnd < body.length() && body.charAt(fieldEnd) != '.' && body.charAt(fieldEnd) != '[') {
            fieldEnd++;
        }
        String fieldName = body.substring(dot + 1, fieldEnd);
        PlaceholderField field = PlaceholderField.fromWire(fieldName).orElse(null);
        if (field == null) {
            return bad(text, (fieldName.isEmpty() ? "missing field" : "unknown field '" + fieldName + "'")
                    + " (expected result, status, provider_id or duration_ms)");
        }
        String rest = body.substring(fieldEnd);
        if (field != PlaceholderField.RESULT) {
            return rest.isEmpty()
                    ? new Segment.Ref(new Placeholder(text, id, field, List.of()))
                    : bad(text, "'" + fieldName + "' takes no path (only result does)");
        }
        List<PathStep> steps = new ArrayList<>();
        String error = parsePath(rest, steps);
        return error != null ? bad(text, error) : new Segment.Ref(new Placeholder(text, id, field, steps));
    }

    private static boolean isV3(String body) {
        return body.length() > "task__result".length() - 1
                && body.startsWith("task_") && body.endsWith("_result")
                && body.indexOf('.') < 0 && body.indexOf('[') < 0;
    }

    /** Fills {@code steps}; returns an error message, or null when the path is well formed. */
    private static String parsePath(String rest, List<PathStep> steps) {
        int i = 0;
        while (i < rest.length()) {
            char c = rest.charAt(i);
            if (c == '.') {
                int start = ++i;
                while (i < rest.length() && isKeyChar(rest.charAt(i))) {
                    i++;
                }
                if (i == start) {
                    return i < rest.length()
                            ? "invalid character '" + rest.charAt(i) + "' in a key (keys are [A-Za-z0-9_-]+)"
                            : "expected a key after '.' (keys are [A-Za-z0-9_-]+)";
                }
                steps.add(new PathStep.Key(rest.substring(start, i)));
            } else if (c == '[') {
                int start = ++i;
                while (i < rest.length() && rest.charAt(i) >= '0' && rest.charAt(i) <= '9') {
                    i++;
                }
                if (i == start || i >= rest.length() || rest.charAt(i) != ']') {
                    return "expected an index [n] with n a non-negative integer";
                }
                String digits = rest.substring(start, i);
                i++;
                try {
                    steps.add(new PathStep.Index(Integer.parseInt(digits)));
                } catch (NumberFormatException tooLarge) {
                    return "index " + digits + " is too large";
                }
            } else {
                return "unexpected '" + c + "' in the path (expected .key or [n] steps)";
            }
        }
        return null;
    }

    private static boolean isKeyChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    }

    private static Segment bad(String text, String why) {
        return new Segment.Malformed(text, malformed(text, why));
    }
}
