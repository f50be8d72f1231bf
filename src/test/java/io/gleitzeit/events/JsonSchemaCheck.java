package io.gleitzeit.events;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.domain.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A small JSON Schema validator for the keywords the envelope schema uses (type, enum, pattern, minimum,
 * minLength, required, properties, additionalProperties: false, allOf, if/then/else). No JSON Schema library
 * is available offline, and one schema does not justify a large dependency. An unsupported keyword fails
 * loudly, so the schema cannot silently say more than is checked.
 */
final class JsonSchemaCheck {

  private static final java.util.Set<String> KEYWORDS = java.util.Set.of("$schema", "$id", "title", "description",
      "type", "enum", "pattern", "minimum", "minLength", "required", "properties", "additionalProperties", "allOf",
      "if", "then", "else");

  private final JsonNode schema;

  private JsonSchemaCheck(JsonNode schema) {
    this.schema = schema;
  }

  static JsonSchemaCheck envelopeSchema() {
    try (InputStream in = JsonSchemaCheck.class.getResourceAsStream("/schema/event-envelope.schema.json")) {
      return new JsonSchemaCheck(Json.MAPPER.readTree(in));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  JsonNode schema() {
    return schema;
  }

  /** The problems of {@code value}, each with its path; empty when it is valid. */
  List<String> problems(JsonNode value) {
    List<String> out = new ArrayList<>();
    check(schema, value, "$", out);
    return out;
  }

  private void check(JsonNode s, JsonNode v, String path, List<String> out) {
    for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!KEYWORDS.contains(k)) {
        throw new IllegalArgumentException("unsupported schema keyword '" + k + "' at " + path);
      }
    }
    if (s.has("type") && !typeMatches(s.get("type"), v)) {
      out.add(path + ": expected " + s.get("type") + ", got " + v);
      return;
    }
    if (s.has("enum")) {
      boolean found = false;
      for (JsonNode option : s.get("enum")) {
        found |= option.equals(v);
      }
      if (!found) {
        out.add(path + ": " + v + " is not one of " + s.get("enum"));
      }
    }
    if (s.has("pattern") && v.isTextual() && !Pattern.compile(s.get("pattern").asText()).matcher(v.asText()).find()) {
      out.add(path + ": '" + v.asText() + "' does not match " + s.get("pattern").asText());
    }
    if (s.has("minimum") && v.isNumber() && v.asDouble() < s.get("minimum").asDouble()) {
      out.add(path + ": " + v + " < " + s.get("minimum"));
    }
    if (s.has("minLength") && v.isTextual() && v.asText().length() < s.get("minLength").asInt()) {
      out.add(path + ": shorter than " + s.get("minLength"));
    }
    if (v.isObject()) {
      for (JsonNode r : s.path("required")) {
        if (!v.has(r.asText())) {
          out.add(path + ": lacks '" + r.asText() + "'");
        }
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        JsonNode sub = s.path("properties").get(field.getKey());
        if (sub != null) {
          check(sub, field.getValue(), path + "." + field.getKey(), out);
        } else if (s.path("additionalProperties").isBoolean() && !s.get("additionalProperties").asBoolean()) {
          out.add(path + ": unexpected key '" + field.getKey() + "'");
        }
      }
    }
    for (JsonNode sub : s.path("allOf")) {
      check(sub, v, path, out);
    }
    if (s.has("if")) {
      List<String> condition = new ArrayList<>();
      check(s.get("if"), v, path, condition);
      JsonNode branch = condition.isEmpty() ? s.get("then") : s.get("else");
      if (branch != null) {
        check(branch, v, path, out);
      }
    }
  }

  private static boolean typeMatches(JsonNode type, JsonNode v) {
    if (type.isArray()) {
      for (JsonNode t : type) {
        if (typeMatches(t, v)) {
          return true;
        }
      }
      return false;
    }
    return switch (type.asText()) {
      case "object" -> v.isObject();
      case "array" -> v.isArray();
      case "string" -> v.isTextual();
      case "integer" -> v.isIntegralNumber();
      case "number" -> v.isNumber();
      case "boolean" -> v.isBoolean();
      case "null" -> v.isNull();
      default -> throw new IllegalArgumentException("unknown type " + type);
    };
  }
}
