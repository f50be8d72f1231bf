package io.gleitzeit.provider.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.provider.TaskFailure;
import io.gleitzeit.provider.llm.LlmSettings.Api;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Streamed answers in both wire formats, read line by line into progress and the usual result. */
class LlmStreamTest {

  private final List<ObjectNode> progress = new ArrayList<>();
  private final AtomicLong now = new AtomicLong(1_000);

  private LlmStream stream(Api api, String method) {
    return new LlmStream(api, method, progress::add, 100, now::get);
  }

  private static LlmParams params(String method) {
    String json = method.equals(LlmParams.CHAT) ? "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
        : "{\"prompt\":\"hi\"}";
    try {
      return LlmParams.parse(method, (ObjectNode) Json.MAPPER.readTree(json), "llama3");
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void shouldAddUpOllamasJsonLinesAndReportTheTextAtMostEveryInterval() {
    LlmStream s = stream(Api.OLLAMA, LlmParams.GENERATE);
    s.line("{\"model\":\"llama3\",\"response\":\"The \",\"done\":false}");
    now.addAndGet(150);
    s.line("{\"model\":\"llama3\",\"response\":\"weather \",\"done\":false}"); // 150 ms later: reported
    now.addAndGet(20);
    s.line("{\"model\":\"llama3\",\"response\":\"tool.\",\"done\":false}"); // 20 ms later: kept for later
    s.line("{\"model\":\"llama3\",\"response\":\"\",\"done\":true,\"total_duration\":5000000,"
        + "\"prompt_eval_count\":7,\"eval_count\":3}");
    JsonNode result = LlmWire.result(Api.OLLAMA, params(LlmParams.GENERATE), s.answer(), 99);
    assertEquals("The weather tool.", result.path("response").asText());
    assertEquals(7, result.path("prompt_tokens").asInt());
    assertEquals(3, result.path("completion_tokens").asInt());
    assertEquals(5, result.path("duration_ms").asInt());
    assertEquals(List.of("The weather ", "tool."), progress.stream().map(p -> p.path("delta").asText()).toList());
    assertEquals(17, progress.get(1).path("chars").asInt());
    assertEquals(4, progress.get(1).path("chunks").asInt());
  }

  @Test
  void shouldAddUpOllamaChatMessages() {
    LlmStream s = stream(Api.OLLAMA, LlmParams.CHAT);
    s.line("{\"model\":\"llama3\",\"message\":{\"role\":\"assistant\",\"content\":\"Hel\"},\"done\":false}");
    s.line("{\"model\":\"llama3\",\"message\":{\"role\":\"assistant\",\"content\":\"lo\"},\"done\":false}");
    s.line("{\"model\":\"llama3\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true}");
    JsonNode result = LlmWire.result(Api.OLLAMA, params(LlmParams.CHAT), s.answer(), 42);
    assertEquals("Hello", result.path("content").asText());
    assertEquals(42, result.path("duration_ms").asInt());
    assertTrue(result.path("prompt_tokens").isNull());
  }

  @Test
  void shouldAddUpOpenAiServerSentEvents() {
    LlmStream chat = stream(Api.OPENAI, LlmParams.CHAT);
    chat.line(": keep-alive");
    chat.line("data: {\"model\":\"gpt\",\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}");
    chat.line("");
    chat.line("data: {\"model\":\"gpt\",\"choices\":[{\"delta\":{\"content\":\"Hi \"}}]}");
    chat.line("data: {\"model\":\"gpt\",\"choices\":[{\"delta\":{\"content\":\"there\"}}],"
        + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}");
    chat.line("data: [DONE]");
    JsonNode result = LlmWire.result(Api.OPENAI, params(LlmParams.CHAT), chat.answer(), 10);
    assertEquals("Hi there", result.path("content").asText());
    assertEquals("gpt", result.path("model").asText());
    assertEquals(2, result.path("completion_tokens").asInt());

    LlmStream completion = stream(Api.OPENAI, LlmParams.GENERATE);
    completion.line("data: {\"choices\":[{\"text\":\"one \"}]}");
    completion.line("data: {\"choices\":[{\"text\":\"two\"}]}");
    completion.line("data: [DONE]");
    assertEquals("one two", LlmWire.result(Api.OPENAI, params(LlmParams.GENERATE), completion.answer(), 1)
        .path("response").asText());

    // A server that ends with a finish_reason and no [DONE] line has answered in full.
    LlmStream noDoneLine = stream(Api.OPENAI, LlmParams.CHAT);
    noDoneLine.line("data: {\"choices\":[{\"delta\":{\"content\":\"ok\"},\"finish_reason\":null}]}");
    noDoneLine.line("data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}");
    assertEquals("ok", LlmWire.result(Api.OPENAI, params(LlmParams.CHAT), noDoneLine.answer(), 1)
        .path("content").asText());
  }

  @Test
  void shouldFailOnAnErrorLineAStreamCutShortOrALineThatIsNotJson() {
    LlmStream error = stream(Api.OLLAMA, LlmParams.GENERATE);
    error.onNext("{\"response\":\"a\",\"done\":false}");
    error.onNext("{\"error\":\"model runner crashed\"}");
    error.onNext("{\"response\":\"b\",\"done\":false}"); // ignored after the first problem
    TaskFailure f = assertThrows(TaskFailure.class, error::answer);
    assertTrue(f.retryable());
    assertTrue(f.getMessage().contains("model runner crashed"), f.getMessage());

    LlmStream cut = stream(Api.OLLAMA, LlmParams.GENERATE);
    cut.line("{\"response\":\"a\",\"done\":false}");
    LlmWire.Unexpected early = assertThrows(LlmWire.Unexpected.class, cut::answer);
    assertTrue(early.getMessage().contains("before its closing line"), early.getMessage());
    assertTrue(early.retryable(), "cut short by a closed connection: another attempt may get all of it");

    LlmStream cutOpenAi = stream(Api.OPENAI, LlmParams.CHAT);
    cutOpenAi.line("data: {\"choices\":[{\"delta\":{\"content\":\"partial\"},\"finish_reason\":null}]}");
    LlmWire.Unexpected cutShort = assertThrows(LlmWire.Unexpected.class, cutOpenAi::answer);
    assertTrue(cutShort.getMessage().contains("before its last chunk"), cutShort.getMessage());
    assertTrue(cutShort.retryable());

    LlmStream garbage = stream(Api.OPENAI, LlmParams.CHAT);
    garbage.onNext("data: {not json");
    assertFalse(assertThrows(LlmWire.Unexpected.class, garbage::answer).retryable(), "malformed: again is no better");
    assertFalse(assertThrows(LlmWire.Unexpected.class, stream(Api.OPENAI, LlmParams.CHAT)::answer).getMessage()
        .isEmpty());
  }
}
