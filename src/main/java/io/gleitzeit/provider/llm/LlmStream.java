package io.gleitzeit.provider.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.provider.TaskFailure;
import io.gleitzeit.provider.llm.LlmSettings.Api;
import java.io.IOException;
import java.util.concurrent.Flow;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * A streamed answer read line by line: Ollama's JSON lines ({@code {"response": "..", "done": false}}, ...,
 * then the closing one with the counts) or an OpenAI-compatible server's server-sent events
 * ({@code data: {"choices": [{"text"|"delta": ..}]}} up to {@code data: [DONE]}). The text is reported as
 * progress ({@code {delta, chars, chunks}}) at most every {@code progressEveryMs}, and what it adds up to is
 * given back in the shape of the non-streamed answer, so that {@link LlmWire#result} makes the task result as
 * usual. The first problem (an error line, a line that is not JSON) is kept and the rest ignored.
 */
final class LlmStream implements Flow.Subscriber<String> {

  private final Api api;
  private final boolean generate;
  private final Consumer<ObjectNode> progress;
  private final long progressEveryMs;
  private final LongSupplier nowMs;
  private final StringBuilder text = new StringBuilder();
  private final StringBuilder pending = new StringBuilder();
  private String model;
  private JsonNode last;
  private JsonNode usage;
  private JsonNode finishReason;
  private boolean doneLine;
  private int chunks;
  private long lastReportMs;
  private RuntimeException failure;

  LlmStream(Api api, String method, Consumer<ObjectNode> progress, long progressEveryMs, LongSupplier nowMs) {
    this.api = api;
    this.generate = method.equals(LlmParams.GENERATE);
    this.progress = progress;
    this.progressEveryMs = progressEveryMs;
    this.nowMs = nowMs;
    this.lastReportMs = nowMs.getAsLong();
  }

  @Override
  public void onSubscribe(Flow.Subscription subscription) {
    subscription.request(Long.MAX_VALUE);
  }

  @Override
  public void onNext(String line) {
    if (failure != null) {
      return;
    }
    try {
      line(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
    } catch (RuntimeException e) {
      failure = e;
    }
  }

  @Override
  public void onError(Throwable throwable) {
    // the HTTP client fails the call itself
  }

  @Override
  public void onComplete() {
    // the finisher asks for the answer
  }

  void line(String line) {
    String json;
    if (api == Api.OLLAMA) {
      json = line.strip();
    } else if (line.startsWith("data:")) {
      json = line.substring(5).strip();
      if (json.equals("[DONE]")) {
        doneLine = true;
        return;
      }
    } else {
      return; // an SSE comment, event name, id or the blank line between events
    }
    if (json.isEmpty()) {
      return;
    }
    JsonNode chunk;
    try {
      chunk = Json.MAPPER.readTree(json);
    } catch (IOException e) {
      throw new LlmWire.Unexpected("a streamed line is not JSON: " + shorten(json));
    }
    JsonNode error = chunk.get("error");
    if (error != null && !error.isNull()) {
      String message = error.isTextual() ? error.asText() : error.path("message").asText(error.toString());
      throw new TaskFailure("the server reported an error in the middle of the answer: " + message, true);
    }
    chunks++;
    last = chunk;
    if (chunk.path("model").isTextual()) {
      model = chunk.get("model").asText();
    }
    if (chunk.has("usage") && !chunk.get("usage").isNull()) {
      usage = chunk.get("usage");
    }
    JsonNode delta;
    if (api == Api.OLLAMA) {
      delta = generate ? chunk.get("response") : chunk.path("message").get("content");
    } else {
      JsonNode choice = chunk.path("choices").path(0);
      delta = generate ? choice.get("text") : choice.path("delta").get("content");
      if (choice.hasNonNull("finish_reason")) {
        finishReason = choice.get("finish_reason");
      }
    }
    if (delta != null && delta.isTextual()) {
      text.append(delta.asText());
      pending.append(delta.asText());
    }
    if (pending.length() > 0 && nowMs.getAsLong() - lastReportMs >= progressEveryMs) {
      report();
    }
  }

  /** The rest of the text as progress; the answer in the non-streamed shape, or the first problem met. */
  ObjectNode answer() {
    if (failure != null) {
      throw failure;
    }
    if (pending.length() > 0) {
      report();
    }
    if (last == null) {
      throw new LlmWire.Unexpected("the stream held no answer");
    }
    ObjectNode answer = Json.MAPPER.createObjectNode();
    if (model != null) {
      answer.put("model", model);
    }
    if (api == Api.OLLAMA) {
      if (!last.path("done").asBoolean(false)) {
        throw new LlmWire.CutShort("the stream ended before its closing line (\"done\": true)");
      }
      last.properties().forEach(e -> answer.set(e.getKey(), e.getValue()));
      if (generate) {
        answer.put("response", text.toString());
      } else {
        answer.putObject("message").put("role", "assistant").put("content", text.toString());
      }
    } else {
      // A stream cut short (the server or a proxy closing it) would otherwise pass for a short answer.
      if (!doneLine && finishReason == null) {
        throw new LlmWire.CutShort("the stream ended before its last chunk (no finish_reason, no [DONE])");
      }
      ObjectNode choice = answer.putArray("choices").addObject();
      if (generate) {
        choice.put("text", text.toString());
      } else {
        choice.putObject("message").put("role", "assistant").put("content", text.toString());
      }
      if (finishReason != null) {
        choice.set("finish_reason", finishReason);
      }
      if (usage != null) {
        answer.set("usage", usage);
      }
    }
    return answer;
  }

  private void report() {
    progress.accept(Json.MAPPER.createObjectNode().put("delta", pending.toString()).put("chars", text.length())
        .put("chunks", chunks));
    pending.setLength(0);
    lastReportMs = nowMs.getAsLong();
  }

  private static String shorten(String s) {
    return s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }
}
