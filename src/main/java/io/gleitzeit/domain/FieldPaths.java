package io.gleitzeit.domain;

import java.util.regex.Pattern;

/**
 * Builds the field paths used in problems and audits: {@code tasks[1].params.items[0].name}. A key that is
 * not a plain word is quoted, {@code params["a.b"]}, so that every path reads back unambiguously.
 */
public final class FieldPaths {

    private static final Pattern PLAIN_KEY = Pattern.compile("[A-Za-z0-9_-]+");

    private FieldPaths() {}

    /** {@code parent.key}; just {@code key} when the parent is the root (empty). */
    public static String key(String parent, String key) {
        String step = PLAIN_KEY.matcher(key).matches() ? key : "[" + quote(key) + "]";
        if (parent.isEmpty()) {
            return step;
        }
        return step.startsWith("[") ? parent + step : parent + "." + step;
    }

    /** {@code parent[index]}. */
    public static String index(String parent, int index) {
        return parent + "[" + index + "]";
    }

    /** Appends a relative path (as made by {@link #key} from an empty parent) to a parent path. */
    public static String join(String parent, String relative) {
        if (relative.isEmpty()) {
            return parent;
        }
        if (parent.isEmpty()) {
            return relative;
        }
        return relative.startsWith("[") ? parent + relative : parent + "." + relative;
    }

    private static String quote(String key) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : key.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
