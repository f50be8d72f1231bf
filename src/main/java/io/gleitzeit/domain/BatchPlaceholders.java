package io.gleitzeit.domain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Replaces the {@code ${batch.<key>}} placeholders of a batch workflow's template or join, at expansion,
 * throughout a params tree (values only, never keys). A string that is exactly one such placeholder becomes
 * the value with its JSON type; inside longer text a string value is inserted as it is, a list one element a
 * line, anything else as compact JSON. <code>$${</code> starts a literal, as in SPEC §2, and is left alone.
 */
final class BatchPlaceholders {

    private static final String OPEN = "${batch.";

    private BatchPlaceholders() {}

    /**
     * A copy of {@code value} with the batch placeholders replaced by {@code values} (null for an unknown key,
     * reported at its path with {@code expected}).
     */
    static JsonNode substitute(JsonNode value, String path, Function<String, JsonNode> values, String expected,
                               List<Problem> problems) {
        if (value.isObject()) {
            ObjectNode out = value.deepCopy();
            for (Map.Entry<String, JsonNode> e : value.properties()) {
                out.set(e.getKey(), substitute(e.getValue(), FieldPaths.key(path, e.getKey()), values, expected,
                        problems));
            }
            return out;
        }
        if (value.isArray()) {
            ArrayNode out = value.deepCopy();
            for (int i = 0; i < value.size(); i++) {
                out.set(i, substitute(value.get(i), FieldPaths.index(path, i), values, expected, problems));
            }
            return out;
        }
        if (!value.isTextual() || !value.textValue().contains(OPEN)) {
            return value;
        }
        String s = value.textValue();
        if (s.startsWith(OPEN) && s.indexOf('}') == s.length() - 1) {
            String key = s.substring(OPEN.length(), s.length() - 1);
            JsonNode v = values.apply(key);
            if (v == null) {
                problems.add(unknown(path, s, expected));
                return value;
            }
            return v.deepCopy();
        }
        return TextNode.valueOf(text(s, path, values, expected, problems));
    }

    private static String text(String s, String path, Function<String, JsonNode> values, String expected,
                               List<Problem> problems) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < s.length()) {
            if (s.startsWith("$${", i)) { // a literal: copied up to and including its closing brace
                int close = s.indexOf('}', i + 3);
                int end = close < 0 ? s.length() : close + 1;
                out.append(s, i, end);
                i = end;
            } else if (s.startsWith(OPEN, i)) {
                int close = s.indexOf('}', i);
                if (close < 0) {
                    problems.add(new Problem(path, "unclosed placeholder '" + s.substring(i) + "' (expected "
                            + expected + ")"));
                    out.append(s, i, s.length());
                    break;
                }
                String placeholder = s.substring(i, close + 1);
                JsonNode v = values.apply(s.substring(i + OPEN.length(), close));
                if (v == null) {
                    problems.add(unknown(path, placeholder, expected));
                    out.append(placeholder);
                } else {
                    out.append(asText(v));
                }
                i = close + 1;
            } else {
                out.append(s.charAt(i));
                i++;
            }
        }
        return out.toString();
    }

    private static String asText(JsonNode v) {
        if (v.isTextual()) {
            return v.textValue();
        }
        if (v.isArray()) {
            List<String> lines = new ArrayList<>();
            v.forEach(e -> lines.add(e.isTextual() ? e.textValue() : Json.compact(e)));
            return String.join("\n", lines);
        }
        return Json.compact(v);
    }

    private static Problem unknown(String path, String placeholder, String expected) {
        return new Problem(path, "unknown batch placeholder '" + placeholder + "' (expected " + expected + ")");
    }
}
