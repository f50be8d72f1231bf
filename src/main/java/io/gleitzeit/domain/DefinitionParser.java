package io.gleitzeit.domain;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Reads a workflow definition (SPEC §1) from JSON or YAML and validates all of it, reporting every problem
 * at once, each with the path of the field it concerns.
 *
 * <p>A document of {@code type: batch} is first expanded into a plain one ({@link BatchExpansion}).
 *
 * <p>The document is read into a tree and walked by hand rather than bound to classes, because binding
 * stops at the first error and loses the path. Rules beyond SPEC §1's wording, decided here:
 * <ul>
 *   <li>a field given as {@code null} counts as absent (YAML writes an empty value as null);</li>
 *   <li>enumerated words are lower case and exact ({@code high}, not {@code High});</li>
 *   <li>integers may be written as whole decimals ({@code 3.0}); seconds may be decimals and are kept to the
 *       millisecond, rounding half up;</li>
 *   <li>durations are at most {@link #MAX_DURATION} (100 days), which keeps every timer schedulable;</li>
 *   <li>{@code provider} follows the provider id pattern of SPEC §6;</li>
 *   <li>numbers anywhere must be finite (YAML's {@code .nan} and {@code .inf} have no JSON form);</li>
 *   <li>strings are whole characters: a lone UTF-16 surrogate has no UTF-8 form to be journaled in.</li>
 * </ul>
 */
public final class DefinitionParser {

    /** SPEC §1's pattern, less "." and "..": a URL path cannot name them ({@code GET /workflows/..}). */
    public static final Pattern WORKFLOW_ID = Pattern.compile("(?!\\.{1,2}$)[A-Za-z0-9_.-]{1,128}");
    public static final Pattern TASK_ID = Placeholders.TASK_ID;
    public static final Pattern PROVIDER_ID = WORKFLOW_ID;
    /** What {@link #WORKFLOW_ID} and {@link #PROVIDER_ID} accept, in words. */
    public static final String ID_RULE = "expected 1-128 characters of A-Z, a-z, 0-9, '_', '.' and '-', "
            + "other than '.' and '..'";
    public static final Pattern METHOD = Pattern.compile("[A-Za-z0-9_-]+/[A-Za-z0-9_.:-]+");
    public static final Duration MAX_DURATION = Duration.ofDays(100);
    /** Cycles reported at most, so that a pathological graph cannot make validation slow or the answer huge. */
    public static final int MAX_REPORTED_CYCLES = 100;

    static final List<String> WORKFLOW_FIELDS = List.of("id", "name", "description", "priority", "error_strategy",
            "max_parallel", "schedule_to_start_timeout", "defaults", "metadata", "tasks");
    static final List<String> DEFAULTS_FIELDS = List.of("timeout", "retry");
    static final List<String> RETRY_FIELDS = List.of("max_attempts", "backoff", "base_delay", "max_delay", "jitter");
    static final List<String> TASK_FIELDS = List.of("id", "name", "method", "params", "parameters", "dependencies",
            "priority", "timeout", "retry", "provider");

    private static final BigDecimal MAX_SECONDS = BigDecimal.valueOf(MAX_DURATION.toSeconds());

    /** {@code type}: absent or {@code workflow} for SPEC §1's definition, {@code batch} for {@link BatchExpansion}. */
    static final List<String> TYPES = List.of("workflow", "batch");

    private final Limits limits;
    private final Supplier<String> workflowIdGenerator;
    private final BatchFiles batchFiles;

    /** Batch workflows read this machine's file system. */
    public DefinitionParser(Limits limits, Supplier<String> workflowIdGenerator) {
        this(limits, workflowIdGenerator, BatchFiles.LOCAL);
    }

    public DefinitionParser(Limits limits, Supplier<String> workflowIdGenerator, BatchFiles batchFiles) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.workflowIdGenerator = Objects.requireNonNull(workflowIdGenerator, "workflowIdGenerator");
        this.batchFiles = Objects.requireNonNull(batchFiles, "batchFiles");
    }

    /** {@link Limits#DEFAULT}, ids "wf-" + a random UUID. */
    public DefinitionParser() {
        this(Limits.DEFAULT, () -> "wf-" + UUID.randomUUID());
    }

    /** Parses and fully validates a definition; never throws for bad input. */
    public ParseResult parse(byte[] body, SourceFormat format) {
        Problem refusedTag = format == SourceFormat.YAML && body != null ? YamlTags.firstRefused(body) : null;
        if (refusedTag != null) {
            return new ParseResult.Invalid(List.of(refusedTag));
        }
        JsonNode root;
        try {
            root = body == null || body.length == 0 ? null
                    : format == SourceFormat.YAML ? YamlAliases.readTree(body) : Json.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            String notUtf8 = format == SourceFormat.YAML ? SyntaxErrors.notUtf8(body, format.name()) : null;
            if (notUtf8 != null) {
                return invalid("$", notUtf8);
            }
            String afterTheEnd = "unexpected content after the end of the definition (expected exactly one "
                    + (format == SourceFormat.YAML ? "YAML document" : "JSON object") + ")";
            return invalid(SyntaxErrors.pathOf(e), SyntaxErrors.describe(e, format.name(), afterTheEnd));
        } catch (IOException | RuntimeException e) {
            // Any other parser failure is still bad input, never a server error.
            return invalid("$", "invalid " + format.name() + ": "
                    + SyntaxErrors.oneLine(String.valueOf(e.getMessage())));
        }
        if (root == null || root.isMissingNode()) {
            return invalid("$", "empty document (expected a workflow definition object)");
        }
        if (!root.isObject()) {
            return invalid("$", "expected the document to be an object, got " + kind(root));
        }
        ObjectNode doc = (ObjectNode) root;
        JsonNode type = present(doc, "type");
        if (type == null) {
            if (doc.has("type")) { // "type": null is absent, as every other optional field's null is
                doc = doc.deepCopy();
                doc.remove("type");
            }
            return new Walk(doc).run();
        }
        if (!type.isTextual() || !TYPES.contains(type.textValue())) {
            return invalid("type", "unknown workflow type " + (type.isTextual() ? "'" + type.textValue() + "'"
                    : "(a " + kind(type) + ")") + " (expected one of: " + String.join(", ", TYPES) + ")");
        }
        if (type.textValue().equals("workflow")) {
            ObjectNode plain = doc.deepCopy();
            plain.remove("type");
            return new Walk(plain).run();
        }
        BatchExpansion.Result batch = BatchExpansion.expand(doc, batchFiles, limits);
        if (batch.document() == null) {
            return new ParseResult.Invalid(batch.problems());
        }
        ParseResult parsed = new Walk(batch.document(), batch.join() ? batch.batchTasks() : -1).run();
        List<Problem> problems = new ArrayList<>(batch.problems());
        if (parsed instanceof ParseResult.Invalid invalid) {
            problems.addAll(BatchExpansion.translate(invalid.problems(), batch.batchTasks(), batch.join()));
        }
        return problems.isEmpty() ? parsed : new ParseResult.Invalid(problems);
    }

    private static ParseResult invalid(String path, String message) {
        return new ParseResult.Invalid(List.of(new Problem(path, message)));
    }

    /** The JSON kind of a node, as used in "expected X, got Y". */
    static String kind(JsonNode v) {
        return switch (v.getNodeType()) {
            case OBJECT -> "object";
            case ARRAY -> "array";
            case STRING -> "string";
            case NUMBER -> "number";
            case BOOLEAN -> "boolean";
            case NULL, MISSING -> "null";
            case BINARY -> "binary";
            case POJO -> "object";
        };
    }

    /** A task's fields as read, before defaults and cross-task checks. */
    private record Draft(String id, String name, String method, ObjectNode params, String paramsPath,
                         List<String> dependencies, Priority priority, Duration timeout, PartialRetry retry,
                         String provider) {}

    /** A retry object as written: each field may be absent (null). */
    private record PartialRetry(Integer maxAttempts, Backoff backoff, Duration baseDelay, Duration maxDelay,
                                Boolean jitter) {
        static final PartialRetry NONE = new PartialRetry(null, null, null, null, null);

        RetryPolicy over(PartialRetry defaults) {
            RetryPolicy d = RetryPolicy.DEFAULT;
            return new RetryPolicy(
                    first(maxAttempts, defaults.maxAttempts, d.maxAttempts()),
                    first(backoff, defaults.backoff, d.backoff()),
                    first(baseDelay, defaults.baseDelay, d.baseDelay()),
                    first(maxDelay, defaults.maxDelay, d.maxDelay()),
                    first(jitter, defaults.jitter, d.jitter()));
        }

        private static <T> T first(T own, T fromDefaults, T fallback) {
            return own != null ? own : fromDefaults != null ? fromDefaults : fallback;
        }
    }

    /** One validation run over one document; collects problems instead of stopping at the first. */
    private final class Walk {
        private final ObjectNode doc;
        /**
         * The index of a batch's join, whose params the expansion wrote (a placeholder per file): its size limit
         * was checked on the params as written; -1 when there is none.
         */
        private final int expandedJoin;
        private final List<Problem> problems = new ArrayList<>();

        Walk(ObjectNode doc) {
            this(doc, -1);
        }

        Walk(ObjectNode doc, int expandedJoin) {
            this.doc = doc;
            this.expandedJoin = expandedJoin;
        }

        ParseResult run() {
            unknownFields(doc, "", WORKFLOW_FIELDS);
            String id = string(doc, "", "id");
            if (id != null && !WORKFLOW_ID.matcher(id).matches()) {
                problem("id", "workflow id '" + id + "' is invalid (" + ID_RULE + ")");
            }
            String name = string(doc, "", "name");
            String description = string(doc, "", "description");
            Priority priority = word(doc, "", "priority", Priority::fromWire, Priority.allowedWords());
            ErrorStrategy errorStrategy =
                    word(doc, "", "error_strategy", ErrorStrategy::fromWire, ErrorStrategy.allowedWords());
            Integer maxParallel = integer(doc, "", "max_parallel", 1);
            Duration scheduleToStart = seconds(doc, "", "schedule_to_start_timeout", true);
            ObjectNode metadata = object(doc, "", "metadata");
            if (metadata != null) {
                representable(metadata, "metadata");
                tooDeep(metadata, "metadata", "metadata");
            }

            Duration defaultTimeout = null;
            PartialRetry defaultRetry = PartialRetry.NONE;
            ObjectNode defaults = object(doc, "", "defaults");
            if (defaults != null) {
                unknownFields(defaults, "defaults", DEFAULTS_FIELDS);
                defaultTimeout = seconds(defaults, "defaults", "timeout", true);
                defaultRetry = retry(defaults, "defaults");
            }

            List<Draft> drafts = tasks(priority != null ? priority : Priority.NORMAL);
            if (!problems.isEmpty()) {
                return new ParseResult.Invalid(problems);
            }
            List<TaskDefinition> tasks = new ArrayList<>(drafts.size());
            for (Draft d : drafts) {
                tasks.add(new TaskDefinition(d.id, d.name, d.method, d.params, d.dependencies, d.priority,
                        d.timeout != null ? d.timeout : defaultTimeout, d.retry.over(defaultRetry), d.provider));
            }
            return new ParseResult.Valid(new WorkflowDefinition(id != null ? id : workflowIdGenerator.get(), name,
                    description, priority, errorStrategy, maxParallel, scheduleToStart,
                    metadata != null ? metadata : JsonNodeFactory.instance.objectNode(), tasks));
        }

        // ---- tasks and the checks across them ----

        private List<Draft> tasks(Priority workflowPriority) {
            JsonNode tasks = present(doc, "tasks");
            if (tasks == null) {
                problem("tasks", "missing required field 'tasks' (expected a non-empty array of tasks)");
                return List.of();
            }
            if (!tasks.isArray()) {
                problem("tasks", "expected an array of tasks, got " + kind(tasks));
                return List.of();
            }
            if (tasks.isEmpty()) {
                problem("tasks", "tasks must not be empty (expected at least one task)");
                return List.of();
            }
            if (tasks.size() > limits.maxTasks()) {
                problem("tasks", "too many tasks: " + tasks.size() + " (limit " + limits.maxTasks() + ")");
            }
            // First pass: ids, so that dependencies and placeholders can refer to tasks defined later.
            Map<String, Integer> firstIndex = new LinkedHashMap<>();
            for (int i = 0; i < tasks.size(); i++) {
                JsonNode id = tasks.get(i).isObject() ? present((ObjectNode) tasks.get(i), "id") : null;
                if (id != null && id.isTextual()) {
                    firstIndex.putIfAbsent(id.textValue(), i);
                }
            }
            List<Draft> drafts = new ArrayList<>(tasks.size());
            for (int i = 0; i < tasks.size(); i++) {
                JsonNode node = tasks.get(i);
                String path = FieldPaths.index("tasks", i);
                if (!node.isObject()) {
                    problem(path, "expected a task object, got " + kind(node));
                    drafts.add(null);
                } else {
                    drafts.add(task((ObjectNode) node, i, path, firstIndex, workflowPriority));
                }
            }
            crossTaskChecks(drafts, firstIndex);
            return drafts;
        }

        private Draft task(ObjectNode t, int i, String path, Map<String, Integer> firstIndex, Priority fallback) {
            unknownFields(t, path, TASK_FIELDS);
            String id = string(t, path, "id");
            if (id == null && present(t, "id") == null) {
                problem(FieldPaths.key(path, "id"), "missing required field 'id'");
            } else if (id != null && !TASK_ID.matcher(id).matches()) {
                problem(FieldPaths.key(path, "id"), "task id '" + id
                        + "' is invalid (expected 1-64 characters of A-Z, a-z, 0-9, '_' and '-')");
            } else if (id != null && firstIndex.get(id) != i) {
                problem(FieldPaths.key(path, "id"), "duplicate task id '" + id + "' (already used by "
                        + FieldPaths.index("tasks", firstIndex.get(id)) + ")");
            }
            String name = string(t, path, "name");
            String method = string(t, path, "method");
            if (method == null && present(t, "method") == null) {
                problem(FieldPaths.key(path, "method"), "missing required field 'method' (expected "
                        + "'<protocol>/<operation>', e.g. 'llm/generate')");
            } else if (method != null && !METHOD.matcher(method).matches()) {
                problem(FieldPaths.key(path, "method"), "malformed method '" + method + "' (expected "
                        + "'<protocol>/<operation>' with protocol [A-Za-z0-9_-]+ and operation [A-Za-z0-9_.:-]+, "
                        + "e.g. 'llm/generate')");
            }

            String paramsField = "params";
            if (present(t, "params") != null && present(t, "parameters") != null) {
                problem(FieldPaths.key(path, "parameters"),
                        "both 'params' and 'parameters' are given ('parameters' is an alias of 'params'; use one)");
            } else if (present(t, "parameters") != null) {
                paramsField = "parameters";
            }
            String paramsPath = FieldPaths.key(path, paramsField);
            ObjectNode params = object(t, path, paramsField);
            if (params != null) {
                representable(params, paramsPath);
                tooDeep(params, paramsPath, "params");
                int size = Json.compact(params).getBytes(StandardCharsets.UTF_8).length;
                if (size > limits.maxParamsBytes() && i != expandedJoin) {
                    problem(paramsPath, "params too large: " + size + " bytes of compact JSON (limit "
                            + limits.maxParamsBytes() + ")");
                }
            }

            List<String> dependencies = dependencies(t, path, id, firstIndex);
            Priority priority = word(t, path, "priority", Priority::fromWire, Priority.allowedWords());
            Duration timeout = seconds(t, path, "timeout", true);
            PartialRetry retry = retry(t, path);
            String provider = string(t, path, "provider");
            if (provider != null && !PROVIDER_ID.matcher(provider).matches()) {
                problem(FieldPaths.key(path, "provider"), "provider id '" + provider + "' is invalid ("
                        + ID_RULE + ")");
            }
            return new Draft(id, name, method, params != null ? params : JsonNodeFactory.instance.objectNode(),
                    paramsPath, dependencies, priority != null ? priority : fallback, timeout, retry, provider);
        }

        private List<String> dependencies(ObjectNode t, String path, String ownId, Map<String, Integer> firstIndex) {
            String depsPath = FieldPaths.key(path, "dependencies");
            JsonNode deps = present(t, "dependencies");
            if (deps == null) {
                return List.of();
            }
            if (!deps.isArray()) {
                problem(depsPath, "expected an array of task ids, got " + kind(deps));
                return List.of();
            }
            List<String> valid = new ArrayList<>();
            Map<String, Integer> seenAt = new HashMap<>();
            for (int j = 0; j < deps.size(); j++) {
                JsonNode d = deps.get(j);
                String at = FieldPaths.index(depsPath, j);
                if (!d.isTextual()) {
                    problem(at, "expected a task id (string), got " + kind(d));
                    continue;
                }
                String dep = d.textValue();
                if (dep.equals(ownId)) {
                    problem(at, "dependency cycle: " + dep + " -> " + dep
                            + " (task '" + dep + "' depends on itself)");
                } else if (!firstIndex.containsKey(dep)) {
                    problem(at, "unknown task '" + dep + "' (no task of this workflow has that id)");
                } else if (seenAt.containsKey(dep)) {
                    problem(at, "repeated dependency '" + dep + "' (already listed at "
                            + FieldPaths.index(depsPath, seenAt.get(dep)) + ")");
                } else {
                    seenAt.put(dep, j);
                    valid.add(dep);
                }
            }
            return valid;
        }

        /** Cycles and placeholders: both need every task's id and dependencies. */
        private void crossTaskChecks(List<Draft> drafts, Map<String, Integer> firstIndex) {
            // Graph nodes are the distinct ids in order of first definition; a duplicate adds no node.
            List<String> ids = new ArrayList<>(firstIndex.keySet());
            Map<String, Integer> node = new HashMap<>();
            for (int n = 0; n < ids.size(); n++) {
                node.put(ids.get(n), n);
            }
            List<List<Integer>> deps = new ArrayList<>(ids.size());
            for (String id : ids) {
                Draft d = drafts.get(firstIndex.get(id));
                deps.add(d == null ? List.of() : d.dependencies.stream().map(node::get).toList());
            }
            DependencyCycles.Found found = DependencyCycles.find(deps, MAX_REPORTED_CYCLES);
            for (List<Integer> cycle : found.cycles()) {
                List<String> names = new ArrayList<>(cycle.stream().map(ids::get).toList());
                names.add(names.get(0));
                String path = FieldPaths.key(FieldPaths.index("tasks", firstIndex.get(names.get(0))), "dependencies");
                problem(path, "dependency cycle: " + String.join(" -> ", names));
            }
            if (found.more()) {
                problem("tasks", "more dependency cycles exist; only the first " + MAX_REPORTED_CYCLES
                        + " are listed");
            }

            BitSet[] ancestors = new BitSet[ids.size()];
            for (Draft d : drafts) {
                if (d == null) {
                    continue;
                }
                for (Placeholders.LocatedMalformed bad : Placeholders.scanTreeMalformed(d.params)) {
                    problem(FieldPaths.join(d.paramsPath, bad.path()), bad.message());
                }
                BitSet upstream = null;
                for (Placeholders.Located ref : Placeholders.scanTree(d.params)) {
                    Placeholder p = ref.placeholder();
                    String at = FieldPaths.join(d.paramsPath, ref.path());
                    if (!firstIndex.containsKey(p.taskId())) {
                        problem(at, "placeholder '" + p.text() + "' names unknown task '" + p.taskId() + "'");
                    } else if (p.taskId().equals(d.id)) {
                        problem(at, "placeholder '" + p.text() + "' refers to its own task '" + d.id
                                + "' (expected a task this one depends on)");
                    } else {
                        if (upstream == null) {
                            upstream = upstreamOf(d, node, deps, ancestors);
                        }
                        if (!upstream.get(node.get(p.taskId()))) {
                            problem(at, "placeholder '" + p.text() + "' names task '" + p.taskId()
                                    + "', which is not a dependency of task '" + Objects.toString(d.id, "?")
                                    + "' (expected a direct or transitive dependency: add '" + p.taskId()
                                    + "' to dependencies)");
                        }
                    }
                }
            }
        }

        /** The nodes a task depends on, directly or transitively; ancestor sets are memoized per node. */
        private BitSet upstreamOf(Draft d, Map<String, Integer> node, List<List<Integer>> deps, BitSet[] memo) {
            BitSet result = new BitSet(deps.size());
            for (String dep : d.dependencies) {
                int n = node.get(dep);
                result.set(n);
                result.or(ancestorsOf(n, deps, memo));
            }
            return result;
        }

        private BitSet ancestorsOf(int start, List<List<Integer>> deps, BitSet[] memo) {
            if (memo[start] != null) {
                return memo[start];
            }
            BitSet result = new BitSet(deps.size());
            ArrayList<Integer> stack = new ArrayList<>(deps.get(start));
            while (!stack.isEmpty()) {
                int n = stack.remove(stack.size() - 1);
                if (result.get(n)) {
                    continue;
                }
                result.set(n);
                if (memo[n] != null) {
                    result.or(memo[n]); // complete already: no need to walk further up from here
                } else {
                    stack.addAll(deps.get(n));
                }
            }
            memo[start] = result;
            return result;
        }

        // ---- field readers: each reports its own problems and returns null when absent or invalid ----

        private PartialRetry retry(ObjectNode owner, String ownerPath) {
            ObjectNode r = object(owner, ownerPath, "retry");
            if (r == null) {
                return PartialRetry.NONE;
            }
            String path = FieldPaths.key(ownerPath, "retry");
            unknownFields(r, path, RETRY_FIELDS);
            Integer maxAttempts = integer(r, path, "max_attempts", 1);
            Backoff backoff = word(r, path, "backoff", Backoff::fromWire, Backoff.allowedWords());
            Duration base = seconds(r, path, "base_delay", false);
            Duration max = seconds(r, path, "max_delay", false);
            Boolean jitter = bool(r, path, "jitter");
            return new PartialRetry(maxAttempts, backoff, base, max, jitter);
        }

        private void unknownFields(ObjectNode o, String path, List<String> allowed) {
            for (Map.Entry<String, JsonNode> e : o.properties()) {
                String field = e.getKey();
                if (!allowed.contains(field)) {
                    String suggestion = closest(field, allowed);
                    problem(FieldPaths.key(path, field), "unknown field '" + field + "' (expected one of: "
                            + String.join(", ", allowed) + ")"
                            + (suggestion != null ? "; did you mean '" + suggestion + "'?" : ""));
                }
            }
        }

        private String string(ObjectNode o, String path, String field) {
            JsonNode v = present(o, field);
            if (v == null) {
                return null;
            }
            if (!v.isTextual()) {
                problem(FieldPaths.key(path, field), "expected a string, got " + kind(v));
                return null;
            }
            wholeCharacters(v.textValue(), FieldPaths.key(path, field));
            return v.textValue();
        }

        /**
         * A string must be text: a lone UTF-16 surrogate (a JSON escape of one half of a pair without the other) has
         * no UTF-8 form, and the journal would store it as {@code ?}, so the value would not come back as given.
         */
        private void wholeCharacters(String text, String path) {
            wholeCharacters(text, path, "");
        }

        /** As above, for a string that {@code what} names (a key is reported at its object: its path would hold it). */
        private void wholeCharacters(String text, String path, String what) {
            int at = Json.loneSurrogateAt(text);
            if (at >= 0) {
                problem(path, String.format("%scontains a lone UTF-16 surrogate (\\u%04x at character %d), which is "
                        + "not text and could not be kept as given", what, (int) text.charAt(at), at));
            }
        }

        private ObjectNode object(ObjectNode o, String path, String field) {
            JsonNode v = present(o, field);
            if (v == null) {
                return null;
            }
            if (!v.isObject()) {
                problem(FieldPaths.key(path, field), "expected an object, got " + kind(v));
                return null;
            }
            return (ObjectNode) v;
        }

        private Boolean bool(ObjectNode o, String path, String field) {
            JsonNode v = present(o, field);
            if (v == null) {
                return null;
            }
            if (!v.isBoolean()) {
                problem(FieldPaths.key(path, field), "expected a boolean (true or false), got " + kind(v));
                return null;
            }
            return v.booleanValue();
        }

        private <E> E word(ObjectNode o, String path, String field, Function<String, Optional<E>> fromWire,
                           String allowed) {
            JsonNode v = present(o, field);
            if (v == null) {
                return null;
            }
            if (!v.isTextual()) {
                problem(FieldPaths.key(path, field), "expected one of: " + allowed + " (a string), got " + kind(v));
                return null;
            }
            Optional<E> e = fromWire.apply(v.textValue());
            if (e.isEmpty()) {
                problem(FieldPaths.key(path, field), "unknown " + field + " '" + v.textValue() + "' (expected one of: "
                        + allowed + ")");
                return null;
            }
            return e.get();
        }

        private Integer integer(ObjectNode o, String path, String field, int min) {
            JsonNode v = present(o, field);
            if (v == null) {
                return null;
            }
            String at = FieldPaths.key(path, field);
            if (!finiteNumber(v, at, "an integer")) {
                return null;
            }
            BigDecimal d = v.decimalValue();
            if (d.stripTrailingZeros().scale() > 0) {
                problem(at, field + " must be an integer, got " + plain(d));
                return null;
            }
            BigInteger i = d.toBigInteger();
            if (i.compareTo(BigInteger.valueOf(min)) < 0) {
                problem(at, field + " must be an integer >= " + min + ", got " + plain(d));
                return null;
            }
            if (i.compareTo(BigInteger.valueOf(Integer.MAX_VALUE)) > 0) {
                problem(at, field + " must be at most " + Integer.MAX_VALUE + ", got " + plain(d));
                return null;
            }
            return i.intValue();
        }

        /** Seconds as a number, kept to the millisecond; strictly positive for timeouts, >= 0 for delays. */
        private Duration seconds(ObjectNode o, String path, String field, boolean positive) {
            JsonNode v = present(o, field);
            if (v == null) {
                return null;
            }
            String at = FieldPaths.key(path, field);
            if (!finiteNumber(v, at, "a number of seconds")) {
                return null;
            }
            BigDecimal d = v.decimalValue();
            if (positive && d.signum() <= 0) {
                problem(at, field + " must be greater than 0 seconds, got " + plain(d));
                return null;
            }
            if (d.signum() < 0) {
                problem(at, field + " must be 0 or more seconds, got " + plain(d));
                return null;
            }
            if (d.compareTo(MAX_SECONDS) > 0) {
                problem(at, field + " must be at most " + MAX_SECONDS + " seconds (100 days), got " + plain(d));
                return null;
            }
            long millis = d.movePointRight(3).setScale(0, RoundingMode.HALF_UP).longValueExact();
            // Kept to the millisecond: a duration that must be greater than 0 (SPEC §1) and is under half of one
            // is the shortest there is, not a 0 that the rule refuses.
            return Duration.ofMillis(positive ? Math.max(1, millis) : millis);
        }

        private boolean finiteNumber(JsonNode v, String at, String expected) {
            if (!v.isNumber()) {
                problem(at, "expected " + expected + ", got " + kind(v));
                return false;
            }
            if ((v.isDouble() || v.isFloat()) && !Double.isFinite(v.doubleValue())) {
                problem(at, "expected " + expected + ", got " + v.asText());
                return false;
            }
            return true;
        }

        /** Free JSON nests at most {@link Limits#MAX_NESTING} levels deep. */
        private void tooDeep(JsonNode value, String path, String what) {
            int depth = Json.depth(value);
            if (depth > Limits.MAX_NESTING) {
                problem(path, what + " nested " + depth + " levels deep (at most " + Limits.MAX_NESTING + ")");
            }
        }

        /**
         * Free JSON (params, metadata) must be representable as JSON: no NaN or infinity, no binary, only whole
         * characters in its keys and strings.
         */
        private void representable(JsonNode v, String path) {
            if (v.isObject()) {
                for (Map.Entry<String, JsonNode> e : v.properties()) {
                    wholeCharacters(e.getKey(), path, "a key ");
                    representable(e.getValue(), FieldPaths.key(path, e.getKey()));
                }
            } else if (v.isArray()) {
                for (int i = 0; i < v.size(); i++) {
                    representable(v.get(i), FieldPaths.index(path, i));
                }
            } else if ((v.isDouble() || v.isFloat()) && !Double.isFinite(v.doubleValue())) {
                problem(path, "expected a finite number, got " + v.asText() + " (JSON has no NaN or infinity)");
            } else if (v.isTextual()) {
                wholeCharacters(v.textValue(), path);
            } else if (v.isBinary() || v.isPojo()) {
                problem(path, "expected a JSON value, got " + kind(v));
            }
        }

        private void problem(String path, String message) {
            problems.add(new Problem(path, message));
        }
    }

    /** The value of a field, or null when it is absent or explicitly null. */
    private static JsonNode present(ObjectNode o, String field) {
        JsonNode v = o.get(field);
        return v == null || v.isNull() ? null : v;
    }

    private static String plain(BigDecimal d) {
        return d.stripTrailingZeros().toPlainString();
    }

    /** The allowed name nearest to a misspelt one, when it is within edit distance 2; else null. */
    public static String closest(String field, List<String> allowed) {
        String best = null;
        int bestDistance = 3;
        for (String candidate : allowed) {
            int distance = editDistance(field, candidate);
            // A suggestion for a one- or two-letter name would be a guess, not a correction.
            if (distance < bestDistance && distance * 2 < field.length()) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }

    /** Optimal string alignment distance: edits, with a swap of two neighbours counting as one. */
    private static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(d[i - 1][j - 1] + cost, Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1));
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
