package io.gleitzeit.domain;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A provider's registration (SPEC §6), as accepted by {@link ProviderSpecParser}.
 *
 * @param id             the provider id, {@code [A-Za-z0-9_.-]{1,128}}
 * @param type           one of {@link ProviderSpecParser#TYPES}
 * @param methods        what it serves, never empty: exact ({@code "test/echo"}) or a prefix ending in
 *                       {@code '*'} ({@code "mcp/tool.*"})
 * @param maxConcurrency tasks it may hold at once, at least 1
 * @param labels         free string labels, in the order given
 */
public record ProviderSpec(String id, String type, List<String> methods, int maxConcurrency,
                           Map<String, String> labels) {

    public ProviderSpec {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(type, "type");
        methods = List.copyOf(methods);
        if (methods.isEmpty()) {
            throw new IllegalArgumentException("a provider serves at least one method");
        }
        if (maxConcurrency < 1) {
            throw new IllegalArgumentException("maxConcurrency must be >= 1, got " + maxConcurrency);
        }
        // Keep the given order (Map.copyOf would not), so that what is shown back reads as it was written.
        labels = labels == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(labels));
        for (Map.Entry<String, String> e : labels.entrySet()) {
            Objects.requireNonNull(e.getKey(), "label key");
            Objects.requireNonNull(e.getValue(), "label value");
        }
    }

    /**
     * True when some entry of {@link #methods} is the method itself, or is a prefix entry ({@code "mcp/tool.*"})
     * whose text before the {@code '*'} starts the method. The match is literal: only a trailing {@code '*'} is
     * special, and it may stand for nothing.
     */
    public boolean serves(String method) {
        if (method == null) {
            return false;
        }
        for (String m : methods) {
            if (m.endsWith("*") ? method.startsWith(m.substring(0, m.length() - 1)) : m.equals(method)) {
                return true;
            }
        }
        return false;
    }
}
