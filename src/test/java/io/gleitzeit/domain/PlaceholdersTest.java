package io.gleitzeit.domain;

import static io.gleitzeit.domain.Fixtures.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.gleitzeit.domain.PathStep.Index;
import io.gleitzeit.domain.PathStep.Key;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class PlaceholdersTest {

    static Stream<Arguments> wellFormed() {
        return Stream.of(
                arguments("${a.result}", "a", PlaceholderField.RESULT, List.of()),
                arguments("${list_files.result}", "list_files", PlaceholderField.RESULT, List.of()),
                arguments("${a.result.items[0].name}", "a", PlaceholderField.RESULT,
                        List.of(new Key("items"), new Index(0), new Key("name"))),
                arguments("${a.result[2][10]}", "a", PlaceholderField.RESULT, List.of(new Index(2), new Index(10))),
                arguments("${a-1.result.x-y_z.0}", "a-1", PlaceholderField.RESULT,
                        List.of(new Key("x-y_z"), new Key("0"))),
                arguments("${task_a_result}", "a", PlaceholderField.RESULT, List.of()),
                arguments("${task_list_files_result}", "list_files", PlaceholderField.RESULT, List.of()),
                arguments("${task_x_result_result}", "x_result", PlaceholderField.RESULT, List.of()),
                arguments("${task_abc123_result}", "abc123", PlaceholderField.RESULT, List.of()),
                arguments("${task_a.result}", "task_a", PlaceholderField.RESULT, List.of()),
                arguments("${a.status}", "a", PlaceholderField.STATUS, List.of()),
                arguments("${a.provider_id}", "a", PlaceholderField.PROVIDER_ID, List.of()),
                arguments("${a.duration_ms}", "a", PlaceholderField.DURATION_MS, List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("wellFormed")
    void shouldParseEveryForm(String text, String taskId, PlaceholderField field, List<PathStep> path) {
        Placeholders.Scan scan = Placeholders.scan(text);
        assertEquals(List.of(new Placeholder(text, taskId, field, path)), scan.placeholders());
        assertEquals(List.of(), scan.malformed());
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                arguments("${}", "malformed placeholder '${}': empty placeholder"),
                arguments("${a}", "malformed placeholder '${a}': no field after the task id"),
                arguments("${a.}", "malformed placeholder '${a.}': missing field"),
                arguments("${a.output}", "malformed placeholder '${a.output}': unknown field 'output' (expected "
                        + "result, status, provider_id or duration_ms)"),
                arguments("${a b.result}", "malformed placeholder '${a b.result}': invalid task id 'a b'"),
                arguments("${.result}", "malformed placeholder '${.result}': invalid task id ''"),
                arguments("${a.result.}", "malformed placeholder '${a.result.}': expected a key after '.'"),
                arguments("${a.result..x}", "malformed placeholder '${a.result..x}': invalid character '.' in a key"),
                arguments("${a.result.x y}", "malformed placeholder '${a.result.x y}': unexpected ' ' in the path "
                        + "(expected .key or [n] steps)"),
                arguments("${a.result. x}", "malformed placeholder '${a.result. x}': invalid character ' ' in a key"),
                arguments("${a.result[x]}", "malformed placeholder '${a.result[x]}': expected an index [n]"),
                arguments("${a.result[-1]}", "malformed placeholder '${a.result[-1]}': expected an index [n]"),
                arguments("${a.result[1}", "malformed placeholder '${a.result[1}': expected an index [n]"),
                arguments("${a.result[99999999999]}", "malformed placeholder '${a.result[99999999999]}': index "
                        + "99999999999 is too large"),
                arguments("${a.resultx}", "malformed placeholder '${a.resultx}': unknown field 'resultx'"),
                arguments("${a.status.x}", "malformed placeholder '${a.status.x}': 'status' takes no path"),
                arguments("${a.duration_ms[0]}", "malformed placeholder '${a.duration_ms[0]}': 'duration_ms' takes "
                        + "no path"),
                arguments("${task__result}", "malformed placeholder '${task__result}': invalid task id ''"),
                arguments("${a.result", "malformed placeholder '${a.result': missing closing '}'"),
                arguments("x ${a.result y", "malformed placeholder '${a.result y': missing closing '}'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void shouldDescribeMalformedPlaceholders(String text, String messageStart) {
        Placeholders.Scan scan = Placeholders.scan(text);
        assertEquals(List.of(), scan.placeholders());
        assertEquals(1, scan.malformed().size(), scan.malformed().toString());
        String message = scan.malformed().get(0);
        assertEquals(true, message.startsWith(messageStart), message);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "plain", "$", "$ {a.result}", "{a.result}", "$$", "$${a.result}", "cost: $${",
            "$${a.}", "$${ not valid at all }", "a } b", "100$"})
    void shouldFindNothingInPlainTextOrEscapes(String text) {
        assertEquals(new Placeholders.Scan(List.of(), List.of()), Placeholders.scan(text));
    }

    @Test
    void shouldScanAfterAnEscapeEndsAndKeepOrder() {
        Placeholders.Scan scan = Placeholders.scan("$${x} ${a.result} ${b.status}${c.} $${d.result}");
        assertEquals(List.of("${a.result}", "${b.status}"),
                scan.placeholders().stream().map(Placeholder::text).toList());
        assertEquals(List.of("malformed placeholder '${c.}': missing field (expected result, status, provider_id "
                + "or duration_ms)"), scan.malformed());
    }

    @Test
    void shouldSplitIntoSegmentsWithEscapesResolved() {
        assertEquals(List.of(
                        new Placeholders.Segment.Literal("cost ${x} = "),
                        new Placeholders.Segment.Ref(new Placeholder("${a.result}", "a", PlaceholderField.RESULT,
                                List.of())),
                        new Placeholders.Segment.Literal("$")),
                Placeholders.segments("cost $${x} = ${a.result}$"));
    }

    @Test
    void shouldScanEveryStringValueOfATreeButNoKey() {
        List<Placeholders.Located> found = Placeholders.scanTree(json("""
                {"prompt": "Analyze ${a.result}", "${b.result}": "key is not scanned",
                 "items": [{"name": "${c.status}"}, "${d.result[0]}", 3, null],
                 "nested": {"deep": {"a.b": ["x", "${e.duration_ms} ${f.provider_id}"]}},
                 "escaped": "$${g.result}", "n": 1}
                """));
        assertEquals(List.of(
                "prompt -> ${a.result}",
                "items[0].name -> ${c.status}",
                "items[1] -> ${d.result[0]}",
                "nested.deep[\"a.b\"][1] -> ${e.duration_ms}",
                "nested.deep[\"a.b\"][1] -> ${f.provider_id}"),
                found.stream().map(l -> l.path() + " -> " + l.placeholder().text()).toList());
    }

    @Test
    void shouldLocateMalformedPlaceholdersInATree() {
        assertEquals(List.of(new Placeholders.LocatedMalformed("list[1]",
                        "malformed placeholder '${a.result': missing closing '}'")),
                Placeholders.scanTreeMalformed(json("{\"list\": [\"ok ${a.result}\", \"${a.result\"]}")));
    }

    @Test
    void shouldRenderTheCanonicalForm() {
        assertEquals("${a.result.items[0].name}", Placeholders.render("a", PlaceholderField.RESULT,
                List.of(new Key("items"), new Index(0), new Key("name"))));
        assertEquals("${a.provider_id}", Placeholders.render("a", PlaceholderField.PROVIDER_ID, List.of()));
    }
}
