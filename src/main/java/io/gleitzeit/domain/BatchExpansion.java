package io.gleitzeit.domain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A batch workflow ({@code type: batch}, an extension of SPEC §1) turned into a plain one at submission: one
 * task per file of {@code batch: {directory, pattern}}, made from {@code template}, plus an optional
 * {@code join} task depending on all of them. The plain document is then validated like any other (its
 * problems reported against {@code template} and {@code join}), and stored as it is: the directory is read
 * once, at submission.
 *
 * <p>Decided here: a template's params name its file with {@code ${batch.file}} (absolute path),
 * {@code ${batch.name}} (path relative to the directory) and {@code ${batch.index}} (1, 2, ...), replaced at
 * expansion; at least one of the first two must be used. Its tasks are {@code <template id>_<n>} (template id
 * default {@code item}), numbered in the order of their sorted relative paths, named after their file. A
 * join's params may use {@code ${batch.files}} (the paths) and {@code ${batch.results}} or
 * {@code ${batch.results.<path>}} (every batch task's result, or the same path into each): as a whole string
 * value they become a JSON array, inside longer text one line per file.
 */
final class BatchExpansion {

    static final List<String> FIELDS = List.of("type", "id", "name", "description", "priority", "error_strategy",
            "max_parallel", "schedule_to_start_timeout", "defaults", "metadata", "batch", "template", "join");
    static final List<String> BATCH_FIELDS = List.of("directory", "pattern");
    static final String DEFAULT_TEMPLATE_ID = "item";
    static final String DEFAULT_JOIN_ID = "join";
    static final String DEFAULT_PATTERN = "*";
    private static final Pattern TASK_PATH = Pattern.compile("tasks\\[(\\d+)](.*)", Pattern.DOTALL);

    /** The plain document with how many batch tasks it has and whether a join follows them, or the problems. */
    /**
     * The plain document the batch expands into (null when there is none: no template), and the problems found
     * in the batch's own fields, which the plain document's own are added to.
     */
    record Result(ObjectNode document, int batchTasks, boolean join, List<Problem> problems) {}

    private final ObjectNode doc;
    private final BatchFiles files;
    private final Limits limits;
    private final List<Problem> problems = new ArrayList<>();

    private BatchExpansion(ObjectNode doc, BatchFiles files, Limits limits) {
        this.doc = doc;
        this.files = files;
        this.limits = limits;
    }

    static Result expand(ObjectNode doc, BatchFiles files, Limits limits) {
        return new BatchExpansion(doc, files, limits).run();
    }

    private Result run() {
        for (Map.Entry<String, JsonNode> e : doc.properties()) {
            if (e.getKey().equals("tasks")) {
                problem("tasks", "a batch workflow has no 'tasks': they are made from 'template', one per file of"
                        + " 'batch', and 'join' may add one after them");
            } else if (!FIELDS.contains(e.getKey())) {
                String suggestion = DefinitionParser.closest(e.getKey(), FIELDS);
                problem(FieldPaths.key("", e.getKey()), "unknown field '" + e.getKey() + "' (expected one of: "
                        + String.join(", ", FIELDS) + ")" + (suggestion != null ? "; did you mean '" + suggestion
                        + "'?" : ""));
            }
        }
        ObjectNode template = taskObject("template", true);
        ObjectNode join = taskObject("join", false);
        BatchFiles.Found found = listFiles(join != null);
        if (template == null) {
            return failed();
        }
        // Files that could not be listed leave the rest to check all the same, on one stand-in file: SPEC §1 lists
        // every problem at once (a missing directory hid a bad priority and a bad template method until it existed).
        BatchFiles.Found files = found != null ? found : STAND_IN;
        int beforeExpansion = problems.size();
        ObjectNode plain = doc.deepCopy();
        List.of("type", "batch", "template", "join").forEach(plain::remove);
        plain.properties().removeIf(e -> !FIELDS.contains(e.getKey())); // reported above, not again by the walk
        ArrayNode tasks = plain.putArray("tasks");
        List<String> ids = batchTasks(template, files, tasks);
        if (join != null) {
            tasks.add(joinTask(join, files, ids));
        }
        if (problems.size() > beforeExpansion) {
            return failed(); // the expanded tasks are not what the user meant: the plain checks would only echo that
        }
        return new Result(plain, ids.size(), join != null, List.copyOf(problems));
    }

    /** The files a batch whose files could not be listed is checked on. */
    private static final BatchFiles.Found STAND_IN = new BatchFiles.Found(java.nio.file.Path.of("/batch"),
            List.of("file"));

    private Result failed() {
        return new Result(null, 0, false, problems);
    }

    /** The files, or null with a problem: a directory that cannot be listed, no match, too many. */
    private BatchFiles.Found listFiles(boolean withJoin) {
        JsonNode batch = doc.get("batch");
        if (batch == null || batch.isNull()) {
            problem("batch", "missing required field 'batch' (a batch workflow needs {directory, pattern})");
            return null;
        }
        if (!batch.isObject()) {
            problem("batch", "expected an object {directory, pattern}, got " + DefinitionParser.kind(batch));
            return null;
        }
        for (Map.Entry<String, JsonNode> e : batch.properties()) {
            if (!BATCH_FIELDS.contains(e.getKey())) {
                problem(FieldPaths.key("batch", e.getKey()), "unknown field '" + e.getKey() + "' (expected one of: "
                        + String.join(", ", BATCH_FIELDS) + ")");
            }
        }
        JsonNode directory = batch.get("directory");
        JsonNode pattern = batch.get("pattern");
        if (directory == null || directory.isNull()) {
            problem("batch.directory", "missing required field 'directory' (the directory whose files become tasks)");
        } else if (!directory.isTextual() || directory.textValue().isBlank()) {
            problem("batch.directory", "expected a directory path (a non-empty string), got " + given(directory));
        }
        if (pattern != null && !pattern.isNull() && (!pattern.isTextual() || pattern.textValue().isEmpty())) {
            problem("batch.pattern", "expected a glob pattern (a non-empty string such as '*.txt'), got "
                    + given(pattern));
        }
        if (!problems.isEmpty()) {
            return null;
        }
        String glob = pattern == null || pattern.isNull() ? DEFAULT_PATTERN : pattern.textValue();
        int room = limits.maxTasks() - (withJoin ? 1 : 0);
        BatchFiles.Listing listing = files.list(directory.textValue(), glob, room);
        if (listing instanceof BatchFiles.Unavailable u) {
            problem(FieldPaths.key("batch", u.field()), u.message());
            return null;
        }
        BatchFiles.Found found = (BatchFiles.Found) listing;
        if (found.names().isEmpty()) {
            problem("batch.pattern", "no file in '" + found.directory() + "' matches '" + glob + "'");
            return null;
        }
        if (found.names().size() > room) {
            problem("batch.pattern", "'" + glob + "' matches more than " + room + " files in '" + found.directory()
                    + "': a workflow holds at most " + limits.maxTasks() + " tasks (limits.max-tasks-per-workflow)"
                    + (withJoin ? ", the join included" : ""));
            return null;
        }
        return found;
    }

    private List<String> batchTasks(ObjectNode template, BatchFiles.Found found, ArrayNode tasks) {
        String templateId = template.path("id").isTextual() ? template.get("id").textValue() : DEFAULT_TEMPLATE_ID;
        String paramsField = paramsField(template);
        String paramsPath = FieldPaths.key("template", paramsField);
        List<String> ids = new ArrayList<>();
        boolean namesItsFile = false;
        int problemsBefore = problems.size();
        for (int i = 0; i < found.names().size(); i++) {
            String name = found.names().get(i);
            String file = found.directory().resolve(name).toString();
            if (file.contains("${")) {
                problem("batch.pattern", "file '" + file + "' has '${' in its path, which cannot be put into params"
                        + " safely: rename it or narrow the pattern");
                continue;
            }
            int index = i + 1;
            ObjectNode task = template.deepCopy();
            String id = templateId + "_" + index;
            task.put("id", id);
            task.put("name", template.path("name").isTextual() ? template.get("name").textValue() + " (" + name + ")"
                    : name);
            JsonNode params = template.get(paramsField);
            if (params != null) {
                Set<String> used = new HashSet<>();
                // Every task comes from the same template: its problems are reported once, from the first.
                List<Problem> found0 = i == 0 ? problems : new ArrayList<>();
                task.set(paramsField, BatchPlaceholders.substitute(params, paramsPath, key -> {
                    used.add(key);
                    return switch (key) {
                        case "file" -> TextNode.valueOf(file);
                        case "name" -> TextNode.valueOf(name);
                        case "index" -> JsonNodeFactory.instance.numberNode(index);
                        default -> null;
                    };
                }, "${batch.file}, ${batch.name} or ${batch.index} (${batch.files} and ${batch.results} belong in"
                        + " 'join')", found0));
                namesItsFile |= used.contains("file") || used.contains("name");
            }
            ids.add(id);
            tasks.add(task);
        }
        if (!namesItsFile && problems.size() == problemsBefore) {
            problem(paramsPath, "the template's params use neither ${batch.file} nor ${batch.name}: every task would"
                    + " do the same");
        }
        return ids;
    }

    private ObjectNode joinTask(ObjectNode join, BatchFiles.Found found, List<String> ids) {
        ObjectNode task = join.deepCopy();
        if (!task.path("id").isTextual()) {
            task.put("id", DEFAULT_JOIN_ID);
        }
        String joinId = task.path("id").asText();
        if (ids.contains(joinId)) {
            // Said here: the plain document would call it a duplicate of tasks[k] and a cycle, neither of which
            // the user wrote.
            problem(FieldPaths.key("join", "id"), "join id '" + joinId + "' is also the id of a batch task (the"
                    + " template makes " + ids.get(0) + " to " + ids.get(ids.size() - 1)
                    + "): give the join another id");
        }
        ArrayNode dependencies = task.putArray("dependencies");
        ids.forEach(dependencies::add);
        String paramsField = paramsField(join);
        JsonNode params = join.get(paramsField);
        if (params != null) {
            // The limit applies to the params the user wrote: ${batch.results} becomes a placeholder per file,
            // and a join over the 10,000 files a batch may have would pass 64 KiB by itself.
            int size = Json.compact(params).getBytes(StandardCharsets.UTF_8).length;
            if (size > limits.maxParamsBytes()) {
                problems.add(new Problem(FieldPaths.key("join", paramsField), "params too large: " + size
                        + " bytes of compact JSON (limit " + limits.maxParamsBytes() + ")"));
            }
            Function<String, JsonNode> values = key -> {
                ArrayNode list = JsonNodeFactory.instance.arrayNode();
                if (key.equals("files")) {
                    found.names().forEach(n -> list.add(found.directory().resolve(n).toString()));
                } else if (key.equals("results") || key.startsWith("results.") || key.startsWith("results[")) {
                    String path = key.substring("results".length());
                    ids.forEach(id -> list.add("${" + id + ".result" + path + "}"));
                } else {
                    return null;
                }
                return list;
            };
            task.set(paramsField, BatchPlaceholders.substitute(params, FieldPaths.key("join", paramsField), values,
                    "${batch.files}, ${batch.results} or ${batch.results.<path>} (${batch.file}, ${batch.name} and"
                            + " ${batch.index} belong in 'template')", problems));
        }
        return task;
    }

    /** The template or join object, or null (with a problem when it is required or not an object). */
    private ObjectNode taskObject(String field, boolean required) {
        JsonNode v = doc.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                problem(field, "missing required field '" + field + "' (the task made for each file: method, params"
                        + " using ${batch.file}, ...)");
            }
            return null;
        }
        if (!v.isObject()) {
            problem(field, "expected a task object, got " + DefinitionParser.kind(v));
            return null;
        }
        if (v.has("dependencies")) {
            problem(FieldPaths.key(field, "dependencies"), field.equals("join")
                    ? "a join depends on every batch task already; it takes no 'dependencies'"
                    : "a template task takes no 'dependencies': the batch tasks run independently");
            return null;
        }
        return (ObjectNode) v;
    }

    private static String paramsField(ObjectNode task) {
        return task.has("parameters") && !task.has("params") ? "parameters" : "params";
    }

    private void problem(String path, String message) {
        problems.add(new Problem(path, message));
    }

    /**
     * Where a problem of the plain document lies in the batch document: {@code tasks[k]} is the template for
     * the batch tasks and {@code join} for the one after them. A template problem repeated by every task is
     * reported once.
     */
    static List<Problem> translate(List<Problem> plain, int batchTasks, boolean join) {
        List<Problem> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Problem p : plain) {
            Matcher m = TASK_PATH.matcher(p.path());
            String path = p.path();
            if (m.matches()) {
                int k = Integer.parseInt(m.group(1));
                path = (k < batchTasks ? "template" : "join") + m.group(2);
            } else if (path.equals("tasks")) {
                path = "template";
            }
            if (seen.add(path + "\n" + p.message().replaceAll("_\\d+\\b", "_n"))) {
                out.add(new Problem(path, p.message()));
            }
        }
        return out;
    }

    /** "an empty string" or "a blank string" for the strings refused as empty, the JSON kind of anything else. */
    private static String given(JsonNode value) {
        if (!value.isTextual()) {
            return DefinitionParser.kind(value);
        }
        return value.textValue().isEmpty() ? "an empty string" : "a blank string";
    }
}
