package io.gleitzeit.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** SPEC §6 registrations: what is accepted, as what, and every rejection with its exact path and message. */
class ProviderSpecParserTest {

    private static final ProviderSpecParser PARSER = new ProviderSpecParser();
    private static final String ID_RULE = "(expected 1-128 characters of A-Z, a-z, 0-9, '_', '.' and '-', other "
            + "than '.' and '..')";
    private static final String TYPES = "external, http, llm, mcp, script, test";
    private static final String FIELDS = "(expected one of: id, type, methods, max_concurrency, labels)";

    private static ProviderSpecResult parse(String json) {
        return PARSER.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    private static ProviderSpec valid(String json) {
        ProviderSpecResult result = parse(json);
        return assertInstanceOf(ProviderSpecResult.Valid.class, result, () -> "expected valid, got " + result).spec();
    }

    private static List<Problem> problems(String json) {
        ProviderSpecResult result = parse(json);
        return assertInstanceOf(ProviderSpecResult.Invalid.class, result, () -> "expected invalid, got " + result)
                .problems();
    }

    /** A valid body with one field replaced (or added); {@code null} as the value leaves the field out. */
    private static String with(String field, String value) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("id", "\"p-1\"");
        fields.put("type", "\"external\"");
        fields.put("methods", "[\"test/echo\"]");
        fields.put(field, value);
        StringBuilder b = new StringBuilder("{");
        fields.forEach((k, v) -> {
            if (v != null) {
                b.append(b.length() > 1 ? "," : "").append('"').append(k).append("\":").append(v);
            }
        });
        return b.append('}').toString();
    }

    static Stream<Arguments> accepted() {
        return Stream.of(
                arguments("{\"id\":\"p1\",\"type\":\"external\",\"methods\":[\"test/echo\"]}",
                        new ProviderSpec("p1", "external", List.of("test/echo"), 1, Map.of())),
                arguments("{\"id\":\"gpu-1.a_B\",\"type\":\"llm\",\"methods\":[\"llm/generate\",\"llm/*\",\"mcp/tool.*\"],"
                                + "\"max_concurrency\":8,\"labels\":{\"zone\":\"eu\",\"gpu\":\"a100\",\"empty\":\"\"}}",
                        new ProviderSpec("gpu-1.a_B", "llm", List.of("llm/generate", "llm/*", "mcp/tool.*"), 8,
                                Map.of("zone", "eu", "gpu", "a100", "empty", ""))),
                // null counts as absent, as in workflow definitions
                arguments(with("max_concurrency", "null").replace("}", ",\"labels\":null}"),
                        new ProviderSpec("p-1", "external", List.of("test/echo"), 1, Map.of())),
                arguments(with("max_concurrency", "4.0"),
                        new ProviderSpec("p-1", "external", List.of("test/echo"), 4, Map.of())),
                arguments(with("max_concurrency", "1"),
                        new ProviderSpec("p-1", "external", List.of("test/echo"), 1, Map.of())),
                arguments(with("max_concurrency", "100000"),
                        new ProviderSpec("p-1", "external", List.of("test/echo"), 100_000, Map.of())),
                arguments(with("max_concurrency", "1e2"),
                        new ProviderSpec("p-1", "external", List.of("test/echo"), 100, Map.of())),
                arguments(with("labels", "{}"),
                        new ProviderSpec("p-1", "external", List.of("test/echo"), 1, Map.of())),
                arguments(with("id", "\"" + "x".repeat(128) + "\""),
                        new ProviderSpec("x".repeat(128), "external", List.of("test/echo"), 1, Map.of())),
                arguments(with("methods", "[\"A-_1/x.y:z-_\",\"a/b:*\",\"test/*\",\"test/echo\"]"),
                        new ProviderSpec("p-1", "external", List.of("A-_1/x.y:z-_", "a/b:*", "test/*", "test/echo"),
                                1, Map.of())),
                arguments(" \n{\"methods\":[\"t/x\"],\"type\":\"mcp\",\"id\":\"m\"}\n ",
                        new ProviderSpec("m", "mcp", List.of("t/x"), 1, Map.of())));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("accepted")
    void shouldAcceptValidRegistrations(String json, ProviderSpec expected) {
        assertEquals(expected, valid(json));
    }

    @ParameterizedTest
    @MethodSource("types")
    void shouldAcceptEveryType(String type) {
        assertEquals(type, valid(with("type", "\"" + type + "\"")).type());
    }

    static Stream<String> types() {
        return Stream.of("external", "test", "mcp", "llm", "http", "script");
    }

    @Test
    void shouldListExactlyTheTypesOfTheSpec() {
        assertEquals(java.util.Set.of("external", "test", "mcp", "llm", "http", "script"), ProviderSpecParser.TYPES);
    }

    @Test
    void shouldKeepTheLabelsInTheOrderWritten() {
        ProviderSpec spec = valid(with("labels", "{\"zone\":\"eu\",\"gpu\":\"a100\",\"arch\":\"x86\",\"b\":\"1\"}"));
        assertEquals(List.of("zone", "gpu", "arch", "b"), List.copyOf(spec.labels().keySet()));
    }

    static Stream<Arguments> rejected() {
        String malformedTail = " (expected '<protocol>/<operation>' with protocol [A-Za-z0-9_-]+ and operation "
                + "[A-Za-z0-9_.:-]+, e.g. 'test/echo', or a prefix ending in '*', e.g. 'mcp/tool.*')";
        String prefixTail = " (expected '<protocol>/', the start of an operation and a single trailing '*', "
                + "e.g. 'mcp/tool.*' or 'test/*')";
        return Stream.of(
                // the body as a whole
                arguments("", "$", "empty body (expected a provider registration object)"),
                arguments("  \n ", "$", "empty body (expected a provider registration object)"),
                arguments("[1]", "$", "expected the registration to be an object, got array"),
                arguments("null", "$", "expected the registration to be an object, got null"),
                arguments("\"p-1\"", "$", "expected the registration to be an object, got string"),
                arguments("7", "$", "expected the registration to be an object, got number"),
                arguments(with("x", "1") + " {}", "$", "invalid JSON at line 1, column 62: unexpected content after "
                        + "the end of the registration (expected exactly one JSON object)"),
                // unknown fields
                arguments(with("typ", "1"), "typ", "unknown field 'typ' " + FIELDS + "; did you mean 'type'?"),
                arguments(with("method", "[]"), "method",
                        "unknown field 'method' " + FIELDS + "; did you mean 'methods'?"),
                arguments(with("maxConcurrency", "2"), "maxConcurrency",
                        "unknown field 'maxConcurrency' " + FIELDS + "; did you mean 'max_concurrency'?"),
                arguments(with("zz", "1"), "zz", "unknown field 'zz' " + FIELDS),
                arguments(with("a.b", "1"), "[\"a.b\"]", "unknown field 'a.b' " + FIELDS),
                // id
                arguments(with("id", null), "id", "missing required field 'id' " + ID_RULE),
                arguments(with("id", "null"), "id", "missing required field 'id' " + ID_RULE),
                arguments(with("id", "7"), "id", "expected a string, got number"),
                arguments(with("id", "\"a b\""), "id", "provider id 'a b' is invalid " + ID_RULE),
                arguments(with("id", "\"\""), "id", "provider id '' is invalid " + ID_RULE),
                arguments(with("id", "\"a/b\""), "id", "provider id 'a/b' is invalid " + ID_RULE),
                arguments(with("id", "\"..\""), "id", "provider id '..' is invalid " + ID_RULE),
                arguments(with("id", "\".\""), "id", "provider id '.' is invalid " + ID_RULE),
                arguments(with("id", "\"" + "x".repeat(129) + "\""), "id",
                        "provider id '" + "x".repeat(129) + "' is invalid " + ID_RULE),
                // type
                arguments(with("type", null), "type", "missing required field 'type' (expected one of: " + TYPES + ")"),
                arguments(with("type", "[\"llm\"]"), "type",
                        "expected one of: " + TYPES + " (a string), got array"),
                arguments(with("type", "\"External\""), "type",
                        "unknown type 'External' (expected one of: " + TYPES + ")"),
                arguments(with("type", "\"worker\""), "type", "unknown type 'worker' (expected one of: " + TYPES + ")"),
                // methods
                arguments(with("methods", null), "methods", "missing required field 'methods' (expected a non-empty "
                        + "array of methods, e.g. [\"test/echo\", \"mcp/tool.*\"])"),
                arguments(with("methods", "\"test/echo\""), "methods", "expected an array of methods, got string"),
                arguments(with("methods", "{}"), "methods", "expected an array of methods, got object"),
                arguments(with("methods", "[]"), "methods", "methods must not be empty (expected at least one method)"),
                arguments(with("methods", "[\"test/echo\",1]"), "methods[1]", "expected a method (string), got number"),
                arguments(with("methods", "[null]"), "methods[0]", "expected a method (string), got null"),
                arguments(with("methods", "[\"llm\"]"), "methods[0]", "malformed method 'llm'" + malformedTail),
                arguments(with("methods", "[\"llm/\"]"), "methods[0]", "malformed method 'llm/'" + malformedTail),
                arguments(with("methods", "[\"/x\"]"), "methods[0]", "malformed method '/x'" + malformedTail),
                arguments(with("methods", "[\"a/b/c\"]"), "methods[0]", "malformed method 'a/b/c'" + malformedTail),
                arguments(with("methods", "[\"a.b/c\"]"), "methods[0]", "malformed method 'a.b/c'" + malformedTail),
                arguments(with("methods", "[\"a/b c\"]"), "methods[0]", "malformed method 'a/b c'" + malformedTail),
                arguments(with("methods", "[\"\"]"), "methods[0]", "malformed method ''" + malformedTail),
                arguments(with("methods", "[\"*\"]"), "methods[0]", "malformed method prefix '*'" + prefixTail),
                arguments(with("methods", "[\"mcp*\"]"), "methods[0]", "malformed method prefix 'mcp*'" + prefixTail),
                arguments(with("methods", "[\"/*\"]"), "methods[0]", "malformed method prefix '/*'" + prefixTail),
                arguments(with("methods", "[\"mcp/*tool\"]"), "methods[0]",
                        "malformed method prefix 'mcp/*tool'" + prefixTail),
                arguments(with("methods", "[\"mcp/tool.**\"]"), "methods[0]",
                        "malformed method prefix 'mcp/tool.**'" + prefixTail),
                arguments(with("methods", "[\"m*/x*\"]"), "methods[0]", "malformed method prefix 'm*/x*'" + prefixTail),
                arguments(with("methods", "[\"a b/*\"]"), "methods[0]", "malformed method prefix 'a b/*'" + prefixTail),
                arguments(with("methods", "[\"test/echo\",\"test/*\",\"test/echo\"]"), "methods[2]",
                        "duplicate method 'test/echo' (already listed at methods[0])"),
                arguments(with("methods", "[\"mcp/tool.*\",\"mcp/tool.*\"]"), "methods[1]",
                        "duplicate method 'mcp/tool.*' (already listed at methods[0])"),
                // max_concurrency
                arguments(with("max_concurrency", "0"), "max_concurrency",
                        "max_concurrency must be an integer >= 1, got 0"),
                arguments(with("max_concurrency", "-3"), "max_concurrency",
                        "max_concurrency must be an integer >= 1, got -3"),
                arguments(with("max_concurrency", "0.5"), "max_concurrency",
                        "max_concurrency must be an integer, got 0.5"),
                arguments(with("max_concurrency", "1.5"), "max_concurrency",
                        "max_concurrency must be an integer, got 1.5"),
                arguments(with("max_concurrency", "100001"), "max_concurrency",
                        "max_concurrency must be at most 100000, got 100001"),
                arguments(with("max_concurrency", "30000000000000000000000"), "max_concurrency",
                        "max_concurrency must be at most 100000, got 30000000000000000000000"),
                arguments(with("max_concurrency", "1e400"), "max_concurrency", "expected an integer, got Infinity"),
                arguments(with("max_concurrency", "\"4\""), "max_concurrency", "expected an integer, got string"),
                arguments(with("max_concurrency", "true"), "max_concurrency", "expected an integer, got boolean"),
                // labels
                arguments(with("labels", "[]"), "labels", "expected an object of string labels, got array"),
                arguments(with("labels", "\"zone=eu\""), "labels", "expected an object of string labels, got string"),
                arguments(with("labels", "{\"zone\":1}"), "labels.zone", "expected a string label value, got number"),
                arguments(with("labels", "{\"zone\":null}"), "labels.zone", "expected a string label value, got null"),
                arguments(with("labels", "{\"ok\":\"x\",\"deep\":{\"a\":\"b\"}}"), "labels.deep",
                        "expected a string label value, got object"),
                arguments(with("labels", "{\"a.b\":true}"), "labels[\"a.b\"]",
                        "expected a string label value, got boolean"));
    }

    @ParameterizedTest(name = "[{index}] {1}: {2}")
    @MethodSource("rejected")
    void shouldRejectWithOneProblemAtItsPath(String json, String path, String message) {
        assertEquals(List.of(new Problem(path, message)), problems(json));
    }

    static Stream<Arguments> syntaxErrors() {
        return Stream.of(
                arguments("{\"id\":", "invalid JSON at line 1, column 7: ", "end-of-input"),
                arguments("{\"id\":\"a\",\"id\":\"b\",\"type\":\"test\",\"methods\":[\"t/x\"]}",
                        "invalid JSON at line 1, column 15: ", "Duplicate field 'id'"),
                arguments("{\"labels\":{\"z\":\"a\",\"z\":\"b\"}}", "invalid JSON at line 1, column 23: ",
                        "Duplicate field 'z'"),
                arguments("{id: 1}", "invalid JSON at line 1, column 2: ", "Unexpected character ('i'"),
                arguments("\n\n{\"methods\": [}", "invalid JSON at line 3, column 14: ", "Unexpected close marker"));
    }

    @ParameterizedTest(name = "[{index}] {2}")
    @MethodSource("syntaxErrors")
    void shouldRejectMalformedJsonWithItsPosition(String json, String prefix, String jacksonWords) {
        List<Problem> problems = problems(json);
        assertEquals(1, problems.size(), problems::toString);
        assertEquals("$", problems.get(0).path());
        String message = problems.get(0).message();
        assertTrue(message.startsWith(prefix) && message.contains(jacksonWords), message);
        assertTrue(!message.contains("Source:") && !message.contains("\n"), message);
    }

    @Test
    void shouldReportEveryProblemOfABodyAtOnce() {
        List<Problem> problems = problems("""
                {"name": "x", "id": "bad id", "type": "worker",
                 "methods": ["test/echo", 5, "llm", "test/echo", "mcp*"],
                 "max_concurrency": 0, "labels": {"zone": "eu", "rack": 3, "cpu": false}, "extra": null}
                """);
        String malformedLlm = "malformed method 'llm' (expected '<protocol>/<operation>' with protocol [A-Za-z0-9_-]+ "
                + "and operation [A-Za-z0-9_.:-]+, e.g. 'test/echo', or a prefix ending in '*', e.g. 'mcp/tool.*')";
        assertEquals(List.of(
                new Problem("name", "unknown field 'name' " + FIELDS),
                new Problem("extra", "unknown field 'extra' " + FIELDS),
                new Problem("id", "provider id 'bad id' is invalid " + ID_RULE),
                new Problem("type", "unknown type 'worker' (expected one of: " + TYPES + ")"),
                new Problem("methods[1]", "expected a method (string), got number"),
                new Problem("methods[2]", malformedLlm),
                new Problem("methods[3]", "duplicate method 'test/echo' (already listed at methods[0])"),
                new Problem("methods[4]", "malformed method prefix 'mcp*' (expected '<protocol>/', the start of an "
                        + "operation and a single trailing '*', e.g. 'mcp/tool.*' or 'test/*')"),
                new Problem("max_concurrency", "max_concurrency must be an integer >= 1, got 0"),
                new Problem("labels.rack", "expected a string label value, got number"),
                new Problem("labels.cpu", "expected a string label value, got boolean")), problems);
    }

    @Test
    void shouldReportEveryMissingRequiredField() {
        assertEquals(List.of(
                new Problem("id", "missing required field 'id' " + ID_RULE),
                new Problem("type", "missing required field 'type' (expected one of: " + TYPES + ")"),
                new Problem("methods", "missing required field 'methods' (expected a non-empty array of methods, "
                        + "e.g. [\"test/echo\", \"mcp/tool.*\"])")), problems("{}"));
    }

    @Test
    void shouldParseATreeFromConfigurationWithTheSameChecks() throws Exception {
        JsonNode yaml = Json.YAML.readTree("""
                id: ollama-1
                type: llm
                methods: [llm/generate, llm/chat]
                max_concurrency: 2
                labels: {host: gpu-box}
                """);
        assertEquals(new ProviderSpecResult.Valid(new ProviderSpec("ollama-1", "llm",
                List.of("llm/generate", "llm/chat"), 2, Map.of("host", "gpu-box"))), PARSER.parse(yaml));
        // Configuration may hand over numbers JSON cannot hold.
        ObjectNode bad = Fixtures.object("{\"id\": \"x\", \"type\": \"llm\", \"methods\": [\"llm/generate\"]}");
        bad.put("max_concurrency", Double.POSITIVE_INFINITY);
        assertEquals(new ProviderSpecResult.Invalid(List.of(
                new Problem("max_concurrency", "expected an integer, got Infinity"))), PARSER.parse(bad));
    }

    @Test
    void shouldRejectAnAbsentTree() {
        ProviderSpecResult empty = new ProviderSpecResult.Invalid(List.of(
                new Problem("$", "empty body (expected a provider registration object)")));
        assertEquals(empty, PARSER.parse((JsonNode) null));
        assertEquals(empty, PARSER.parse(MissingNode.getInstance()));
        assertEquals(empty, PARSER.parse((byte[]) null));
    }

    static Stream<Arguments> arbitraryBytes() {
        return Stream.of(
                arguments(new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1}, List.of("$")),
                arguments(new byte[] {(byte) 0xc3}, List.of("$")),
                arguments(bytes("{{{{"), List.of("$")),
                arguments(bytes("[".repeat(5000)), List.of("$")),
                // a lone surrogate is still a string, just not a valid id
                arguments(bytes("{\"id\":\"\\ud800\"}"), List.of("id", "type", "methods")),
                arguments(bytes("{\"a\":1e999999999}"), List.of("a", "id", "type", "methods")));
    }

    @ParameterizedTest
    @MethodSource("arbitraryBytes")
    void shouldNeverThrowOnArbitraryBytes(byte[] body, List<String> paths) {
        List<Problem> problems = assertInstanceOf(ProviderSpecResult.Invalid.class, PARSER.parse(body)).problems();
        assertEquals(paths, problems.stream().map(Problem::path).toList(), problems::toString);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void shouldNotAcceptAnInvalidResultWithoutProblems() {
        assertEquals("an invalid registration has at least one problem",
                org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                        () -> new ProviderSpecResult.Invalid(List.of())).getMessage());
    }
}
