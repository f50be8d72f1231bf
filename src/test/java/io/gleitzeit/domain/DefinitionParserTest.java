package io.gleitzeit.domain;

import static io.gleitzeit.domain.Fixtures.json;
import static io.gleitzeit.domain.Fixtures.valid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Definitions that are accepted, and what they become. */
class DefinitionParserTest {

    @Test
    void shouldParseTheSpecExampleWithEveryDefaultApplied() {
        WorkflowDefinition wf = valid(Fixtures.SPEC_EXAMPLE_YAML, SourceFormat.YAML);

        assertEquals("nightly-report", wf.id());
        assertEquals("Nightly report", wf.name());
        assertEquals("...", wf.description());
        assertEquals(Priority.NORMAL, wf.priority());
        assertEquals(ErrorStrategy.STOP, wf.errorStrategy());
        assertEquals(16, wf.maxParallel());
        assertEquals(Duration.ofSeconds(300), wf.scheduleToStartTimeout());
        assertEquals(json("{\"team\":\"data\"}"), wf.metadata());
        assertEquals(2, wf.tasks().size());

        TaskDefinition list = wf.tasks().get(0);
        assertEquals(new TaskDefinition("list_files", "Get file list", "mcp/tool.list_directory",
                Fixtures.object("{\"path\":\"/data\"}"), List.of(), Priority.HIGH, Duration.ofSeconds(30),
                new RetryPolicy(3, Backoff.EXPONENTIAL, Duration.ofSeconds(1), Duration.ofSeconds(60), true),
                "ollama-1"), list);

        TaskDefinition analyze = wf.tasks().get(1);
        assertEquals(new TaskDefinition("analyze", null, "llm/generate",
                Fixtures.object("{\"prompt\":\"Analyze: ${list_files.result}\",\"max_tokens\":200}"),
                List.of("list_files"), Priority.NORMAL, Duration.ofSeconds(60),
                new RetryPolicy(5, Backoff.EXPONENTIAL, Duration.ofSeconds(1), Duration.ofSeconds(60), true),
                null), analyze);
    }

    @Test
    void shouldParseJsonAndYamlOfTheSameWorkflowToEqualDefinitions() {
        assertEquals(valid(Fixtures.SPEC_EXAMPLE_JSON, SourceFormat.JSON),
                valid(Fixtures.SPEC_EXAMPLE_YAML, SourceFormat.YAML));
    }

    static Stream<Arguments> sameWorkflowInBothSyntaxes() {
        return Stream.of(
                Arguments.of("{\"tasks\":[{\"id\":\"a\",\"method\":\"t/x\"}]}",
                        "tasks:\n  - id: a\n    method: t/x\n"),
                Arguments.of("{\"tasks\":[{\"id\":\"a\",\"method\":\"t/x\",\"retry\":{\"base_delay\":0.5}}]}",
                        "tasks:\n  - {id: a, method: t/x, retry: {base_delay: 0.5}}\n"),
                Arguments.of("{\"metadata\":{\"n\":[1,2.5,null,true]},\"tasks\":[{\"id\":\"a\",\"method\":\"t/x\"}]}",
                        "metadata:\n  n: [1, 2.5, null, true]\ntasks: [{id: a, method: t/x}]\n"),
                Arguments.of("{\"tasks\":[{\"id\":\"a\",\"method\":\"t/x\",\"params\":{\"s\":\"${x\"}},"
                                + "{\"id\":\"x\",\"method\":\"t/y\"}]}",
                        "tasks:\n  - {id: a, method: t/x, params: {s: '${x'}}\n  - {id: x, method: t/y}\n"),
                // "type": null is absent, as any optional field's null (it was an unknown field, round 15).
                Arguments.of("{\"tasks\":[{\"id\":\"a\",\"method\":\"t/x\"}]}",
                        "type: null\ntasks:\n  - id: a\n    method: t/x\n"),
                // An empty value is null (YAML 1.1), a quoted one an empty string: `z:` was read as "" (round 15).
                Arguments.of("{\"name\":null,\"tasks\":[{\"id\":\"a\",\"method\":\"t/x\",\"params\":{\"z\":null,"
                                + "\"e\":\"\",\"l\":[null,1],\"m\":{\"k\":null}}},{\"id\":\"b\",\"method\":\"t/x\"}]}",
                        "name:\ntasks:\n  - id: a\n    method: t/x\n    params:\n      z:\n      e: ''\n"
                                + "      l:\n        -\n        - 1\n      m: {k: }\n  - id: b\n    method: t/x\n"
                                + "    params:\n"),
                // ... also where aliases are expanded (the empty value was written out again quoted).
                Arguments.of("{\"metadata\":{\"k\":null},\"tasks\":[{\"id\":\"a\",\"method\":\"t/x\","
                                + "\"params\":{\"k\":null}}]}",
                        "metadata: &m {k: }\ntasks: [{id: a, method: t/x, params: *m}]\n"),
                // YAML's own tags on values of their type (other tags were read as text, round 17).
                Arguments.of("{\"tasks\":[{\"id\":\"a\",\"method\":\"t/x\",\"params\":{\"s\":\"12\",\"i\":7,"
                                + "\"f\":1.5,\"b\":true,\"n\":null,\"m\":{\"k\":1},\"l\":[1]}}]}",
                        "tasks: !!seq\n  - id: a\n    method: t/x\n    params: !!map {s: !!str 12, i: !!int 7, "
                                + "f: !!float 1.5, b: !!bool yes, n: !!null ~, m: !!map {k: 1}, l: !!seq [1]}\n"),
                // A key as long as a body may be (Jackson refused keys over 50,000 characters, round 17).
                Arguments.of("{\"tasks\":[{\"id\":\"a\",\"method\":\"t/x\",\"params\":{\"" + "k".repeat(60_000)
                                + "\":1}}]}",
                        "tasks:\n  - id: a\n    method: t/x\n    params:\n      ? " + "k".repeat(60_000)
                                + "\n      : 1\n"),
                // Anchors and aliases: the alias stands for the anchored value (it was read as the anchor's name).
                Arguments.of("{\"name\":\"hello\",\"description\":\"hello\",\"tasks\":[{\"id\":\"a\","
                                + "\"method\":\"t/x\",\"params\":{\"p\":[1,2],\"q\":[1,2]}}]}",
                        "description: &d hello\nname: *d\ntasks: [{id: a, method: t/x, params: {p: &v [1, 2], q: *v}}]\n"),
                Arguments.of("{\"tasks\":[{\"id\":\"a\",\"method\":\"t/x\",\"params\":{\"x\":1,\"n\":{\"y\":[true,null]},"
                                + "\"z\":2.5,\"again\":2.5}},{\"id\":\"b\",\"method\":\"t/y\",\"params\":{\"x\":1,"
                                + "\"n\":{\"y\":[true,null]},\"z\":2.5,\"again\":2.5}}]}",
                        "tasks:\n  - id: a\n    method: t/x\n    params: &p {x: 1, n: {y: [true, null]}, z: &z 2.5, again: *z}\n"
                                + "  - id: b\n    method: t/y\n    params: *p\n"),
                // The merge key: the task's own keys win over the merged ones.
                Arguments.of("{\"metadata\":{\"retries\":2,\"region\":\"eu\"},"
                                + "\"tasks\":[{\"id\":\"a\",\"method\":\"t/x\",\"params\":{\"retries\":2,\"region\":\"eu\","
                                + "\"n\":1}},{\"id\":\"b\",\"method\":\"t/x\",\"params\":{\"retries\":2,\"region\":\"us\"}}]}",
                        "metadata: &defaults {retries: 2, region: eu}\n"
                                + "tasks:\n  - {id: a, method: t/x, params: {<<: *defaults, n: 1}}\n"
                                + "  - {id: b, method: t/x, params: {<<: *defaults, region: us}}\n"),
                // ... and without an alias: a mapping, or a list of them (the first winning).
                Arguments.of("{\"tasks\":[{\"id\":\"a\",\"method\":\"t/x\",\"params\":{\"a\":1,\"b\":1,\"c\":9}}]}",
                        "tasks: [{id: a, method: t/x, params: {<<: [{a: 1, b: 1}, {b: 2, c: 3}], c: 9}}]\n"));
    }

    @Test
    void shouldRefuseAnAliasWithoutItsAnchorOrThatExpandsWithoutBoundOrContainsItself() {
        List<Problem> unknown = Fixtures.problems("name: *nowhere\ntasks: [{id: a, method: t/x}]\n", SourceFormat.YAML);
        assertEquals("$", unknown.get(0).path(), unknown::toString);

        StringBuilder laughs = new StringBuilder("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int level = 1; level <= 7; level++) {
            laughs.append("l").append(level).append(": &l").append(level).append(" [")
                    .append(String.join(", ", java.util.Collections.nCopies(10, "*l" + (level - 1)))).append("]\n");
        }
        List<Problem> bomb = Fixtures.problems(laughs + "tasks: [{id: a, method: t/x}]\n", SourceFormat.YAML);
        assertEquals("$", bomb.get(0).path(), bomb::toString);
        assertTrue(bomb.get(0).message().contains("beyond " + YamlAliases.MAX_NODES + " values"), bomb::toString);

        List<Problem> loop = Fixtures.problems("metadata: &m {self: *m}\ntasks: [{id: a, method: t/x}]\n",
                SourceFormat.YAML);
        assertEquals(List.of(new Problem("$", "invalid YAML: an alias refers to a value that contains it")), loop);

        // A large value reused many times: bounded by its expanded size, not by SnakeYAML's 3 MiB of text.
        String big = "x".repeat(40_000);
        String reused = "metadata: {base: &s " + big + ", copies: [" + String.join(", ",
                java.util.Collections.nCopies(80, "*s")) + "]}\ntasks: [{id: a, method: t/x}]\n";
        assertInstanceOf(ParseResult.Valid.class, Fixtures.parse(reused, SourceFormat.YAML),
                "80 aliases of a 40 KB value: 3.2 MB");
        String tooMuch = reused.replace(String.join(", ", java.util.Collections.nCopies(80, "*s")),
                String.join(", ", java.util.Collections.nCopies(500, "*s"))); // 20 MB expanded
        ParseResult result = Fixtures.parse(tooMuch, SourceFormat.YAML);
        assertInstanceOf(ParseResult.Invalid.class, result, "500 aliases of a 40 KB value: refused");
        String message = ((ParseResult.Invalid) result).problems().get(0).message();
        assertTrue(message.contains("beyond " + YamlAliases.MAX_CHARS + " characters"), message);
    }

    @Test
    void shouldAcceptManyAliasesOfOneAnchor() {
        StringBuilder yaml = new StringBuilder("tasks:\n  - {id: t0, method: t/x, params: &common {x: [1, 2]}}\n");
        for (int i = 1; i <= 120; i++) {
            yaml.append("  - {id: t").append(i).append(", method: t/x, params: *common}\n");
        }
        WorkflowDefinition definition = valid(yaml.toString(), SourceFormat.YAML);
        assertEquals(121, definition.tasks().size());
        assertEquals("{\"x\":[1,2]}", definition.tasks().get(120).params().toString());
    }

    @ParameterizedTest
    @MethodSource("sameWorkflowInBothSyntaxes")
    void shouldReadJsonAndYamlAlike(String jsonText, String yamlText) {
        ParseResult fromJson = Fixtures.parse(jsonText, SourceFormat.JSON);
        ParseResult fromYaml = Fixtures.parse(yamlText, SourceFormat.YAML);
        assertEquals(fromJson, fromYaml);
    }

    @Test
    void shouldGenerateAnIdWhenAbsentAndCallTheGeneratorOnlyThen() {
        AtomicInteger calls = new AtomicInteger();
        DefinitionParser parser = new DefinitionParser(Limits.DEFAULT, () -> "wf-" + calls.incrementAndGet());
        byte[] without = "{\"tasks\":[{\"id\":\"a\",\"method\":\"t/x\"}]}".getBytes(StandardCharsets.UTF_8);
        byte[] with = "{\"id\":\"mine\",\"tasks\":[{\"id\":\"a\",\"method\":\"t/x\"}]}".getBytes(StandardCharsets.UTF_8);

        assertEquals("wf-1", ((ParseResult.Valid) parser.parse(without, SourceFormat.JSON)).definition().id());
        assertEquals("mine", ((ParseResult.Valid) parser.parse(with, SourceFormat.JSON)).definition().id());
        assertEquals(1, calls.get());
    }

    @Test
    void shouldGenerateWfUuidIdsByDefault() {
        ParseResult result = new DefinitionParser().parse(
                "tasks: [{id: a, method: t/x}]".getBytes(StandardCharsets.UTF_8), SourceFormat.YAML);
        String id = assertInstanceOf(ParseResult.Valid.class, result).definition().id();
        assertTrue(id.matches("wf-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), id);
    }

    @ParameterizedTest(name = "task retry {0} over defaults {1} -> {2}")
    @CsvSource(delimiter = '|', textBlock = """
            {}                                   | {}                                   | 3,exponential,1000,60000,true
            {max_attempts: 7}                    | {}                                   | 7,exponential,1000,60000,true
            {}                                   | {max_attempts: 5, backoff: linear}   | 5,linear,1000,60000,true
            {backoff: fixed}                     | {max_attempts: 5, backoff: linear}   | 5,fixed,1000,60000,true
            {base_delay: 0.5}                    | {base_delay: 2, max_delay: 10}       | 3,exponential,500,10000,true
            {jitter: false}                      | {jitter: true}                       | 3,exponential,1000,60000,false
            {}                                   | {jitter: false, base_delay: 0}       | 3,exponential,0,60000,false
            {max_attempts: 1, max_delay: 0.001}  | {max_attempts: 9}                    | 1,exponential,1000,1,true
            {max_attempts: 2.0}                  | {}                                   | 2,exponential,1000,60000,true
            """)
    void shouldMergeRetryFromTaskThenDefaultsThenSpec(String taskRetry, String defaultsRetry, String expected) {
        WorkflowDefinition wf = valid("defaults: {retry: " + defaultsRetry + "}\n"
                + "tasks: [{id: a, method: t/x, retry: " + taskRetry + "}]\n", SourceFormat.YAML);
        String[] e = expected.split(",");
        RetryPolicy want = new RetryPolicy(Integer.parseInt(e[0]), Backoff.fromWire(e[1]).orElseThrow(),
                Duration.ofMillis(Long.parseLong(e[2])), Duration.ofMillis(Long.parseLong(e[3])),
                Boolean.parseBoolean(e[4]));
        assertEquals(want, wf.tasks().get(0).retry());
    }

    @Test
    void shouldUseSpecRetryDefaultsWhenNothingIsGiven() {
        WorkflowDefinition wf = valid("tasks: [{id: a, method: t/x}]", SourceFormat.YAML);
        assertEquals(RetryPolicy.DEFAULT, wf.tasks().get(0).retry());
        assertEquals(new RetryPolicy(3, Backoff.EXPONENTIAL, Duration.ofSeconds(1), Duration.ofSeconds(60), true),
                RetryPolicy.DEFAULT);
    }

    @ParameterizedTest(name = "task timeout {0}, defaults timeout {1} -> {2} ms")
    @CsvSource(nullValues = "none", value = {
            "none, none, none",
            "none, 60, 60000",
            "30, 60, 30000",
            "0.25, none, 250",
            "0.0005, none, 1",
            "0.0001, none, 1",
            "none, 1e-9, 1",
            "1.0004, none, 1000",
            "8640000, none, 8640000000"})
    void shouldTakeTimeoutFromTaskThenDefaults(String taskTimeout, String defaultTimeout, Long expectedMs) {
        String defaults = defaultTimeout == null ? "" : "defaults: {timeout: " + defaultTimeout + "}\n";
        String timeout = taskTimeout == null ? "" : ", timeout: " + taskTimeout;
        WorkflowDefinition wf = valid(defaults + "tasks: [{id: a, method: t/x" + timeout + "}]", SourceFormat.YAML);
        assertEquals(expectedMs == null ? null : Duration.ofMillis(expectedMs), wf.tasks().get(0).timeout());
    }

    @ParameterizedTest
    @EnumSource(Priority.class)
    void shouldInheritTheWorkflowPriorityUnlessTheTaskHasOne(Priority workflowPriority) {
        WorkflowDefinition wf = valid("priority: " + workflowPriority.wire() + "\n"
                + "tasks: [{id: a, method: t/x}, {id: b, method: t/x, priority: urgent}]", SourceFormat.YAML);
        assertEquals(workflowPriority, wf.priority());
        assertEquals(workflowPriority, wf.tasks().get(0).priority());
        assertEquals(Priority.URGENT, wf.tasks().get(1).priority());
    }

    @ParameterizedTest
    @EnumSource(ErrorStrategy.class)
    void shouldReadTheErrorStrategy(ErrorStrategy strategy) {
        WorkflowDefinition wf = valid("error_strategy: " + strategy.wire() + "\ntasks: [{id: a, method: t/x}]",
                SourceFormat.YAML);
        assertEquals(strategy, wf.errorStrategy());
    }

    @Test
    void shouldDefaultOptionalWorkflowFields() {
        WorkflowDefinition wf = valid("{\"tasks\":[{\"id\":\"a\",\"method\":\"t/x\"}]}", SourceFormat.JSON);
        assertEquals(new WorkflowDefinition("wf-generated", null, null, Priority.NORMAL, ErrorStrategy.STOP, null,
                null, Fixtures.object("{}"), List.of(new TaskDefinition("a", null, "t/x", Fixtures.object("{}"),
                List.of(), Priority.NORMAL, null, RetryPolicy.DEFAULT, null))), wf);
    }

    @Test
    void shouldAcceptParametersAsAnAliasOfParams() {
        WorkflowDefinition viaAlias = valid("tasks: [{id: a, method: t/x, parameters: {k: [1, {v: x}]}}]",
                SourceFormat.YAML);
        WorkflowDefinition viaParams = valid("tasks: [{id: a, method: t/x, params: {k: [1, {v: x}]}}]",
                SourceFormat.YAML);
        assertEquals(json("{\"k\":[1,{\"v\":\"x\"}]}"), viaAlias.tasks().get(0).params());
        assertEquals(viaParams, viaAlias);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            name: null                 | name
            description: null          | description
            priority: null             | priority
            metadata: null             | metadata
            defaults: null             | defaults
            max_parallel: null         | max_parallel
            """)
    void shouldTreatAnExplicitNullAsAbsent(String field, String name) {
        WorkflowDefinition withNull = valid(field + "\ntasks: [{id: a, method: t/x, params: null, "
                + "dependencies: null, retry: null, timeout: null}]", SourceFormat.YAML);
        assertEquals(valid("tasks: [{id: a, method: t/x}]", SourceFormat.YAML), withNull, name);
    }

    @Test
    void shouldAllowDependenciesOnTasksDefinedLaterAndKeepTheirOrder() {
        WorkflowDefinition wf = valid("""
                tasks:
                  - {id: c, method: t/x, dependencies: [b, a], params: {p: "${a.result} ${b.status}"}}
                  - {id: a, method: t/x}
                  - {id: b, method: t/x, dependencies: [a]}
                """, SourceFormat.YAML);
        assertEquals(List.of("b", "a"), wf.tasks().get(0).dependencies());
        assertEquals(List.of("c", "a", "b"), wf.tasks().stream().map(TaskDefinition::id).toList());
    }

    @Test
    void shouldAcceptTransitiveDependencyPlaceholdersAndEscapedOnes() {
        WorkflowDefinition wf = valid("""
                tasks:
                  - {id: a, method: t/x}
                  - {id: b, method: t/x, dependencies: [a]}
                  - id: c
                    method: t/x
                    dependencies: [b]
                    params:
                      p: "${a.result.items[0].name} ${task_a_result} ${b.duration_ms}"
                      literal: "$${nobody.result} and $${not even valid"
                """, SourceFormat.YAML);
        assertEquals("$${nobody.result} and $${not even valid", wf.task("c").params().get("literal").textValue());
    }

    @Test
    void shouldKeepWorkflowMetadataAsWrittenWithoutCheckingPlaceholders() {
        WorkflowDefinition wf = valid("metadata: {note: '${ghost.result} ${a.', n: [1.5, {k: null}]}\n"
                + "tasks: [{id: a, method: t/x}]", SourceFormat.YAML);
        assertEquals(json("{\"note\":\"${ghost.result} ${a.\",\"n\":[1.5,{\"k\":null}]}"), wf.metadata());
    }

    @Test
    void shouldFindTasksById() {
        WorkflowDefinition wf = valid(Fixtures.SPEC_EXAMPLE_JSON, SourceFormat.JSON);
        assertEquals("llm/generate", wf.task("analyze").method());
        assertEquals("mcp/tool.list_directory", wf.task("list_files").method());
        assertNull(wf.task("missing"));
    }

    @ParameterizedTest
    @CsvSource({"a.b-c_D.9, t/x", "x, mcp/tool.list_directory", "y, a-b_c/op:v1.2-x_y"})
    void shouldAcceptIdsAndMethodsAtTheEdgeOfTheirPatterns(String workflowId, String method) {
        WorkflowDefinition wf = valid("{\"id\":\"" + workflowId + "\",\"tasks\":[{\"id\":\"" + "A-z_0".repeat(12)
                + "abcd\",\"method\":\"" + method + "\"}]}", SourceFormat.JSON);
        assertEquals(workflowId, wf.id());
        assertEquals(64, wf.tasks().get(0).id().length());
        assertEquals(method, wf.tasks().get(0).method());
    }

    @Test
    void shouldAcceptExactlyTheLimits() {
        Limits limits = new Limits(3, 20);
        DefinitionParser parser = new DefinitionParser(limits, () -> "wf-x");
        // {"k":"123456789012"} is exactly 20 bytes of compact JSON.
        String text = "{\"tasks\":[{\"id\":\"a\",\"method\":\"t/x\",\"params\":{ \"k\" : \"123456789012\" }},"
                + "{\"id\":\"b\",\"method\":\"t/x\"},{\"id\":\"c\",\"method\":\"t/x\"}]}";
        assertInstanceOf(ParseResult.Valid.class, parser.parse(text.getBytes(StandardCharsets.UTF_8),
                SourceFormat.JSON));
    }

    @Test
    void shouldValidateALongChainQuickly() {
        StringBuilder b = new StringBuilder("{\"tasks\":[{\"id\":\"t0\",\"method\":\"t/x\"}");
        for (int i = 1; i < 10_000; i++) {
            b.append(",{\"id\":\"t").append(i).append("\",\"method\":\"t/x\",\"dependencies\":[\"t").append(i - 1)
                    .append("\"],\"params\":{\"p\":\"${t0.result}\"}}");
        }
        b.append("]}");
        long start = System.nanoTime();
        WorkflowDefinition wf = valid(b.toString(), SourceFormat.JSON);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(10_000, wf.tasks().size());
        assertTrue(millis < 5_000, "took " + millis + " ms");
    }
}
