package io.gleitzeit.domain;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.Set;

/**
 * Explicit YAML tags ({@code !!int 5}, {@code !env HOME}) in a definition. A definition is plain JSON data, so only
 * YAML's own types are accepted, and only on a value that is one: {@code !!str}, {@code !!int}, {@code !!float},
 * {@code !!bool}, {@code !!null}, {@code !!map}, {@code !!seq}. Jackson's reader otherwise keeps the text of a
 * value that does not fit its tag ({@code !!int abc} was the string "abc", {@code !!null x} dropped "x") and reads
 * any other tag's value as a string ({@code !env HOME} became "HOME"): a definition would run with values its
 * author did not write.
 */
final class YamlTags {

    private static final String YAML_TAG = "tag:yaml.org,2002:";
    private static final Set<String> ACCEPTED = Set.of("str", "int", "float", "bool", "null", "map", "seq");
    private static final Set<String> NULL_SPELLINGS = Set.of("", "~", "null", "Null", "NULL");

    private YamlTags() {}

    /**
     * The first tag of {@code body} that is not accepted, or null when there is none (also when the body is not
     * valid YAML: the parse that follows says why).
     */
    static Problem firstRefused(byte[] body) {
        if (!mayHaveTags(body)) {
            return null;
        }
        try (JsonParser p = Json.YAML.getFactory().createParser(body)) {
            JsonToken token;
            while ((token = p.nextToken()) != null) {
                // A key reports its object's tag again: only values are checked.
                Object typeId = token == JsonToken.FIELD_NAME ? null : p.getTypeId();
                if (!(typeId instanceof String tag)) {
                    continue;
                }
                String refusal = refusal(p, token, tag);
                if (refusal != null) {
                    return new Problem(ParsePaths.of(p, token), refusal);
                }
            }
            return null;
        } catch (IOException | RuntimeException notYaml) {
            return null;
        }
    }

    /**
     * Whether a '!' starts a token somewhere (at the start, or after a space, a line break, '[', '{' or ','), as a
     * tag does: text such as "Hello!" costs no second reading of the body.
     */
    private static boolean mayHaveTags(byte[] body) {
        for (int i = 0; i < body.length; i++) {
            if (body[i] == '!' && (i == 0 || " \t\r\n[{,".indexOf(body[i - 1]) >= 0)) {
                return true;
            }
        }
        return false;
    }

    /** Why the value at {@code p} may not carry {@code tag}, or null when it may. */
    private static String refusal(JsonParser p, JsonToken token, String tag) throws IOException {
        String type = tag.startsWith(YAML_TAG) ? tag.substring(YAML_TAG.length()) : null;
        boolean accepted = type != null && ACCEPTED.contains(type);
        boolean fits = accepted && switch (type) {
            case "str" -> token == JsonToken.VALUE_STRING;
            case "int" -> token == JsonToken.VALUE_NUMBER_INT;
            case "float" -> token.isNumeric() && isNumber(p);
            case "bool" -> token.isBoolean();
            case "null" -> token == JsonToken.VALUE_NULL && NULL_SPELLINGS.contains(p.getText());
            case "map" -> token == JsonToken.START_OBJECT;
            case "seq" -> token == JsonToken.START_ARRAY;
            default -> false;
        };
        if (fits) {
            return null;
        }
        String shown = type != null ? "!!" + type : tag.contains(":") ? "!<" + tag + ">" : "!" + tag;
        if (!accepted) {
            return "the YAML tag " + shown + " is not supported: a definition holds plain values (JSON's types); "
                    + "write the value without a tag";
        }
        return (token.isScalarValue() ? "'" + p.getText() + "'" : "this value") + " is not a " + shown
                + " (write the value without a tag, or one that fits it)";
    }

    private static boolean isNumber(JsonParser p) {
        try {
            p.getNumberValue();
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
