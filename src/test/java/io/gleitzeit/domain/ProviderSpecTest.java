package io.gleitzeit.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ProviderSpecTest {

    private static ProviderSpec spec(String... methods) {
        return new ProviderSpec("p", "test", List.of(methods), 1, Map.of());
    }

    static Stream<Arguments> matches() {
        return Stream.of(
                arguments(List.of("test/echo"), "test/echo", true),
                arguments(List.of("test/echo"), "test/echo2", false),
                arguments(List.of("test/echo"), "test/ech", false),
                arguments(List.of("test/echo"), "TEST/echo", false),
                arguments(List.of("test/echo", "test/sleep"), "test/sleep", true),
                arguments(List.of("test/*"), "test/echo", true),
                arguments(List.of("test/*"), "test/", true),
                arguments(List.of("test/*"), "testx/echo", false),
                arguments(List.of("test/*"), "llm/generate", false),
                arguments(List.of("mcp/tool.*"), "mcp/tool.list_directory", true),
                arguments(List.of("mcp/tool.*"), "mcp/tool.", true),
                arguments(List.of("mcp/tool.*"), "mcp/tool", false),
                arguments(List.of("mcp/tool.*"), "mcp/toolX", false),
                // only a trailing '*' is special: a '.' is literal, not "any character"
                arguments(List.of("mcp/a.*"), "mcp/abc", false),
                arguments(List.of("llm/generate", "mcp/tool.*"), "mcp/tool.x", true),
                arguments(List.of("llm/generate", "mcp/tool.*"), "llm/chat", false),
                arguments(List.of("test/echo"), "", false),
                arguments(List.of("test/echo"), null, false));
    }

    @ParameterizedTest(name = "{0} serves {1}: {2}")
    @MethodSource("matches")
    void shouldServeExactMethodsAndPrefixes(List<String> methods, String method, boolean expected) {
        assertEquals(expected, spec(methods.toArray(String[]::new)).serves(method));
    }

    @Test
    void shouldCopyItsCollectionsAndKeepTheLabelOrder() {
        List<String> methods = new ArrayList<>(List.of("test/echo"));
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("zone", "eu");
        labels.put("gpu", "a100");
        labels.put("arch", "x86");
        ProviderSpec spec = new ProviderSpec("p", "test", methods, 2, labels);
        methods.add("test/sleep");
        labels.put("more", "x");
        assertEquals(List.of("test/echo"), spec.methods());
        assertEquals(List.of("zone", "gpu", "arch"), List.copyOf(spec.labels().keySet()));
        assertThrows(UnsupportedOperationException.class, () -> spec.methods().add("x/y"));
        assertThrows(UnsupportedOperationException.class, () -> spec.labels().put("x", "y"));
    }

    @Test
    void shouldReadMissingLabelsAsNone() {
        assertEquals(Map.of(), new ProviderSpec("p", "test", List.of("test/echo"), 1, null).labels());
    }

    @Test
    void shouldRejectImpossibleSpecs() {
        assertEquals("a provider serves at least one method", assertThrows(IllegalArgumentException.class,
                () -> new ProviderSpec("p", "test", List.of(), 1, Map.of())).getMessage());
        assertEquals("maxConcurrency must be >= 1, got 0", assertThrows(IllegalArgumentException.class,
                () -> new ProviderSpec("p", "test", List.of("test/echo"), 0, Map.of())).getMessage());
        assertThrows(NullPointerException.class, () -> new ProviderSpec(null, "test", List.of("a/b"), 1, Map.of()));
        assertThrows(NullPointerException.class, () -> new ProviderSpec("p", null, List.of("a/b"), 1, Map.of()));
        Map<String, String> nullValue = new LinkedHashMap<>();
        nullValue.put("zone", null);
        assertThrows(NullPointerException.class, () -> new ProviderSpec("p", "test", List.of("a/b"), 1, nullValue));
    }
}
