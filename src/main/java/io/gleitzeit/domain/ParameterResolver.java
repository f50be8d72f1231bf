package io.gleitzeit.domain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Substitutes placeholders in a task's params (SPEC §2). Substitution happens once: the result is built
 * from the original strings only, so an inserted value is never scanned again.
 */
public final class ParameterResolver {

    private final int auditValueLimitBytes;

    /**
     * @param auditValueLimitBytes an audited value whose compact JSON is longer than this many UTF-8 bytes is
     *                             recorded as a text of its first that-many characters followed by "…"
     */
    public ParameterResolver(int auditValueLimitBytes) {
        if (auditValueLimitBytes < 0) {
            throw new IllegalArgumentException("auditValueLimitBytes must be >= 0, got " + auditValueLimitBytes);
        }
        this.auditValueLimitBytes = auditValueLimitBytes;
    }

    /**
     * Resolves every placeholder of {@code params}, which is not modified. {@code outcomes} gives what a task
     * left behind, or null for a task it does not know, which fails the resolution.
     */
    public Resolution resolve(ObjectNode params, Function<String, TaskOutcome> outcomes) {
        ObjectNode copy = params.deepCopy();
        Run run = new Run(outcomes);
        Resolution.Failed failed = run.walk(copy, "$");
        return failed != null ? failed : new Resolution.Resolved(copy, run.audit);
    }

    /** Signals the first failure out of the walk. */
    private static final class Failure extends Exception {
        final transient Resolution.Failed failed;

        Failure(Resolution.Failed failed) {
            super(null, null, false, false);
            this.failed = failed;
        }
    }

    private final class Run {
        private final Function<String, TaskOutcome> outcomes;
        private final List<Substitution> audit = new ArrayList<>();

        Run(Function<String, TaskOutcome> outcomes) {
            this.outcomes = outcomes;
        }

        Resolution.Failed walk(ObjectNode root, String rootPath) {
            try {
                walkObject(root, rootPath, 1);
                return null;
            } catch (Failure f) {
                return f.failed;
            }
        }

        /** {@code containers}: the objects and arrays around a member of {@code object}, itself included. */
        private void walkObject(ObjectNode object, String path, int containers) throws Failure {
            // Collect first: replacing values while iterating the object's entries is not allowed.
            List<String> names = new ArrayList<>();
            object.properties().forEach(e -> names.add(e.getKey()));
            for (String name : names) {
                JsonNode replaced = walkValue(object.get(name), FieldPaths.key(path, name), containers);
                if (replaced != null) {
                    object.set(name, replaced);
                }
            }
        }

        private void walkArray(ArrayNode array, String path, int containers) throws Failure {
            for (int i = 0; i < array.size(); i++) {
                JsonNode replaced = walkValue(array.get(i), FieldPaths.index(path, i), containers);
                if (replaced != null) {
                    array.set(i, replaced);
                }
            }
        }

        /** Returns the node that replaces {@code value}, or null to keep it. */
        private JsonNode walkValue(JsonNode value, String path, int containers) throws Failure {
            if (value.isObject()) {
                walkObject((ObjectNode) value, path, containers + 1);
            } else if (value.isArray()) {
                walkArray((ArrayNode) value, path, containers + 1);
            } else if (value.isTextual() && Placeholders.hasMarkup(value.textValue())) {
                return substitute(value.textValue(), path, containers);
            }
            return null;
        }

        private JsonNode substitute(String s, String path, int containers) throws Failure {
            List<Placeholders.Segment> segments = Placeholders.segments(s);
            if (segments.size() == 1 && segments.get(0) instanceof Placeholders.Segment.Ref ref) {
                // Exactly one placeholder: the value keeps its JSON type.
                JsonNode value = valueOf(ref.placeholder(), path);
                int depth = containers + Json.depth(value);
                if (depth > Limits.MAX_NESTING) {
                    throw fail(ref.placeholder(), path, "the params would nest " + depth + " levels deep with this "
                            + "value (at most " + Limits.MAX_NESTING + ")");
                }
                return value.deepCopy();
            }
            StringBuilder out = new StringBuilder();
            for (Placeholders.Segment segment : segments) {
                if (segment instanceof Placeholders.Segment.Literal literal) {
                    out.append(literal.text());
                } else if (segment instanceof Placeholders.Segment.Ref ref) {
                    out.append(Json.text(valueOf(ref.placeholder(), path)));
                } else if (segment instanceof Placeholders.Segment.Malformed bad) {
                    throw new Failure(new Resolution.Failed(bad.text(), path, bad.message()));
                }
            }
            return TextNode.valueOf(out.toString());
        }

        private JsonNode valueOf(Placeholder p, String path) throws Failure {
            TaskOutcome outcome = outcomes.apply(p.taskId());
            if (outcome == null) {
                throw fail(p, path, "no outcome for task " + p.taskId() + " (unknown task or not finished)");
            }
            JsonNode value = switch (p.field()) {
                case RESULT -> orNull(outcome.result());
                case STATUS -> outcome.status() == null ? NullNode.getInstance() : TextNode.valueOf(outcome.status());
                case PROVIDER_ID -> outcome.providerId() == null
                        ? NullNode.getInstance() : TextNode.valueOf(outcome.providerId());
                case DURATION_MS -> number(outcome.durationMs());
            };
            StringBuilder where = new StringBuilder("result");
            for (PathStep step : p.path()) {
                value = step(value, step, p, path, where);
                where.append(step.render());
            }
            addAudit(path, p, value);
            return value;
        }

        private JsonNode step(JsonNode value, PathStep step, Placeholder p, String path, StringBuilder where)
                throws Failure {
            String in = " in " + where + " of task " + p.taskId();
            if (step instanceof PathStep.Key key) {
                if (!value.isObject()) {
                    throw fail(p, path, "cannot step into " + kindWithArticle(value) + " with '" + step.render() + "'" + in);
                }
                JsonNode next = value.get(key.name());
                if (next == null) {
                    throw fail(p, path, "key '" + key.name() + "' not found" + in);
                }
                return next;
            }
            PathStep.Index index = (PathStep.Index) step;
            if (!value.isArray()) {
                throw fail(p, path, "cannot step into " + kindWithArticle(value) + " with '" + step.render() + "'" + in);
            }
            if (index.index() >= value.size()) {
                throw fail(p, path, "index " + index.index() + " out of range (size " + value.size() + ")" + in);
            }
            return value.get(index.index());
        }

        private void addAudit(String path, Placeholder p, JsonNode value) {
            // Measured as it would be cut: a string's own text (without JSON's quotes and escapes), anything else
            // as compact JSON; a value that fits whole is kept whole, with its type.
            String text = Json.text(value);
            if (text.getBytes(StandardCharsets.UTF_8).length <= auditValueLimitBytes) {
                audit.add(new Substitution(path, p.text(), value.deepCopy(), false));
            } else {
                audit.add(new Substitution(path, p.text(), TextNode.valueOf(prefix(text) + "…"), true));
            }
        }

        /** The longest prefix of {@code text} of at most the limit's bytes in UTF-8, not cutting a character. */
        private String prefix(String text) {
            int bytes = 0;
            int end = 0;
            while (end < text.length()) {
                int codePoint = text.codePointAt(end);
                int size = codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
                if (bytes + size > auditValueLimitBytes) {
                    break;
                }
                bytes += size;
                end += Character.charCount(codePoint);
            }
            return text.substring(0, end);
        }
    }

    private static Failure fail(Placeholder p, String path, String reason) {
        return new Failure(new Resolution.Failed(p.text(), path, reason));
    }

    private static JsonNode orNull(JsonNode v) {
        return v == null || v.isMissingNode() ? NullNode.getInstance() : v;
    }

    // Small durations become IntNode, as they would when read back from JSON, so values compare equal.
    private static JsonNode number(Long v) {
        if (v == null) {
            return NullNode.getInstance();
        }
        return v == v.intValue() ? IntNode.valueOf(v.intValue()) : LongNode.valueOf(v);
    }

    static String kindWithArticle(JsonNode v) {
        return switch (v.getNodeType()) {
            case OBJECT -> "an object";
            case ARRAY -> "an array";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL, MISSING -> "null";
            default -> "a " + v.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
