package io.gleitzeit.domain;

import static io.gleitzeit.domain.Fixtures.json;
import static io.gleitzeit.domain.Fixtures.object;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class ParameterResolverTest {

    private static final ParameterResolver RESOLVER = new ParameterResolver(1024);

    /** Outcomes of finished tasks, by id; unknown ids give null. */
    private static Function<String, TaskOutcome> outcomes(Map<String, String> results) {
        return id -> results.containsKey(id)
                ? new TaskOutcome(json(results.get(id)), "completed", "test-1", 42L)
                : null;
    }

    private static final Function<String, TaskOutcome> OUTCOMES = outcomes(Map.of(
            "num", "42",
            "dbl", "2.5",
            "whole", "3.0",
            "list", "[1, \"two\", {\"three\": 3}]",
            "obj", "{\"x\": 1, \"items\": [{\"name\": \"first\"}, {\"name\": \"second\"}], \"title\": \"T\"}",
            "nul", "null",
            "bool", "true",
            "str", "\"hello\"",
            "jsonish", "\"{\\\"x\\\": 1}\"",
            "sneaky", "\"${num.result} and ${obj.result}\""));

    private static Resolution.Resolved resolved(String params) {
        Resolution r = RESOLVER.resolve(object(params), OUTCOMES);
        return assertInstanceOf(Resolution.Resolved.class, r, () -> "expected resolved, got " + r);
    }

    static Stream<Arguments> wholeStringTyped() {
        return Stream.of(
                arguments("${num.result}", "42"),
                arguments("${dbl.result}", "2.5"),
                arguments("${list.result}", "[1, \"two\", {\"three\": 3}]"),
                arguments("${obj.result}",
                        "{\"x\": 1, \"items\": [{\"name\": \"first\"}, {\"name\": \"second\"}], \"title\": \"T\"}"),
                arguments("${nul.result}", "null"),
                arguments("${bool.result}", "true"),
                arguments("${str.result}", "\"hello\""),
                arguments("${jsonish.result}", "\"{\\\"x\\\": 1}\""),
                arguments("${task_num_result}", "42"),
                arguments("${obj.result.items}", "[{\"name\": \"first\"}, {\"name\": \"second\"}]"),
                arguments("${obj.result.items[1].name}", "\"second\""),
                arguments("${obj.result.items[0]}", "{\"name\": \"first\"}"),
                arguments("${list.result[2].three}", "3"),
                arguments("${num.status}", "\"completed\""),
                arguments("${num.provider_id}", "\"test-1\""),
                arguments("${num.duration_ms}", "42"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("wholeStringTyped")
    void shouldReplaceAWholeStringPlaceholderWithTheTypedValue(String placeholder, String expected) {
        Resolution.Resolved r = resolved("{\"v\": \"" + placeholder + "\"}");
        assertEquals(json(expected), r.params().get("v"));
        assertEquals(List.of(new Substitution("$.v", placeholder, json(expected), false)), r.audit());
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            Answer: ${num.result}                 | Answer: 42
            ${dbl.result}!                        | 2.5!
            whole ${whole.result}                 | whole 3
            list ${list.result}                   | list [1,"two",{"three":3}]
            obj=${obj.result.items[0]}            | obj={"name":"first"}
            ${nul.result} and ${bool.result}      | null and true
            say ${str.result}                     | say hello
            raw ${jsonish.result}                 | raw {"x": 1}
            ${num.result}${num.result}            | 4242
            V3: ${task_str_result}                | V3: hello
            ${num.status} on ${num.provider_id} in ${num.duration_ms} ms | completed on test-1 in 42 ms
            keep $${num.result} literal           | keep ${num.result} literal
            $${a.} and $${not valid} ${num.result} | ${a.} and ${not valid} 42
            costs $5 {not} $$ ${str.result}       | costs $5 {not} $$ hello
            """)
    void shouldEmbedValuesAsTextWithCompactJson(String template, String expected) {
        assertEquals(TextNode.valueOf(expected), resolved("{\"v\": \"" + template + "\"}").params().get("v"));
    }

    @Test
    void shouldTurnAnEscapedWholePlaceholderIntoLiteralTextWithoutValidatingIt() {
        Resolution.Resolved r = resolved("{\"v\": \"$${ghost.result}\", \"w\": \"$${a.}\"}");
        assertEquals(object("{\"v\": \"${ghost.result}\", \"w\": \"${a.}\"}"), r.params());
        assertEquals(List.of(), r.audit());
    }

    @Test
    void shouldFailAValueThatWouldNestTheParamsDeeperThanTheLimit() {
        String deep = "[".repeat(Limits.MAX_NESTING - 1) + "]".repeat(Limits.MAX_NESTING - 1);
        Function<String, TaskOutcome> outcomes = outcomes(Map.of("deep", deep));
        // {"a": [...199 levels...]} is 200 deep: allowed; one level further in, 201.
        assertInstanceOf(Resolution.Resolved.class, RESOLVER.resolve(object("{\"a\": \"${deep.result}\"}"), outcomes));

        Resolution r = RESOLVER.resolve(object("{\"a\": {\"b\": \"${deep.result}\"}}"), outcomes);

        assertEquals(new Resolution.Failed("${deep.result}", "$.a.b", "the params would nest 201 levels deep with this"
                + " value (at most 200)"), r);
    }

    @Test
    void shouldNeverRescanInsertedValues() {
        Resolution.Resolved r = resolved("{\"whole\": \"${sneaky.result}\", \"embedded\": \"> ${sneaky.result}\"}");
        assertEquals(object("{\"whole\": \"${num.result} and ${obj.result}\","
                + " \"embedded\": \"> ${num.result} and ${obj.result}\"}"), r.params());
        assertEquals(2, r.audit().size());
    }

    @Test
    void shouldSubstituteThroughNestedObjectsAndArraysButNeverKeys() {
        Resolution.Resolved r = resolved("""
                {"${num.result}": "key stays", "a": [1, "${num.result}", ["${str.result} x"], {"b": "${nul.result}"}],
                 "o": {"p": {"q": "${list.result[1]}"}}, "n": 7, "t": true, "z": null}
                """);
        assertEquals(object("""
                {"${num.result}": "key stays", "a": [1, 42, ["hello x"], {"b": null}],
                 "o": {"p": {"q": "two"}}, "n": 7, "t": true, "z": null}
                """), r.params());
        assertEquals(List.of(
                new Substitution("$.a[1]", "${num.result}", json("42"), false),
                new Substitution("$.a[2][0]", "${str.result}", json("\"hello\""), false),
                new Substitution("$.a[3].b", "${nul.result}", NullNode.getInstance(), false),
                new Substitution("$.o.p.q", "${list.result[1]}", json("\"two\""), false)), r.audit());
    }

    @Test
    void shouldAuditEveryPlaceholderOfAnEmbeddedStringInOrder() {
        Resolution.Resolved r = resolved("{\"odd key\": \"${num.result}-${str.result}-${num.result}\"}");
        assertEquals(List.of(
                new Substitution("$[\"odd key\"]", "${num.result}", json("42"), false),
                new Substitution("$[\"odd key\"]", "${str.result}", json("\"hello\""), false),
                new Substitution("$[\"odd key\"]", "${num.result}", json("42"), false)), r.audit());
    }

    @Test
    void shouldReturnAnEmptyAuditAndEqualParamsWithoutPlaceholders() {
        ObjectNode params = object("{\"a\": [1, {\"b\": \"text\"}], \"c\": \"$ {x}\"}");
        Resolution.Resolved r = (Resolution.Resolved) RESOLVER.resolve(params, id -> {
            throw new AssertionError("no outcome needed");
        });
        assertEquals(params, r.params());
        assertEquals(List.of(), r.audit());
    }

    @Test
    void shouldNotMutateTheGivenParamsNorShareNodesWithResults() {
        ObjectNode params = object("{\"v\": \"${a.result}\", \"w\": [\"${a.result.x}\"]}");
        ObjectNode before = params.deepCopy();
        JsonNode result = json("{\"x\": {\"y\": 1}}");
        Function<String, TaskOutcome> fixed = id -> new TaskOutcome(result, "completed", "p", 1L);

        Resolution.Resolved first = (Resolution.Resolved) RESOLVER.resolve(params, fixed);
        ((ObjectNode) first.params().get("v")).put("x", 999);
        ((ObjectNode) first.params().get("w").get(0)).put("y", 999);
        ((ObjectNode) first.audit().get(0).value()).put("z", 0);

        assertEquals(before, params);
        assertEquals(json("{\"x\": {\"y\": 1}}"), result);
        Resolution.Resolved second = (Resolution.Resolved) RESOLVER.resolve(params, fixed);
        assertEquals(object("{\"v\": {\"x\": {\"y\": 1}}, \"w\": [{\"y\": 1}]}"), second.params());
    }

    @Test
    void shouldResolveNullOutcomeFieldsToJsonNull() {
        ParameterResolver resolver = new ParameterResolver(100);
        Resolution r = resolver.resolve(object("{\"s\": \"${a.status}\", \"p\": \"${a.provider_id}\", "
                + "\"d\": \"${a.duration_ms}\", \"r\": \"${a.result}\", \"e\": \"[${a.result}]\"}"),
                id -> new TaskOutcome(null, null, null, null));
        assertEquals(object("{\"s\": null, \"p\": null, \"d\": null, \"r\": null, \"e\": \"[null]\"}"),
                ((Resolution.Resolved) r).params());
    }

    @Test
    void shouldWriteLargeDurationsAsLongs() {
        Resolution r = RESOLVER.resolve(object("{\"d\": \"${a.duration_ms}\"}"),
                id -> new TaskOutcome(json("1"), "completed", "p", 10_000_000_000L));
        assertEquals(10_000_000_000L, ((Resolution.Resolved) r).params().get("d").longValue());
    }

    static Stream<Arguments> failures() {
        return Stream.of(
                arguments("{\"v\": \"${ghost.result}\"}", "${ghost.result}", "$.v",
                        "no outcome for task ghost (unknown task or not finished)"),
                arguments("{\"v\": \"${obj.result.missing}\"}", "${obj.result.missing}", "$.v",
                        "key 'missing' not found in result of task obj"),
                arguments("{\"v\": [\"x ${obj.result.items[0].nope}\"]}", "${obj.result.items[0].nope}", "$.v[0]",
                        "key 'nope' not found in result.items[0] of task obj"),
                arguments("{\"v\": {\"w\": \"${list.result[3]}\"}}", "${list.result[3]}", "$.v.w",
                        "index 3 out of range (size 3) in result of task list"),
                arguments("{\"v\": \"${obj.result.items[2]}\"}", "${obj.result.items[2]}", "$.v",
                        "index 2 out of range (size 2) in result.items of task obj"),
                arguments("{\"v\": \"${obj.result.title.name}\"}", "${obj.result.title.name}", "$.v",
                        "cannot step into a string with '.name' in result.title of task obj"),
                arguments("{\"v\": \"${str.result.name}\"}", "${str.result.name}", "$.v",
                        "cannot step into a string with '.name' in result of task str"),
                arguments("{\"v\": \"${jsonish.result.x}\"}", "${jsonish.result.x}", "$.v",
                        "cannot step into a string with '.x' in result of task jsonish"),
                arguments("{\"v\": \"${list.result.x}\"}", "${list.result.x}", "$.v",
                        "cannot step into an array with '.x' in result of task list"),
                arguments("{\"v\": \"${obj.result[0]}\"}", "${obj.result[0]}", "$.v",
                        "cannot step into an object with '[0]' in result of task obj"),
                arguments("{\"v\": \"${num.result[0]}\"}", "${num.result[0]}", "$.v",
                        "cannot step into a number with '[0]' in result of task num"),
                arguments("{\"v\": \"${nul.result.x}\"}", "${nul.result.x}", "$.v",
                        "cannot step into null with '.x' in result of task nul"),
                arguments("{\"v\": \"${bool.result[1]}\"}", "${bool.result[1]}", "$.v",
                        "cannot step into a boolean with '[1]' in result of task bool"),
                arguments("{\"v\": \"ok ${num.result} bad ${a.}\"}", "${a.}", "$.v",
                        "malformed placeholder '${a.}': missing field (expected result, status, provider_id or "
                                + "duration_ms)"),
                arguments("{\"a\": \"${num.result}\", \"b\": \"${ghost.status}\", \"c\": \"${nope.result}\"}",
                        "${ghost.status}", "$.b", "no outcome for task ghost (unknown task or not finished)"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("failures")
    void shouldFailNamingThePlaceholderItsPathAndTheReason(String params, String placeholder, String path,
                                                           String reason) {
        assertEquals(new Resolution.Failed(placeholder, path, reason), RESOLVER.resolve(object(params), OUTCOMES));
    }

    @ParameterizedTest(name = "limit {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            100 | ${obj.result}      | false | ``
            10  | ${obj.result}      | true  | {"x":1,"it…
            0   | ${num.result}      | true  | …
            2   | ${num.result}      | false | ``
            1   | ${num.result}      | true  | 4…
            7   | ${str.result}      | false | ``
            5   | ${str.result}      | false | ``
            4   | ${str.result}      | true  | hell…
            3   | ${whole.result}    | false | ``
            """)
    void shouldTruncateLargeAuditValues(int limit, String placeholder, boolean truncated, String text) {
        Resolution r = new ParameterResolver(limit).resolve(object("{\"v\": \"" + placeholder + "\"}"), OUTCOMES);
        Substitution s = ((Resolution.Resolved) r).audit().get(0);
        assertEquals(truncated, s.truncated());
        JsonNode expected = truncated ? TextNode.valueOf(text) : ((Resolution.Resolved) r).params().get("v");
        assertEquals(expected, s.value());
    }

    @Test
    void shouldNotSplitASurrogatePairWhenTruncating() {
        Resolution r = new ParameterResolver(3).resolve(object("{\"v\": \"${e.result}\"}"),
                id -> new TaskOutcome(TextNode.valueOf("ab😀cd"), "completed", "p", 1L));
        assertEquals(TextNode.valueOf("ab…"), ((Resolution.Resolved) r).audit().get(0).value());
    }

    @Test
    void shouldCountTheLimitInUtf8Bytes() {
        Resolution r = new ParameterResolver(5).resolve(object("{\"v\": \"${e.result}\"}"),
                id -> new TaskOutcome(TextNode.valueOf("\u00e9".repeat(10)), "completed", "p", 1L));
        assertEquals(TextNode.valueOf("\u00e9\u00e9…"), ((Resolution.Resolved) r).audit().get(0).value());
    }
}
