package io.gleitzeit.domain;

import static io.gleitzeit.domain.Fixtures.problems;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every rejection rule of SPEC §1: the exact path of the problem and a message naming what is wrong. */
class DefinitionParserRejectionTest {

    private static final String T = "tasks: [{id: a, method: t/x";

    static Stream<Arguments> singleProblemYaml() {
        return Stream.of(
                // the document as a whole
                arguments("[1, 2]", "$", List.of("expected the document to be an object, got array")),
                arguments("just text", "$", List.of("expected the document to be an object, got string")),
                arguments("", "$", List.of("empty document")),
                arguments("# only a comment\n", "$", List.of("empty document")),
                arguments("tasks: [", "$", List.of("invalid YAML at line 1")),
                // a key given twice, or a number that cannot be read: at its own path, its line in the message
                arguments("id: a\nid: b\n" + T + "}]", "id", List.of("invalid YAML at line 2", "Duplicate field 'id'")),
                arguments(T + ", params: {x: 1, x: 2}}]", "tasks[0].params.x", List.of("Duplicate field 'x'")),
                arguments(T + ", timeout: .inf}]", "tasks[0].timeout", List.of("Malformed numeric value '.inf'")),
                // explicit tags: YAML's own types on values of that type only
                arguments(T + ", params: {v: !!int abc}}]", "tasks[0].params.v", List.of("'abc' is not a !!int")),
                arguments(T + ", params: {v: !!float abc}}]", "tasks[0].params.v", List.of("'abc' is not a !!float")),
                arguments(T + ", params: {v: !!null x}}]", "tasks[0].params.v", List.of("'x' is not a !!null")),
                arguments(T + ", params: {v: !!bool maybe}}]", "tasks[0].params.v", List.of("'maybe' is not a !!bool")),
                arguments(T + ", params: {v: !!map [1]}}]", "tasks[0].params.v", List.of("this value is not a !!map")),
                arguments(T + ", params: {v: [1, !!seq {a: 1}]}}]", "tasks[0].params.v[1]",
                        List.of("this value is not a !!seq")),
                arguments(T + ", params: {v: !env HOME}}]", "tasks[0].params.v",
                        List.of("the YAML tag !env is not supported", "write the value without a tag")),
                arguments(T + ", params: {v: !<tag:example.com:x> 7}}]", "tasks[0].params.v",
                        List.of("the YAML tag !<tag:example.com:x> is not supported")),
                arguments(T + ", params: {v: !!binary aGVsbG8=}}]", "tasks[0].params.v",
                        List.of("the YAML tag !!binary is not supported")),
                arguments("id: !!null myid\n" + T + "}]", "id", List.of("'myid' is not a !!null")),
                arguments(T + "}]\n---\n" + T + "}]", "$", List.of("invalid YAML", "exactly one YAML document")),
                // unknown fields, at every level
                arguments("nmae: x\n" + T + "}]", "nmae", List.of("unknown field 'nmae' (expected one of: id, name, "
                        + "description, priority, error_strategy, max_parallel, schedule_to_start_timeout, defaults, "
                        + "metadata, tasks); did you mean 'name'?")),
                arguments(T + ", dependecies: []}]", "tasks[0].dependecies", List.of("unknown field 'dependecies' "
                        + "(expected one of: id, name, method, params, parameters, dependencies, priority, timeout, "
                        + "retry, provider); did you mean 'dependencies'?")),
                arguments(T + ", zz: 1}]", "tasks[0].zz", List.of("unknown field 'zz' (expected one of: id,")),
                arguments("defaults: {timeout: 1, retries: {}}\n" + T + "}]", "defaults.retries",
                        List.of("unknown field 'retries' (expected one of: timeout, retry)")),
                arguments("defaults: {timeout: 1, retyr: {}}\n" + T + "}]", "defaults.retyr",
                        List.of("unknown field 'retyr' (expected one of: timeout, retry); did you mean 'retry'?")),
                arguments("defaults: {retry: {attempts: 2}}\n" + T + "}]", "defaults.retry.attempts",
                        List.of("unknown field 'attempts' (expected one of: max_attempts, backoff, base_delay, "
                                + "max_delay, jitter)")),
                arguments(T + ", retry: {max_attempt: 2}}]", "tasks[0].retry.max_attempt",
                        List.of("unknown field 'max_attempt'", "did you mean 'max_attempts'?")),
                // missing required fields
                arguments("name: x", "tasks", List.of("missing required field 'tasks'")),
                arguments("tasks: null", "tasks", List.of("missing required field 'tasks'")),
                arguments("tasks: [{method: t/x}]", "tasks[0].id", List.of("missing required field 'id'")),
                arguments("tasks: [{id: a}]", "tasks[0].method", List.of("missing required field 'method'")),
                // wrong types
                arguments("tasks: {id: a}", "tasks", List.of("expected an array of tasks, got object")),
                arguments("tasks: [a]", "tasks[0]", List.of("expected a task object, got string")),
                arguments("tasks: [{id: 1, method: t/x}]", "tasks[0].id", List.of("expected a string, got number")),
                arguments("tasks: [{id: a, method: [t/x]}]", "tasks[0].method",
                        List.of("expected a string, got array")),
                arguments("id: true\n" + T + "}]", "id", List.of("expected a string, got boolean")),
                arguments("name: 5\n" + T + "}]", "name", List.of("expected a string, got number")),
                arguments("description: {}\n" + T + "}]", "description", List.of("expected a string, got object")),
                arguments(T + ", name: []}]", "tasks[0].name", List.of("expected a string, got array")),
                arguments(T + ", provider: 7}]", "tasks[0].provider", List.of("expected a string, got number")),
                arguments(T + ", params: [1]}]", "tasks[0].params", List.of("expected an object, got array")),
                arguments(T + ", parameters: x}]", "tasks[0].parameters", List.of("expected an object, got string")),
                arguments("metadata: [1]\n" + T + "}]", "metadata", List.of("expected an object, got array")),
                arguments("defaults: 5\n" + T + "}]", "defaults", List.of("expected an object, got number")),
                arguments(T + ", dependencies: a}]", "tasks[0].dependencies",
                        List.of("expected an array of task ids, got string")),
                arguments(T + ", dependencies: [1]}]", "tasks[0].dependencies[0]",
                        List.of("expected a task id (string), got number")),
                arguments(T + ", timeout: '30'}]", "tasks[0].timeout",
                        List.of("expected a number of seconds, got string")),
                arguments("max_parallel: '4'\n" + T + "}]", "max_parallel", List.of("expected an integer, got string")),
                arguments(T + ", retry: 3}]", "tasks[0].retry", List.of("expected an object, got number")),
                arguments(T + ", retry: {jitter: 'yes'}}]", "tasks[0].retry.jitter",
                        List.of("expected a boolean (true or false), got string")),
                arguments(T + ", retry: {max_attempts: [2]}}]", "tasks[0].retry.max_attempts",
                        List.of("expected an integer, got array")),
                arguments("priority: 1\n" + T + "}]", "priority",
                        List.of("expected one of: low, normal, high, urgent (a string), got number")),
                // empty tasks
                arguments("tasks: []", "tasks", List.of("tasks must not be empty")),
                // id patterns
                arguments("id: a b\n" + T + "}]", "id", List.of("workflow id 'a b' is invalid",
                        "1-128 characters of A-Z, a-z, 0-9, '_', '.' and '-'")),
                arguments("id: ''\n" + T + "}]", "id", List.of("workflow id '' is invalid")),
                arguments("id: '..'\n" + T + "}]", "id",
                        List.of("workflow id '..' is invalid", "other than '.' and '..'")),
                arguments("id: '.'\n" + T + "}]", "id", List.of("workflow id '.' is invalid")),
                arguments("id: " + "w".repeat(129) + "\n" + T + "}]", "id", List.of("workflow id 'www")),
                arguments("tasks: [{id: a.b, method: t/x}]", "tasks[0].id", List.of("task id 'a.b' is invalid",
                        "1-64 characters of A-Z, a-z, 0-9, '_' and '-'")),
                arguments("tasks: [{id: " + "t".repeat(65) + ", method: t/x}]", "tasks[0].id",
                        List.of("task id 'ttt", "is invalid")),
                arguments(T + ", provider: 'a b'}]", "tasks[0].provider", List.of("provider id 'a b' is invalid")),
                // repeated ids, params and parameters
                arguments(T + "}, {id: b, method: t/x}, {id: a, method: t/y}]", "tasks[2].id",
                        List.of("duplicate task id 'a' (already used by tasks[0])")),
                arguments(T + ", params: {}, parameters: {}}]", "tasks[0].parameters",
                        List.of("both 'params' and 'parameters' are given")),
                // dependencies
                arguments(T + ", dependencies: [zz]}]", "tasks[0].dependencies[0]", List.of("unknown task 'zz'")),
                arguments(T + ", dependencies: [a]}]", "tasks[0].dependencies[0]",
                        List.of("dependency cycle: a -> a (task 'a' depends on itself)")),
                arguments(T + ", dependencies: [b, b]}, {id: b, method: t/x}]", "tasks[0].dependencies[1]",
                        List.of("repeated dependency 'b' (already listed at tasks[0].dependencies[0])")),
                arguments("tasks: [{id: a, method: t/x, dependencies: [b]}, {id: b, method: t/x, dependencies: [c]},"
                        + " {id: c, method: t/x, dependencies: [a]}]", "tasks[0].dependencies",
                        List.of("dependency cycle: a -> b -> c -> a")),
                arguments("tasks: [{id: x, method: t/x}, {id: b, method: t/x, dependencies: [x, a]},"
                        + " {id: a, method: t/x, dependencies: [b]}]", "tasks[1].dependencies",
                        List.of("dependency cycle: b -> a -> b")),
                // methods
                arguments("tasks: [{id: a, method: llm}]", "tasks[0].method", List.of("malformed method 'llm'",
                        "expected '<protocol>/<operation>'")),
                arguments("tasks: [{id: a, method: llm/}]", "tasks[0].method", List.of("malformed method 'llm/'")),
                arguments("tasks: [{id: a, method: /generate}]", "tasks[0].method",
                        List.of("malformed method '/generate'")),
                arguments("tasks: [{id: a, method: l m/x}]", "tasks[0].method", List.of("malformed method 'l m/x'")),
                arguments("tasks: [{id: a, method: a/b/c}]", "tasks[0].method", List.of("malformed method 'a/b/c'")),
                arguments("tasks: [{id: a, method: 'a/b c'}]", "tasks[0].method", List.of("malformed method 'a/b c'")),
                arguments("tasks: [{id: a, method: a.b/c}]", "tasks[0].method", List.of("malformed method 'a.b/c'")),
                // enumerated words
                arguments("priority: highest\n" + T + "}]", "priority",
                        List.of("unknown priority 'highest' (expected one of: low, normal, high, urgent)")),
                arguments(T + ", priority: HIGH}]", "tasks[0].priority", List.of("unknown priority 'HIGH'")),
                arguments("error_strategy: ignore\n" + T + "}]", "error_strategy",
                        List.of("unknown error_strategy 'ignore' (expected one of: stop, continue)")),
                arguments(T + ", retry: {backoff: random}}]", "tasks[0].retry.backoff",
                        List.of("unknown backoff 'random' (expected one of: fixed, linear, exponential)")),
                // ranges
                arguments(T + ", retry: {max_attempts: 0}}]", "tasks[0].retry.max_attempts",
                        List.of("max_attempts must be an integer >= 1, got 0")),
                arguments(T + ", retry: {max_attempts: 1.5}}]", "tasks[0].retry.max_attempts",
                        List.of("max_attempts must be an integer, got 1.5")),
                arguments(T + ", retry: {max_attempts: 3000000000}}]", "tasks[0].retry.max_attempts",
                        List.of("max_attempts must be at most 2147483647, got 3000000000")),
                arguments(T + ", retry: {base_delay: -1}}]", "tasks[0].retry.base_delay",
                        List.of("base_delay must be 0 or more seconds, got -1")),
                arguments(T + ", retry: {max_delay: -0.5}}]", "tasks[0].retry.max_delay",
                        List.of("max_delay must be 0 or more seconds, got -0.5")),
                arguments(T + ", timeout: 0}]", "tasks[0].timeout",
                        List.of("timeout must be greater than 0 seconds, got 0")),
                arguments(T + ", timeout: -3}]", "tasks[0].timeout",
                        List.of("timeout must be greater than 0 seconds, got -3")),
                arguments(T + ", timeout: 8640000.001}]", "tasks[0].timeout",
                        List.of("timeout must be at most 8640000 seconds (100 days), got 8640000.001")),
                arguments("schedule_to_start_timeout: 0\n" + T + "}]", "schedule_to_start_timeout",
                        List.of("schedule_to_start_timeout must be greater than 0 seconds, got 0")),
                arguments("max_parallel: 0\n" + T + "}]", "max_parallel",
                        List.of("max_parallel must be an integer >= 1, got 0")),
                arguments("max_parallel: 2.5\n" + T + "}]", "max_parallel",
                        List.of("max_parallel must be an integer, got 2.5")),
                arguments("defaults: {timeout: 0}\n" + T + "}]", "defaults.timeout",
                        List.of("timeout must be greater than 0 seconds")),
                arguments("defaults: {retry: {max_attempts: -2}}\n" + T + "}]", "defaults.retry.max_attempts",
                        List.of("max_attempts must be an integer >= 1, got -2")),
                arguments("defaults: {retry: {max_delay: 1e400}}\n" + T + "}]", "defaults.retry.max_delay",
                        List.of("expected a number of seconds, got Infinity")),
                // placeholders
                arguments(T + "}, {id: b, method: t/x, dependencies: [a], params: {prompt: '${a.}'}}]",
                        "tasks[1].params.prompt", List.of("malformed placeholder '${a.}': missing field "
                                + "(expected result, status, provider_id or duration_ms)")),
                arguments(T + "}, {id: b, method: t/x, dependencies: [a], params: {prompt: 'x ${a.result'}}]",
                        "tasks[1].params.prompt", List.of("malformed placeholder '${a.result'", "missing closing '}'")),
                arguments(T + "}, {id: b, method: t/x, dependencies: [a], params: {p: '${a.output}'}}]",
                        "tasks[1].params.p", List.of("malformed placeholder '${a.output}'", "unknown field 'output'")),
                arguments(T + "}, {id: b, method: t/x, dependencies: [a], params: {p: '${zz.result}'}}]",
                        "tasks[1].params.p", List.of("placeholder '${zz.result}' names unknown task 'zz'")),
                arguments(T + "}, {id: b, method: t/x, dependencies: [a], params: {p: '${task_zz_result}'}}]",
                        "tasks[1].params.p", List.of("placeholder '${task_zz_result}' names unknown task 'zz'")),
                arguments(T + "}, {id: b, method: t/x, params: {p: 'see ${a.result}'}}]", "tasks[1].params.p",
                        List.of("placeholder '${a.result}' names task 'a', which is not a dependency of task 'b'",
                                "add 'a' to dependencies")),
                arguments(T + ", dependencies: [b]}, {id: b, method: t/x, params: {p: '${a.status}'}}]",
                        "tasks[1].params.p", List.of("placeholder '${a.status}' names task 'a', which is not a "
                                + "dependency of task 'b'")),
                arguments(T + "}, {id: b, method: t/x, dependencies: [a], params: {p: '${b.result}'}}]",
                        "tasks[1].params.p", List.of("placeholder '${b.result}' refers to its own task 'b'")),
                arguments(T + "}, {id: b, method: t/x, dependencies: [a], params: {items: [x, '${zz.result}']}}]",
                        "tasks[1].params.items[1]", List.of("names unknown task 'zz'")),
                arguments(T + "}, {id: b, method: t/x, dependencies: [a], params: {o: {a.b: ['${zz.result}']}}}]",
                        "tasks[1].params.o[\"a.b\"][0]", List.of("names unknown task 'zz'")),
                arguments(T + "}, {id: b, method: t/x, dependencies: [a], parameters: {p: {q: '${zz.status}'}}}]",
                        "tasks[1].parameters.p.q", List.of("placeholder '${zz.status}' names unknown task 'zz'")),
                arguments(T + ", params: {x: .nan}}]", "tasks[0].params.x", List.of("invalid YAML", "'.nan'")));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("singleProblemYaml")
    void shouldRejectWithOneProblemAtItsPath(String yaml, String path, List<String> fragments) {
        List<Problem> problems = problems(yaml, SourceFormat.YAML);
        assertEquals(1, problems.size(), () -> "problems: " + problems);
        assertEquals(path, problems.get(0).path(), () -> "problem: " + problems.get(0));
        for (String fragment : fragments) {
            assertTrue(problems.get(0).message().contains(fragment),
                    () -> "message '" + problems.get(0).message() + "' should contain '" + fragment + "'");
        }
    }

    static Stream<Arguments> singleProblemJson() {
        return Stream.of(
                arguments("{\"tasks\": [}", "$", "invalid JSON at line 1, column 12: Unexpected close marker '}'"),
                arguments("{\"tasks\":[],\"tasks\":[]}", "tasks", "Duplicate field 'tasks'"),
                arguments("{\"tasks\":[{\"id\":\"a\",\"method\":\"t/x\",\"params\":{\"l\":[{\"x\":1,\"x\":2}]}}]}",
                        "tasks[0].params.l[0].x", "Duplicate field 'x'"),
                arguments("{\"tasks\":[{\"id\":\"a\",\"method\":\"t/x\"}]} {}", "$",
                        "unexpected content after the end of the definition (expected exactly one JSON object)"),
                arguments("\"text\"", "$", "expected the document to be an object, got string"),
                arguments("null", "$", "expected the document to be an object, got null"),
                arguments("{\"tasks\":[{\"id\":\"a\",\"method\":\"t/x\",\"timeout\":1e400}]}", "tasks[0].timeout",
                        "expected a number of seconds, got Infinity"),
                arguments("{\"tasks\":[{\"id\":\"a\",\"method\":\"t/x\",\"timeout\":null,\"retry\":{\"jitter\":1}}]}",
                        "tasks[0].retry.jitter", "expected a boolean (true or false), got number"),
                arguments("{\"tasks\":[{\"id\":\"a\",\"method\":\"t/x\",\"params\":{\"k\":\"${a b.result}\"}}]}",
                        "tasks[0].params.k", "malformed placeholder '${a b.result}': invalid task id 'a b'"));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("singleProblemJson")
    void shouldRejectJsonWithOneProblemAtItsPath(String json, String path, String fragment) {
        List<Problem> problems = problems(json, SourceFormat.JSON);
        assertEquals(List.of(path), problems.stream().map(Problem::path).toList(), () -> "problems: " + problems);
        assertTrue(problems.get(0).message().contains(fragment), () -> problems.get(0).message());
    }

    @Test
    void shouldRefuseParamsAndMetadataNestedDeeperThanTheLimit() {
        String deep = "{\"x\": ".repeat(Limits.MAX_NESTING) + "1" + "}".repeat(Limits.MAX_NESTING);
        String justEnough = "{\"x\": ".repeat(Limits.MAX_NESTING - 1) + "1" + "}".repeat(Limits.MAX_NESTING - 1);
        List<Problem> problems = problems("{\"metadata\": {\"m\": " + deep + "}, \"tasks\": ["
                + "{\"id\": \"a\", \"method\": \"t/x\", \"params\": {\"p\": " + deep + "}},"
                + "{\"id\": \"b\", \"method\": \"t/x\", \"params\": {\"p\": " + justEnough + "}}]}", SourceFormat.JSON);
        assertEquals(List.of(new Problem("metadata", "metadata nested 201 levels deep (at most 200)"),
                new Problem("tasks[0].params", "params nested 201 levels deep (at most 200)")), problems);
    }

    @Test
    void shouldRefuseLoneSurrogatesInStringsAndKeysButKeepPairs() {
        // JSON escapes as a client writes them (Jackson itself refuses them in keys); a pair is one character.
        String json = "{\"name\": \"\\ud800x\", \"tasks\": [{\"id\": \"a\", \"method\": \"t/x\", "
                + "\"params\": {\"ok\": \"\\ud83d\\ude00\", \"bad\": [\"x\\udc00\"]}}]}";
        assertEquals(List.of(
                new Problem("name", "contains a lone UTF-16 surrogate (\\ud800 at character 0), which is not text and "
                        + "could not be kept as given"),
                new Problem("tasks[0].params.bad[0]", "contains a lone UTF-16 surrogate (\\udc00 at character 1), "
                        + "which is not text and could not be kept as given")),
                problems(json, SourceFormat.JSON));
        // YAML's double-quoted escapes, in a key too.
        List<Problem> yaml = problems("metadata: {\"k\\ud800\": 1}\n"
                + "tasks: [{id: a, method: t/x, params: {p: \"\\ud800\"}}]", SourceFormat.YAML);
        assertEquals(List.of(
                new Problem("metadata", "a key contains a lone UTF-16 surrogate (\\ud800 at character 1), which is not "
                        + "text and could not be kept as given"),
                new Problem("tasks[0].params.p", "contains a lone UTF-16 surrogate (\\ud800 at character 0), which is "
                        + "not text and could not be kept as given")), yaml);
    }

    @Test
    void shouldReportEveryProblemOfADocumentAtOnce() {
        List<Problem> problems = problems("""
                id: bad id
                priority: top
                max_parallel: 0
                extra: 1
                tasks:
                  - id: a
                    method: nope
                    dependencies: [a, ghost]
                    retry: {max_attempts: 0, backoff: sometimes}
                  - id: a
                    method: t/x
                    params: {p: "${ghost.result}", q: "${a.}"}
                  - id: b
                    method: t/x
                    dependencies: [c]
                  - id: c
                    method: t/x
                    dependencies: [b]
                    params: {p: "${a.result}"}
                """, SourceFormat.YAML);
        assertEquals(List.of(
                "extra",
                "id",
                "priority",
                "max_parallel",
                "tasks[0].method",
                "tasks[0].dependencies[0]",
                "tasks[0].dependencies[1]",
                "tasks[0].retry.max_attempts",
                "tasks[0].retry.backoff",
                "tasks[1].id",
                "tasks[2].dependencies",
                "tasks[1].params.q",
                "tasks[1].params.p",
                "tasks[3].params.p"), problems.stream().map(Problem::path).toList(), () -> problems.toString());
        assertEquals("dependency cycle: b -> c -> b", problems.get(10).message());
        assertEquals("placeholder '${a.result}' names task 'a', which is not a dependency of task 'c' (expected a "
                + "direct or transitive dependency: add 'a' to dependencies)", problems.get(13).message());
    }

    @Test
    void shouldReportEachDistinctCycleOnceWithThePathOfItsFirstTask() {
        List<Problem> problems = problems("""
                tasks:
                  - {id: a, method: t/x, dependencies: [b, c]}
                  - {id: b, method: t/x, dependencies: [a]}
                  - {id: c, method: t/x, dependencies: [a]}
                  - {id: d, method: t/x, dependencies: [a]}
                  - {id: e, method: t/x, dependencies: [f]}
                  - {id: f, method: t/x, dependencies: [g]}
                  - {id: g, method: t/x, dependencies: [e, d]}
                """, SourceFormat.YAML);
        assertEquals(List.of(
                new Problem("tasks[0].dependencies", "dependency cycle: a -> b -> a"),
                new Problem("tasks[0].dependencies", "dependency cycle: a -> c -> a"),
                new Problem("tasks[4].dependencies", "dependency cycle: e -> f -> g -> e")), problems);
    }

    @Test
    void shouldStopListingCyclesAfterTheLimit() {
        StringBuilder b = new StringBuilder("{\"tasks\":[");
        for (int i = 0; i < 150; i++) {
            b.append(i == 0 ? "" : ",")
                    .append("{\"id\":\"x").append(i).append("\",\"method\":\"t/x\",\"dependencies\":[\"y").append(i)
                    .append("\"]},{\"id\":\"y").append(i).append("\",\"method\":\"t/x\",\"dependencies\":[\"x")
                    .append(i).append("\"]}");
        }
        List<Problem> problems = problems(b.append("]}").toString(), SourceFormat.JSON);
        assertEquals(DefinitionParser.MAX_REPORTED_CYCLES + 1, problems.size());
        assertEquals(new Problem("tasks[0].dependencies", "dependency cycle: x0 -> y0 -> x0"), problems.get(0));
        assertEquals(new Problem("tasks[198].dependencies", "dependency cycle: x99 -> y99 -> x99"), problems.get(99));
        assertEquals(new Problem("tasks", "more dependency cycles exist; only the first 100 are listed"),
                problems.get(100));
    }

    @Test
    void shouldNameEveryTaskOfABigCycleOnce() {
        StringBuilder b = new StringBuilder("{\"tasks\":[");
        int n = 5_000;
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ",").append("{\"id\":\"t").append(i).append("\",\"method\":\"t/x\",")
                    .append("\"dependencies\":[\"t").append((i + 1) % n).append("\"]}");
        }
        List<Problem> problems = problems(b.append("]}").toString(), SourceFormat.JSON);
        assertEquals(1, problems.size());
        assertEquals("tasks[0].dependencies", problems.get(0).path());
        assertTrue(problems.get(0).message().startsWith("dependency cycle: t0 -> t1 -> t2 -> "));
        assertTrue(problems.get(0).message().endsWith(" -> t4998 -> t4999 -> t0"));
    }

    @Test
    void shouldRejectMoreTasksThanTheLimit() {
        DefinitionParser parser = new DefinitionParser(new Limits(2, 1024), () -> "wf-x");
        ParseResult result = parser.parse(("tasks: [{id: a, method: t/x}, {id: b, method: t/x}, {id: c, method: t/x}]")
                .getBytes(StandardCharsets.UTF_8), SourceFormat.YAML);
        assertEquals(List.of(new Problem("tasks", "too many tasks: 3 (limit 2)")),
                assertInstanceOf(ParseResult.Invalid.class, result).problems());
    }

    @ParameterizedTest
    @MethodSource("oversizedParams")
    void shouldRejectParamsLargerThanTheLimit(String field, String params, int size) {
        DefinitionParser parser = new DefinitionParser(new Limits(10, 20), () -> "wf-x");
        String doc = "{\"tasks\":[{\"id\":\"a\",\"method\":\"t/x\",\"" + field + "\":" + params + "}]}";
        ParseResult result = parser.parse(doc.getBytes(StandardCharsets.UTF_8), SourceFormat.JSON);
        assertEquals(List.of(new Problem("tasks[0]." + field, "params too large: " + size
                        + " bytes of compact JSON (limit 20)")),
                assertInstanceOf(ParseResult.Invalid.class, result).problems());
    }

    static Stream<Arguments> oversizedParams() {
        return Stream.of(
                arguments("params", "{\"k\": \"1234567890123\"}", 21),
                arguments("parameters", "{\"k\":[1, 2, 3, 4, 5, 6, 7]}", 21),
                // size counts UTF-8 bytes: each "é" is two
                arguments("params", "{\"k\":\"éééééééé\"}", 24));
    }

    @Test
    void shouldNeverThrowOnArbitraryBytes() {
        byte[][] bodies = {{(byte) 0xff, (byte) 0xfe, 0, 1}, "{\"a\":".getBytes(StandardCharsets.UTF_8),
                "\t- : - :".getBytes(StandardCharsets.UTF_8), "{{{{{{{{".getBytes(StandardCharsets.UTF_8),
                "!!binary x".getBytes(StandardCharsets.UTF_8), "&a [*a]".getBytes(StandardCharsets.UTF_8), null};
        for (byte[] body : bodies) {
            for (SourceFormat format : SourceFormat.values()) {
                ParseResult result = Fixtures.parser().parse(body, format);
                List<Problem> problems = assertInstanceOf(ParseResult.Invalid.class, result).problems();
                assertEquals("$", problems.get(0).path(), problems.toString());
            }
        }
    }

    /** Messages a parser gives with Java names in them (a class, a Jackson setting) are said in words. */
    @Test
    void shouldSayInWordsWhatTheParsersSayInJava() {
        byte[] latin1 = "{\"name\": \"caf\u00e9\", \"tasks\": [{\"id\": \"a\", \"method\": \"t/x\"}]}"
                .getBytes(StandardCharsets.ISO_8859_1);
        for (SourceFormat format : SourceFormat.values()) {
            ParseResult result = new DefinitionParser().parse(latin1, format);
            List<Problem> problems = assertInstanceOf(ParseResult.Invalid.class, result, result::toString).problems();
            assertTrue(problems.get(0).message().endsWith(": the text is not valid UTF-8 (a definition is read as"
                    + " UTF-8)"), problems::toString);
        }
        byte[] yaml = ("name: x\ntasks:\n  - id: a\n    method: t/x\n    params: {text: caf\u00e9}\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        assertEquals("invalid YAML at line 5, column 23: the text is not valid UTF-8 (a definition is read as UTF-8)",
                assertInstanceOf(ParseResult.Invalid.class, new DefinitionParser().parse(yaml, SourceFormat.YAML))
                        .problems().get(0).message());
        String complexKey = problems(T + ", params: {? [1, 2] : x}}]", SourceFormat.YAML).get(0).message();
        assertTrue(complexKey.endsWith("a mapping key must be a plain value, not a list or a mapping"), complexKey);
        String deep = problems("{\"tasks\": " + "[".repeat(1001), SourceFormat.JSON).get(0).message();
        assertTrue(deep.contains("exceeds the maximum allowed (1000)") && !deep.contains("StreamReadConstraints"),
                deep);
    }
}
