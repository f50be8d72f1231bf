package io.gleitzeit.domain;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Reads a provider registration (SPEC §5 {@code POST /providers}, SPEC §6) and validates all of it, reporting
 * every problem at once, each with the path of the field it concerns ({@code methods[1]}, {@code labels.zone}).
 *
 * <p>As in {@link DefinitionParser}, the body is walked as a tree rather than bound to a class, so that nothing
 * stops at the first error. Rules beyond SPEC §6's wording, decided here:
 * <ul>
 *   <li>a field given as {@code null} counts as absent, like in workflow definitions;</li>
 *   <li>a prefix entry is a protocol, {@code '/'}, the start of an operation (possibly empty) and one trailing
 *       {@code '*'}: {@code test/*}, {@code mcp/tool.*}. A bare {@code *} or {@code mcp*} is rejected, because a
 *       provider that claims every protocol would be handed work it cannot understand;</li>
 *   <li>the same entry listed twice is an error (a sign of a typo elsewhere); overlapping entries such as
 *       {@code test/echo} and {@code test/*} are allowed;</li>
 *   <li>{@code max_concurrency} may be written as a whole decimal ({@code 4.0}) and is at most
 *       {@link #MAX_CONCURRENCY}, which keeps load arithmetic and per-slot bookkeeping small.</li>
 * </ul>
 */
public final class ProviderSpecParser {

    public static final Set<String> TYPES = Set.of("external", "test", "mcp", "llm", "http", "script");
    public static final Pattern PROVIDER_ID = DefinitionParser.PROVIDER_ID;
    public static final Pattern METHOD = DefinitionParser.METHOD;
    /** A prefix entry: {@link #METHOD}'s protocol and {@code '/'}, the start of an operation, one {@code '*'}. */
    public static final Pattern METHOD_PREFIX = Pattern.compile("[A-Za-z0-9_-]+/[A-Za-z0-9_.:-]*\\*");
    public static final int DEFAULT_MAX_CONCURRENCY = 1;
    public static final int MAX_CONCURRENCY = 100_000;

    static final List<String> FIELDS = List.of("id", "type", "methods", "max_concurrency", "labels");

    // Set.of has no order; messages list the words sorted so that they read the same every time.
    private static final String TYPE_WORDS = String.join(", ", new TreeSet<>(TYPES));

    /** Parses a {@code POST /providers} JSON body; never throws for bad input. */
    public ProviderSpecResult parse(byte[] json) {
        JsonNode root;
        try {
            root = json == null || json.length == 0 ? null : Json.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            return invalid(SyntaxErrors.describe(e, "JSON",
                    "unexpected content after the end of the registration (expected exactly one JSON object)"));
        } catch (IOException | RuntimeException e) {
            // Any other parser failure is still bad input, never a server error.
            return invalid("invalid JSON: " + SyntaxErrors.oneLine(String.valueOf(e.getMessage())));
        }
        return parse(root);
    }

    /** The same checks on an already-parsed tree (providers declared in configuration); never throws. */
    public ProviderSpecResult parse(JsonNode tree) {
        if (tree == null || tree.isMissingNode()) {
            return invalid("empty body (expected a provider registration object)");
        }
        if (!tree.isObject()) {
            return invalid("expected the registration to be an object, got " + DefinitionParser.kind(tree));
        }
        return new Walk((ObjectNode) tree).run();
    }

    private static ProviderSpecResult invalid(String message) {
        return new ProviderSpecResult.Invalid(List.of(new Problem("$", message)));
    }

    /** The value of a field, or null when it is absent or explicitly null. */
    private static JsonNode present(ObjectNode o, String field) {
        JsonNode v = o.get(field);
        return v == null || v.isNull() ? null : v;
    }

    private static String plain(BigDecimal d) {
        return d.stripTrailingZeros().toPlainString();
    }

    /** One validation run over one body; collects problems instead of stopping at the first. */
    private static final class Walk {
        private final ObjectNode doc;
        private final List<Problem> problems = new ArrayList<>();

        Walk(ObjectNode doc) {
            this.doc = doc;
        }

        ProviderSpecResult run() {
            unknownFields();
            String id = id();
            String type = type();
            List<String> methods = methods();
            Integer maxConcurrency = maxConcurrency();
            Map<String, String> labels = labels();
            if (!problems.isEmpty()) {
                return new ProviderSpecResult.Invalid(problems);
            }
            return new ProviderSpecResult.Valid(new ProviderSpec(id, type, methods,
                    maxConcurrency != null ? maxConcurrency : DEFAULT_MAX_CONCURRENCY, labels));
        }

        private void unknownFields() {
            for (Map.Entry<String, JsonNode> e : doc.properties()) {
                String field = e.getKey();
                if (!FIELDS.contains(field)) {
                    String suggestion = DefinitionParser.closest(field, FIELDS);
                    problem(FieldPaths.key("", field), "unknown field '" + field + "' (expected one of: "
                            + String.join(", ", FIELDS) + ")"
                            + (suggestion != null ? "; did you mean '" + suggestion + "'?" : ""));
                }
            }
        }

        private String id() {
            JsonNode v = present(doc, "id");
            if (v == null) {
                problem("id", "missing required field 'id' (" + DefinitionParser.ID_RULE + ")");
                return null;
            }
            if (!v.isTextual()) {
                problem("id", "expected a string, got " + DefinitionParser.kind(v));
                return null;
            }
            if (!PROVIDER_ID.matcher(v.textValue()).matches()) {
                problem("id", "provider id '" + v.textValue() + "' is invalid ("
                        + DefinitionParser.ID_RULE + ")");
                return null;
            }
            return v.textValue();
        }

        private String type() {
            JsonNode v = present(doc, "type");
            if (v == null) {
                problem("type", "missing required field 'type' (expected one of: " + TYPE_WORDS + ")");
                return null;
            }
            if (!v.isTextual()) {
                problem("type", "expected one of: " + TYPE_WORDS + " (a string), got " + DefinitionParser.kind(v));
                return null;
            }
            if (!TYPES.contains(v.textValue())) {
                problem("type", "unknown type '" + v.textValue() + "' (expected one of: " + TYPE_WORDS + ")");
                return null;
            }
            return v.textValue();
        }

        private List<String> methods() {
            JsonNode v = present(doc, "methods");
            if (v == null) {
                problem("methods", "missing required field 'methods' (expected a non-empty array of methods, "
                        + "e.g. [\"test/echo\", \"mcp/tool.*\"])");
                return null;
            }
            if (!v.isArray()) {
                problem("methods", "expected an array of methods, got " + DefinitionParser.kind(v));
                return null;
            }
            if (v.isEmpty()) {
                problem("methods", "methods must not be empty (expected at least one method)");
                return null;
            }
            List<String> valid = new ArrayList<>();
            Map<String, Integer> seenAt = new HashMap<>();
            for (int i = 0; i < v.size(); i++) {
                JsonNode m = v.get(i);
                String at = FieldPaths.index("methods", i);
                if (!m.isTextual()) {
                    problem(at, "expected a method (string), got " + DefinitionParser.kind(m));
                    continue;
                }
                String method = m.textValue();
                if (method.indexOf('*') >= 0 ? !METHOD_PREFIX.matcher(method).matches()
                        : !METHOD.matcher(method).matches()) {
                    problem(at, malformed(method));
                } else if (seenAt.containsKey(method)) {
                    problem(at, "duplicate method '" + method + "' (already listed at "
                            + FieldPaths.index("methods", seenAt.get(method)) + ")");
                } else {
                    seenAt.put(method, i);
                    valid.add(method);
                }
            }
            return valid;
        }

        private static String malformed(String method) {
            if (method.indexOf('*') >= 0) {
                return "malformed method prefix '" + method + "' (expected '<protocol>/', the start of an operation "
                        + "and a single trailing '*', e.g. 'mcp/tool.*' or 'test/*')";
            }
            return "malformed method '" + method + "' (expected '<protocol>/<operation>' with protocol "
                    + "[A-Za-z0-9_-]+ and operation [A-Za-z0-9_.:-]+, e.g. 'test/echo', or a prefix ending in '*', "
                    + "e.g. 'mcp/tool.*')";
        }

        private Integer maxConcurrency() {
            JsonNode v = present(doc, "max_concurrency");
            if (v == null) {
                return null;
            }
            String at = "max_concurrency";
            if (!v.isNumber()) {
                problem(at, "expected an integer, got " + DefinitionParser.kind(v));
                return null;
            }
            if ((v.isDouble() || v.isFloat()) && !Double.isFinite(v.doubleValue())) {
                problem(at, "expected an integer, got " + v.asText());
                return null;
            }
            BigDecimal d = v.decimalValue();
            if (d.stripTrailingZeros().scale() > 0) {
                problem(at, "max_concurrency must be an integer, got " + plain(d));
                return null;
            }
            BigInteger i = d.toBigInteger();
            if (i.compareTo(BigInteger.ONE) < 0) {
                problem(at, "max_concurrency must be an integer >= 1, got " + plain(d));
                return null;
            }
            if (i.compareTo(BigInteger.valueOf(MAX_CONCURRENCY)) > 0) {
                problem(at, "max_concurrency must be at most " + MAX_CONCURRENCY + ", got " + plain(d));
                return null;
            }
            return i.intValue();
        }

        private Map<String, String> labels() {
            JsonNode v = present(doc, "labels");
            if (v == null) {
                return Map.of();
            }
            if (!v.isObject()) {
                problem("labels", "expected an object of string labels, got " + DefinitionParser.kind(v));
                return null;
            }
            Map<String, String> labels = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : v.properties()) {
                JsonNode value = e.getValue();
                if (!value.isTextual()) {
                    problem(FieldPaths.key("labels", e.getKey()),
                            "expected a string label value, got " + DefinitionParser.kind(value));
                } else {
                    labels.put(e.getKey(), value.textValue());
                }
            }
            return labels;
        }

        private void problem(String path, String message) {
            problems.add(new Problem(path, message));
        }
    }
}
