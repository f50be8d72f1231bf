package io.gleitzeit.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Batch workflows ({@code type: batch}): expanded at submission into one task per file, plus a join. */
class BatchWorkflowTest {

    @TempDir
    Path dir;

    @BeforeEach
    void files() throws Exception {
        Files.writeString(dir.resolve("b.txt"), "b");
        Files.writeString(dir.resolve("a.txt"), "a");
        Files.writeString(dir.resolve("notes.md"), "n");
        Files.createDirectories(dir.resolve("sub"));
        Files.writeString(dir.resolve("sub/c.txt"), "c");
        Files.writeString(dir.resolve("sub/d.md"), "d");
    }

    private ParseResult parse(String json, Limits limits) {
        return new DefinitionParser(limits, () -> "wf-generated")
                .parse(json.replace('\'', '"').getBytes(StandardCharsets.UTF_8), SourceFormat.JSON);
    }

    private WorkflowDefinition valid(String json) {
        ParseResult r = parse(json, Limits.DEFAULT);
        return assertInstanceOf(ParseResult.Valid.class, r, () -> "expected valid, got " + r).definition();
    }

    private List<Problem> problems(String json) {
        return problems(json, Limits.DEFAULT);
    }

    private List<Problem> problems(String json, Limits limits) {
        ParseResult r = parse(json, limits);
        return assertInstanceOf(ParseResult.Invalid.class, r, () -> "expected invalid, got " + r).problems();
    }

    private String batch(String pattern, String template, String join) {
        return "{'id': 'b1', 'type': 'batch', 'batch': {'directory': '" + dir + "'"
                + (pattern == null ? "" : ", 'pattern': '" + pattern + "'") + "}, 'template': " + template
                + (join == null ? "" : ", 'join': " + join) + "}";
    }

    private static final String READ = "{'id': 'read', 'method': 'mcp/tool.read_text_file',"
            + " 'params': {'path': '${batch.file}', 'label': 'file ${batch.index}: ${batch.name}', 'n': '${batch.index}'}}";

    @Test
    void shouldMakeOneTaskPerMatchingFileInTheOrderOfTheirNames() {
        WorkflowDefinition wf = valid(batch("*.txt", READ, null));
        assertEquals(List.of("read_1", "read_2"), wf.tasks().stream().map(TaskDefinition::id).toList());
        TaskDefinition first = wf.tasks().get(0);
        assertEquals("mcp/tool.read_text_file", first.method());
        assertEquals(dir.resolve("a.txt").toString(), first.params().path("path").asText());
        assertEquals("file 1: a.txt", first.params().path("label").asText());
        assertEquals(1, first.params().path("n").asInt());
        assertTrue(first.params().path("n").isInt(), "a whole placeholder keeps its JSON type");
        assertEquals("a.txt", first.name());
        assertEquals(List.of(), first.dependencies());
        assertEquals(dir.resolve("b.txt").toString(), wf.tasks().get(1).params().path("path").asText());
    }

    @Test
    void shouldAddAJoinThatDependsOnEveryBatchTaskAndCollectsTheirResults() {
        WorkflowDefinition wf = valid(batch("*.txt", READ, "{'id': 'summary', 'method': 'llm/generate', 'params': {"
                + "'texts': '${batch.results.text}', 'all': '${batch.results}', 'files': '${batch.files}',"
                + "'prompt': 'Summarize:\\n${batch.results.text}'}}"));
        TaskDefinition join = wf.tasks().get(2);
        assertEquals("summary", join.id());
        assertEquals(List.of("read_1", "read_2"), join.dependencies());
        assertEquals(Fixtures.json("['${read_1.result.text}', '${read_2.result.text}']".replace('\'', '"')),
                join.params().get("texts"));
        assertEquals(Fixtures.json("['${read_1.result}', '${read_2.result}']".replace('\'', '"')),
                join.params().get("all"));
        assertEquals(2, join.params().get("files").size());
        assertEquals(dir.resolve("a.txt").toString(), join.params().get("files").get(0).asText());
        assertEquals("Summarize:\n${read_1.result.text}\n${read_2.result.text}", join.params().path("prompt").asText());
    }

    /** The params limit holds the join's params as written: expanded, they name every batch task's result. */
    @Test
    void shouldCheckTheJoinsParamsAsWrittenNotAsExpanded() {
        Limits small = new Limits(10_000, 100);
        String join = "{'id': 'all', 'method': 'test/echo', 'params': {'texts': '${batch.results.text}'}}";
        WorkflowDefinition wf = assertInstanceOf(ParseResult.Valid.class, parse(batch("**", READ.replace(
                "'label': 'file ${batch.index}: ${batch.name}', ", ""), join), small), "5 files").definition();
        assertTrue(Json.compact(wf.tasks().get(5).params()).length() > 100, "expanded, the join's params are larger");

        String tooLarge = "{'id': 'all', 'method': 'test/echo', 'params': {'texts': '${batch.results.text}', 'note': '"
                + "x".repeat(100) + "'}}";
        List<Problem> problems = problems(batch("**", READ.replace("'label': 'file ${batch.index}: ${batch.name}', ",
                ""), tooLarge), small);
        assertEquals(List.of("join.params"), problems.stream().map(Problem::path).toList(), problems::toString);
        assertTrue(problems.get(0).message().startsWith("params too large: "), problems::toString);
    }

    @Test
    void shouldRefuseAJoinIdThatABatchTaskHasSayingSoOnce() {
        List<Problem> problems = problems(batch("*.txt", READ, "{'id': 'read_2', 'method': 'test/echo'}"));
        assertEquals(List.of(new Problem("join.id", "join id 'read_2' is also the id of a batch task (the template"
                + " makes read_1 to read_2): give the join another id")), problems);
    }

    @Test
    void shouldNameTasksAfterTheTemplateAndItsFileAndDefaultTheIds() {
        WorkflowDefinition wf = valid(batch("*.md", "{'name': 'Read', 'method': 'test/echo', 'params': {'f': '${batch.name}'}}",
                "{'method': 'test/echo'}"));
        assertEquals(List.of("item_1", "join"), wf.tasks().stream().map(TaskDefinition::id).toList());
        assertEquals("Read (notes.md)", wf.tasks().get(0).name());
    }

    @Test
    void shouldMatchNestedFilesOnlyWithAPatternThatReachesIntoDirectories() {
        assertEquals(List.of("notes.md"), names(valid(batch("*.md", echo(), null))));
        assertEquals(List.of("notes.md", "sub/d.md"), names(valid(batch("**/*.md", echo(), null))));
        assertEquals(List.of("sub/c.txt"), names(valid(batch("sub/*.txt", echo(), null))));
        assertEquals(List.of("a.txt", "b.txt", "notes.md"), names(valid(batch(null, echo(), null))));
    }

    private static String echo() {
        return "{'method': 'test/echo', 'params': {'f': '${batch.name}'}}";
    }

    private static List<String> names(WorkflowDefinition wf) {
        return wf.tasks().stream().map(t -> t.params().path("f").asText()).toList();
    }

    @Test
    void shouldSayWhenTheDirectoryIsMissingOrNothingMatches() {
        Problem missing = problems("{'type': 'batch', 'batch': {'directory': '" + dir.resolve("nope")
                + "', 'pattern': '*'}, 'template': " + READ + "}").get(0);
        assertEquals("batch.directory", missing.path());
        assertTrue(missing.message().contains("does not exist"), missing.message());
        assertTrue(missing.message().contains(dir.resolve("nope").toString()), missing.message());

        Problem none = problems(batch("*.pdf", READ, null)).get(0);
        assertEquals("batch.pattern", none.path());
        assertTrue(none.message().startsWith("no file in '" + dir + "' matches '*.pdf'"), none.message());

        Problem file = problems("{'type': 'batch', 'batch': {'directory': '" + dir.resolve("a.txt")
                + "'}, 'template': " + READ + "}").get(0);
        assertEquals("batch.directory", file.path());
        assertTrue(file.message().contains("is not a directory"), file.message());

        Problem empty = problems("{'type': 'batch', 'batch': {'directory': ''}, 'template': " + READ + "}").get(0);
        assertEquals(new Problem("batch.directory", "expected a directory path (a non-empty string), got an empty "
                + "string"), empty);
    }

    /** SPEC §1 lists every problem at once: a missing directory hid the others until it existed (round 14). */
    @Test
    void shouldListTheOtherProblemsWithAMissingDirectory() {
        List<Problem> all = problems("{'type': 'batch', 'priority': 'bogus', 'batch': {'directory': '"
                + dir.resolve("nope") + "'}, 'template': {'id': 'read', 'method': 'x',"
                + " 'params': {'path': '${batch.file}'}}}");
        assertEquals(List.of("batch.directory", "priority", "template.method"),
                all.stream().map(Problem::path).sorted().toList(), all::toString);
    }

    @Test
    void shouldRefuseMoreFilesThanAWorkflowMayHaveTasks() {
        Limits three = new Limits(3, 65536);
        valid(batch("**", READ, null).replace("**", "*.txt")); // 2 files: fine with the default limits
        assertInstanceOf(ParseResult.Valid.class, parse(batch("*", READ, null), three)); // 3 files, no join
        Problem tooMany = problems(batch("*", READ, "{'method': 'test/echo'}"), three).get(0);
        assertEquals("batch.pattern", tooMany.path());
        assertTrue(tooMany.message().contains("matches more than 2 files"), tooMany.message());
        assertTrue(tooMany.message().contains("limits.max-tasks-per-workflow"), tooMany.message());
    }

    @Test
    void shouldReportTheTemplatesProblemsOnceAtTheTemplate() {
        List<Problem> problems = problems(batch("*.txt", "{'method': 'no-slash', 'timeout': -1,"
                + " 'params': {'path': '${batch.file}', 'x': '${other.result}'}}", null));
        assertEquals(List.of("template.method", "template.params.x", "template.timeout"),
                problems.stream().map(Problem::path).sorted().toList(), problems::toString);
    }

    @Test
    void shouldReportTheJoinsProblemsAtTheJoin() {
        List<Problem> problems = problems(batch("*.txt", READ, "{'method': 'test/echo', 'params': {"
                + "'a': '${batch.file}', 'b': '${ghost.result}'}}"));
        assertEquals(List.of("join.params.a"), problems.stream().map(Problem::path).toList(), problems::toString);
        assertTrue(problems.get(0).message().contains("unknown batch placeholder '${batch.file}'"));
        List<Problem> later = problems(batch("*.txt", READ, "{'method': 'test/echo', 'params': {'b': '${ghost.result}'}}"));
        assertEquals("join.params.b", later.get(0).path(), later::toString);
        assertTrue(later.get(0).message().contains("unknown task 'ghost'"), later.get(0).message());
    }

    @Test
    void shouldRefuseWhatABatchWorkflowCannotHave() {
        List<Problem> p = problems("{'type': 'batch', 'tasks': [], 'batch': {'directory': '" + dir
                + "', 'patern': '*'}, 'template': {'method': 'test/echo', 'dependencies': ['x'],"
                + " 'params': {'f': '${batch.file}'}}}");
        assertEquals(List.of("batch.patern", "tasks", "template.dependencies"),
                p.stream().map(Problem::path).sorted().toList(), p::toString);

        Problem same = problems(batch("*.txt", "{'method': 'test/echo', 'params': {'x': 1}}", null)).get(0);
        assertEquals("template.params", same.path());
        assertTrue(same.message().contains("neither ${batch.file} nor ${batch.name}"), same.message());

        Problem unknown = problems(batch("*.txt", "{'method': 'test/echo', 'params': {'f': '${batch.path}'}}",
                null)).get(0);
        assertEquals("template.params.f", unknown.path());
        assertTrue(unknown.message().contains("unknown batch placeholder '${batch.path}'"), unknown.message());

        Problem noBatch = problems("{'type': 'batch', 'template': " + READ + "}").get(0);
        assertEquals("batch", noBatch.path());
    }

    @Test
    void shouldAcceptTypeWorkflowAndRefuseAnUnknownType() {
        WorkflowDefinition wf = valid("{'type': 'workflow', 'tasks': [{'id': 'a', 'method': 'test/echo'}]}");
        assertEquals("a", wf.tasks().get(0).id());
        Problem p = problems("{'type': 'pipeline', 'tasks': [{'id': 'a', 'method': 'test/echo'}]}").get(0);
        assertEquals("type", p.path());
        assertTrue(p.message().contains("expected one of: workflow, batch"), p.message());
    }

    @Test
    void shouldKeepLiteralsAndReadYaml() {
        String yaml = "type: batch\nbatch: {directory: '" + dir + "', pattern: '*.md'}\ntemplate:\n"
                + "  method: test/echo\n  params: {text: 'costs $${batch.file} for ${batch.name}'}\n";
        ParseResult r = new DefinitionParser(Limits.DEFAULT, () -> "wf-y").parse(yaml.getBytes(StandardCharsets.UTF_8),
                SourceFormat.YAML);
        WorkflowDefinition wf = assertInstanceOf(ParseResult.Valid.class, r, r::toString).definition();
        assertEquals("costs $${batch.file} for notes.md", wf.tasks().get(0).params().path("text").asText());
    }
}
