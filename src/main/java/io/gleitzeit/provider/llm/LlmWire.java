package io.gleitzeit.provider.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.provider.llm.LlmSettings.Api;

/**
 * The wire formats: the path and JSON body of a call, and the result made of a 200 answer. Ollama: {@code
 * /api/generate}, {@code /api/chat}, {@code /api/embed}, non-streaming. OpenAI-compatible: {@code /v1/completions},
 * {@code /v1/chat/completions}, {@code /v1/embeddings}. An answer of an unexpected shape is an {@link Unexpected}.
 */
final class LlmWire {

  /** A 200 answer whose body is not what the API promises. */
  static class Unexpected extends RuntimeException {
    Unexpected(String message) {
      super(message, null, false, false);
    }

    /** Whether another attempt may get a whole answer: the answer was cut short, not malformed. */
    boolean retryable() {
      return false;
    }
  }

  /**
   * A stream that ended before its closing line: the connection was closed early (the server, a proxy, a
   * network), which another attempt may not meet, as a chunked body cut short is a retryable connection error.
   */
  static final class CutShort extends Unexpected {
    CutShort(String message) {
      super(message);
    }

    @Override
    boolean retryable() {
      return true;
    }
  }

  private LlmWire() {}

  static String path(Api api, String method) {
    return switch (method) {
      case LlmParams.GENERATE -> api == Api.OLLAMA ? "/api/generate" : "/v1/completions";
      case LlmParams.CHAT -> api == Api.OLLAMA ? "/api/chat" : "/v1/chat/completions";
      default -> api == Api.OLLAMA ? "/api/embed" : "/v1/embeddings";
    };
  }

  static ObjectNode body(Api api, LlmParams p) {
    return body(api, p, false);
  }

  /** With {@code stream}, a generate or chat answer is asked for as a stream (see {@link LlmStream}). */
  static ObjectNode body(Api api, LlmParams p, boolean stream) {
    ObjectNode b = Json.MAPPER.createObjectNode().put("model", p.model());
    switch (p.method()) {
      case LlmParams.GENERATE -> {
        if (api == Api.OLLAMA) {
          b.put("prompt", p.prompt());
          if (p.system() != null) {
            b.put("system", p.system());
          }
        } else {
          // the completions API has no system prompt: it leads the prompt
          b.put("prompt", p.system() == null ? p.prompt() : p.system() + "\n\n" + p.prompt());
        }
      }
      case LlmParams.CHAT -> b.set("messages", p.messages());
      default -> {
        b.set("input", p.input());
        return b;
      }
    }
    if (api == Api.OLLAMA) {
      b.put("stream", stream);
      if (p.maxTokens() != null || p.temperature() != null) {
        ObjectNode options = b.putObject("options");
        if (p.maxTokens() != null) {
          options.put("num_predict", p.maxTokens());
        }
        if (p.temperature() != null) {
          options.put("temperature", p.temperature());
        }
      }
    } else {
      if (stream) {
        b.put("stream", true);
      }
      if (p.maxTokens() != null) {
        b.put("max_tokens", p.maxTokens());
      }
      if (p.temperature() != null) {
        b.put("temperature", p.temperature());
      }
    }
    return b;
  }

  /** The task's result of a 200 answer {@code r}; {@code measuredMs} is used where the server reports no duration. */
  static ObjectNode result(Api api, LlmParams p, JsonNode r, long measuredMs) {
    if (r == null || !r.isObject()) {
      throw new Unexpected("the body is not a JSON object");
    }
    ObjectNode out = Json.MAPPER.createObjectNode();
    String model = r.path("model").isTextual() ? r.get("model").asText() : p.model();
    if (p.method().equals(LlmParams.EMBED)) {
      ArrayNode embeddings = out.putArray("embeddings");
      if (api == Api.OLLAMA) {
        JsonNode e = r.get("embeddings");
        if (e == null || !e.isArray()) {
          throw new Unexpected("no 'embeddings' list");
        }
        e.forEach(v -> embeddings.add(vector(v)));
      } else {
        JsonNode data = r.get("data");
        if (data == null || !data.isArray()) {
          throw new Unexpected("no 'data' list");
        }
        JsonNode[] ordered = new JsonNode[data.size()];
        for (int i = 0; i < data.size(); i++) {
          JsonNode d = data.get(i);
          int index = d.path("index").isIntegralNumber() ? d.get("index").asInt() : i;
          if (index < 0 || index >= ordered.length || ordered[index] != null) {
            throw new Unexpected("'data[" + i + "].index' is " + d.get("index"));
          }
          ordered[index] = vector(d.get("embedding"));
        }
        for (JsonNode v : ordered) {
          embeddings.add(v);
        }
      }
      out.put("model", model);
      return out;
    }
    String field = p.method().equals(LlmParams.GENERATE) ? "response" : "content";
    JsonNode text;
    if (api == Api.OLLAMA) {
      text = p.method().equals(LlmParams.GENERATE) ? r.get("response") : r.path("message").get("content");
    } else {
      JsonNode choice = r.path("choices").path(0);
      text = p.method().equals(LlmParams.GENERATE) ? choice.get("text") : choice.path("message").get("content");
    }
    if (text == null || !text.isTextual()) {
      throw new Unexpected("no text at " + (api == Api.OLLAMA
          ? (p.method().equals(LlmParams.GENERATE) ? "'response'" : "'message.content'")
          : (p.method().equals(LlmParams.GENERATE) ? "'choices[0].text'" : "'choices[0].message.content'")));
    }
    out.put(field, text.asText());
    out.put("model", model);
    JsonNode promptTokens = api == Api.OLLAMA ? r.get("prompt_eval_count") : r.path("usage").get("prompt_tokens");
    JsonNode completionTokens = api == Api.OLLAMA ? r.get("eval_count") : r.path("usage").get("completion_tokens");
    putCount(out, "prompt_tokens", promptTokens);
    putCount(out, "completion_tokens", completionTokens);
    JsonNode total = r.get("total_duration");
    out.put("duration_ms", api == Api.OLLAMA && total != null && total.isIntegralNumber()
        ? total.asLong() / 1_000_000L : measuredMs);
    return out;
  }

  private static void putCount(ObjectNode out, String name, JsonNode v) {
    if (v != null && v.isIntegralNumber()) {
      out.put(name, v.asLong());
    } else {
      out.putNull(name);
    }
  }

  private static JsonNode vector(JsonNode v) {
    if (v == null || !v.isArray()) {
      throw new Unexpected("an embedding is not a list of numbers: " + v);
    }
    for (JsonNode x : v) {
      if (!x.isNumber()) {
        throw new Unexpected("an embedding is not a list of numbers");
      }
    }
    return v;
  }
}
