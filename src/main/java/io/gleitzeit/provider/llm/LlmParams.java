package io.gleitzeit.provider.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.provider.TaskFailure;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The params of one {@code llm/*} task, checked: {@code llm/generate {prompt, system, model, max_tokens,
 * temperature}}, {@code llm/chat {messages [{role, content}], model, max_tokens, temperature}}, {@code llm/embed
 * {input (text or list of texts), model}}. {@code model} defaults to the provider's. Every problem (a missing or
 * malformed param, an unknown one) is a non-retryable {@link TaskFailure} naming the param.
 */
public record LlmParams(String method, String model, String prompt, String system, ArrayNode messages,
                        JsonNode input, Integer maxTokens, Double temperature) {

  public static final String GENERATE = "llm/generate";
  public static final String CHAT = "llm/chat";
  public static final String EMBED = "llm/embed";

  private static final Map<String, Set<String>> KEYS = Map.of(
      GENERATE, Set.of("prompt", "system", "model", "max_tokens", "temperature"),
      CHAT, Set.of("messages", "model", "max_tokens", "temperature"),
      EMBED, Set.of("input", "model"));

  public static LlmParams parse(String method, ObjectNode params, String defaultModel) {
    Set<String> known = KEYS.get(method);
    if (known == null) {
      throw new TaskFailure("the llm provider does not serve " + method + " (it serves " + GENERATE + ", " + CHAT
          + ", " + EMBED + ")", false);
    }
    List<String> problems = new ArrayList<>();
    for (Iterator<String> it = params.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!known.contains(key)) {
        problems.add("unknown param '" + key + "' (known: " + String.join(", ", known.stream().sorted().toList())
            + ")");
      }
    }
    String model = defaultModel == null ? "" : defaultModel;
    JsonNode m = params.get("model");
    if (m != null && !m.isNull()) {
      if (!m.isTextual() || m.asText().isBlank()) {
        problems.add("'model' must be a non-empty text, got " + m);
      } else {
        model = m.asText().trim();
      }
    } else if (model.isEmpty()) {
      problems.add("'model' is required (the provider has no default model)");
    }
    String prompt = null;
    String system = null;
    ArrayNode messages = null;
    JsonNode input = null;
    switch (method) {
      case GENERATE -> {
        prompt = requiredText(params, "prompt", problems);
        system = optionalText(params, "system", problems);
      }
      case CHAT -> messages = messages(params.get("messages"), problems);
      default -> input = input(params.get("input"), problems);
    }
    Integer maxTokens = null;
    JsonNode mt = params.get("max_tokens");
    if (mt != null && !mt.isNull()) {
      if (!mt.isIntegralNumber() || !mt.canConvertToInt() || mt.asInt() <= 0) {
        problems.add("'max_tokens' must be a whole number > 0, got " + mt);
      } else {
        maxTokens = mt.asInt();
      }
    }
    Double temperature = null;
    JsonNode t = params.get("temperature");
    if (t != null && !t.isNull()) {
      if (!t.isNumber() || t.asDouble() < 0 || t.asDouble() > 2) {
        problems.add("'temperature' must be a number from 0 to 2, got " + t);
      } else {
        temperature = t.asDouble();
      }
    }
    if (!problems.isEmpty()) {
      throw new TaskFailure(method + ": " + String.join("; ", problems), false);
    }
    return new LlmParams(method, model, prompt, system, messages, input, maxTokens, temperature);
  }

  private static String requiredText(ObjectNode params, String name, List<String> problems) {
    JsonNode v = params.get(name);
    if (v == null || v.isNull()) {
      problems.add("'" + name + "' is required");
      return null;
    }
    if (!v.isTextual()) {
      problems.add("'" + name + "' must be text, got " + v.getNodeType());
      return null;
    }
    return v.asText();
  }

  private static String optionalText(ObjectNode params, String name, List<String> problems) {
    JsonNode v = params.get(name);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      problems.add("'" + name + "' must be text, got " + v.getNodeType());
      return null;
    }
    return v.asText();
  }

  private static ArrayNode messages(JsonNode v, List<String> problems) {
    if (v == null || v.isNull()) {
      problems.add("'messages' is required: a list of {role, content}");
      return null;
    }
    if (!v.isArray() || v.isEmpty()) {
      problems.add("'messages' must be a non-empty list of {role, content}, got " + v);
      return null;
    }
    for (int i = 0; i < v.size(); i++) {
      JsonNode msg = v.get(i);
      if (!msg.isObject() || !msg.path("role").isTextual() || msg.path("role").asText().isBlank()
          || !msg.path("content").isTextual()) {
        problems.add("'messages[" + i + "]' must be an object with text 'role' and 'content', got " + msg);
      }
    }
    return (ArrayNode) v.deepCopy();
  }

  private static JsonNode input(JsonNode v, List<String> problems) {
    if (v == null || v.isNull()) {
      problems.add("'input' is required: a text or a list of texts");
      return null;
    }
    if (v.isTextual()) {
      return v;
    }
    if (v.isArray() && !v.isEmpty()) {
      boolean allText = true;
      for (JsonNode e : v) {
        allText &= e.isTextual();
      }
      if (allText) {
        return v.deepCopy();
      }
    }
    problems.add("'input' must be a text or a non-empty list of texts, got " + v);
    return null;
  }
}
