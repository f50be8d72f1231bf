package io.gleitzeit.domain;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.fasterxml.jackson.module.paramnames.ParameterNamesModule;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;

/** The shared Jackson mappers and the one compact JSON rendering that SPEC §2 defines. */
public final class Json {

    /**
     * Jackson's defaults, except that a key may be as long as a body may be (16 MiB, {@link YamlAliases#MAX_CHARS}):
     * its default of 50,000 characters refused a valid definition far below the body and params limits.
     */
    private static final StreamReadConstraints READ_CONSTRAINTS = StreamReadConstraints.builder()
            .maxNameLength(YamlAliases.MAX_CHARS).build();

    /**
     * JSON. Duplicate keys and trailing content are errors, because a definition that silently drops
     * one of two {@code "tasks"} keys would run something other than what the user wrote.
     */
    public static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(READ_CONSTRAINTS).build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .addModule(new JavaTimeModule())
            .addModule(new Jdk8Module())
            .addModule(new ParameterNamesModule())
            .build();

    /**
     * YAML, with the same strictness as {@link #MAPPER} (a second document counts as trailing content). An empty
     * plain value ({@code key:}) is null, as YAML 1.1 has it; a quoted one ({@code ''}) stays an empty string.
     */
    public static final ObjectMapper YAML = YAMLMapper.builder(YAMLFactory.builder()
                    .loaderOptions(yamlLoaderOptions()).enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL)
                    .streamReadConstraints(READ_CONSTRAINTS).build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .addModule(new JavaTimeModule())
            .addModule(new Jdk8Module())
            .addModule(new ParameterNamesModule())
            .build();

    /**
     * A document whose aliases were expanded ({@link YamlAliases}) may have up to {@link YamlAliases#MAX_CHARS}
     * characters; a body is far below (1 MiB; the server reads none over 16 MiB). SnakeYAML's default, 3 MiB,
     * refused 80 aliases of a 40 KB value.
     */
    private static LoaderOptions yamlLoaderOptions() {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(YamlAliases.MAX_CHARS);
        return options;
    }

    // A bare factory: compact() must not depend on how MAPPER is configured for other uses.
    private static final JsonFactory FACTORY = new JsonFactory();

    private Json() {}

    /** The index of the first UTF-16 surrogate in {@code text} that is not half of a pair, or -1 when there is none. */
    public static int loneSurrogateAt(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The path (from {@code root}) of the first number in {@code v} that JSON cannot carry, or null: a worker's
     * {@code 1e400} reads as an infinite double, which Jackson would write back as the string {@code "Infinity"}.
     */
    public static String nonFiniteAt(JsonNode v, String root) {
        if (v == null) {
            return null;
        }
        if (v.isFloatingPointNumber()) {
            double d = v.doubleValue();
            return Double.isInfinite(d) || Double.isNaN(d) ? root : null;
        }
        if (v.isObject()) {
            for (Map.Entry<String, JsonNode> e : v.properties()) {
                String at = nonFiniteAt(e.getValue(), FieldPaths.key(root, e.getKey()));
                if (at != null) {
                    return at;
                }
            }
        } else if (v.isArray()) {
            for (int i = 0; i < v.size(); i++) {
                String at = nonFiniteAt(v.get(i), FieldPaths.index(root, i));
                if (at != null) {
                    return at;
                }
            }
        }
        return null;
    }

    /** How deep a value nests: 0 for a scalar, 1 for an object or array of scalars, and so on. */
    public static int depth(JsonNode v) {
        if (v == null || !v.isContainerNode()) {
            return 0;
        }
        int deepest = 0;
        for (JsonNode child : v) {
            deepest = Math.max(deepest, depth(child));
        }
        return deepest + 1;
    }

    /**
     * SPEC §2 compact JSON: no spaces, object keys in the value's order, and a whole-valued floating
     * point number written as an integer ({@code 1.0 -> 1}), so that a number looks the same whether it
     * came from JSON, YAML or a provider that only has doubles.
     */
    public static String compact(JsonNode v) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            write(g, v);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.toString();
    }

    /** A value as text for embedding in a longer string: a string as itself, anything else {@link #compact}. */
    public static String text(JsonNode v) {
        return v != null && v.isTextual() ? v.textValue() : compact(v);
    }

    private static void write(JsonGenerator g, JsonNode v) throws IOException {
        if (v == null) {
            g.writeNull();
            return;
        }
        switch (v.getNodeType()) {
            case OBJECT -> {
                g.writeStartObject();
                for (Map.Entry<String, JsonNode> e : v.properties()) {
                    g.writeFieldName(e.getKey());
                    write(g, e.getValue());
                }
                g.writeEndObject();
            }
            case ARRAY -> {
                g.writeStartArray();
                for (JsonNode element : v) {
                    write(g, element);
                }
                g.writeEndArray();
            }
            case STRING -> g.writeString(v.textValue());
            case BOOLEAN -> g.writeBoolean(v.booleanValue());
            case NUMBER -> writeNumber(g, v);
            case NULL, MISSING -> g.writeNull();
            // Binary and POJO nodes never come out of a parsed document; render them as their text.
            default -> g.writeString(v.asText());
        }
    }

    private static void writeNumber(JsonGenerator g, JsonNode v) throws IOException {
        if (v.isIntegralNumber()) {
            if (v.canConvertToLong()) {
                g.writeNumber(v.longValue());
            } else {
                g.writeNumber(v.bigIntegerValue());
            }
        } else if (v.isBigDecimal()) {
            BigDecimal d = v.decimalValue();
            BigInteger whole = wholeOrNull(d);
            if (whole != null) {
                g.writeNumber(whole);
            } else {
                g.writeNumber(d.stripTrailingZeros());
            }
        } else {
            double d = v.doubleValue();
            if (Double.isFinite(d) && d == Math.rint(d)) {
                g.writeNumber(BigDecimal.valueOf(d).toBigIntegerExact());
            } else {
                g.writeNumber(d); // non-finite values are quoted by the generator's defaults
            }
        }
    }

    private static BigInteger wholeOrNull(BigDecimal d) {
        try {
            return d.toBigIntegerExact();
        } catch (ArithmeticException notWhole) {
            return null;
        }
    }
}
