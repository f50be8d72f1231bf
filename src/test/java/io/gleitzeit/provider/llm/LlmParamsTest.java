package io.gleitzeit.provider.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import io.gleitzeit.domain.Json;
import io.gleitzeit.provider.TaskFailure;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Params of llm/* tasks and the llm provider's settings. */
@Tag("unit")
class LlmParamsTest {

  private static ObjectNode json(String s) {
    try {
      return (ObjectNode) Json.MAPPER.readTree(s.replace('\'', '"'));
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static TaskFailure bad(String method, String params, String defaultModel) {
    TaskFailure f = assertThrows(TaskFailure.class, () -> LlmParams.parse(method, json(params), defaultModel));
    assertFalse(f.retryable(), f.getMessage());
    return f;
  }

  @Test
  void generateTakesPromptSystemAndOptions() {
    LlmParams p = LlmParams.parse("llm/generate",
        json("{'prompt': 'hi', 'system': 's', 'max_tokens': 10, 'temperature': 0.7}"), "llama3");
    assertEquals("llama3", p.model());
    assertEquals("hi", p.prompt());
    assertEquals("s", p.system());
    assertEquals(10, p.maxTokens());
    assertEquals(0.7, p.temperature());
  }

  @Test
  void taskModelOverridesTheDefault() {
    assertEquals("phi3", LlmParams.parse("llm/generate", json("{'prompt': 'hi', 'model': 'phi3'}"), "llama3").model());
    assertEquals("phi3", LlmParams.parse("llm/generate", json("{'prompt': 'hi', 'model': 'phi3'}"), "").model());
  }

  @Test
  void missingRequiredParamsAreNamed() {
    assertTrue(bad("llm/generate", "{}", "m").getMessage().contains("'prompt' is required"));
    assertTrue(bad("llm/chat", "{}", "m").getMessage().contains("'messages' is required"));
    assertTrue(bad("llm/embed", "{}", "m").getMessage().contains("'input' is required"));
    assertTrue(bad("llm/generate", "{'prompt': 'x'}", "").getMessage().contains("'model' is required"));
  }

  @Test
  void malformedParamsAreRejected() {
    assertTrue(bad("llm/generate", "{'prompt': 3}", "m").getMessage().contains("'prompt' must be text"));
    assertTrue(bad("llm/generate", "{'prompt': 'x', 'max_tokens': 0}", "m").getMessage().contains("'max_tokens'"));
    assertTrue(bad("llm/generate", "{'prompt': 'x', 'max_tokens': 1.5}", "m").getMessage().contains("'max_tokens'"));
    assertTrue(bad("llm/generate", "{'prompt': 'x', 'temperature': 'hot'}", "m").getMessage().contains("'temperature'"));
    assertTrue(bad("llm/chat", "{'messages': []}", "m").getMessage().contains("'messages' must be"));
    assertTrue(bad("llm/chat", "{'messages': [{'role': 'user'}]}", "m").getMessage().contains("'messages[0]'"));
    assertTrue(bad("llm/embed", "{'input': [1, 2]}", "m").getMessage().contains("'input' must be"));
    assertTrue(bad("llm/generate", "{'prompt': 'x', 'model': ''}", "m").getMessage().contains("'model'"));
  }

  @Test
  void unknownParamsAndMethodsAreRejected() {
    assertTrue(bad("llm/embed", "{'input': 'x', 'prompt': 'y'}", "m").getMessage().contains("unknown param 'prompt'"));
    assertTrue(bad("llm/chat", "{'messages': [{'role': 'user', 'content': 'x'}], 'system': 's'}", "m")
        .getMessage().contains("unknown param 'system'"));
    assertTrue(bad("llm/complete", "{}", "m").getMessage().contains("does not serve llm/complete"));
  }

  @Test
  void chatAndEmbedKeepTheirPayload() {
    LlmParams chat = LlmParams.parse("llm/chat", json("{'messages': [{'role': 'user', 'content': 'x'}]}"), "m");
    assertEquals(1, chat.messages().size());
    assertNull(chat.prompt());
    LlmParams embed = LlmParams.parse("llm/embed", json("{'input': ['a', 'b']}"), "m");
    assertEquals(2, embed.input().size());
  }

  @Test
  void settingsAreReadStrictly() {
    LlmSettings s = LlmSettings.from(ConfigFactory.parseString(
        "api = openai, base-url = \"https://api.example.com/\", model = m, api-key-env = K, timeout = 5s"),
        Map.of("K", " secret ")::get);
    assertEquals(LlmSettings.Api.OPENAI, s.api());
    assertEquals("https://api.example.com/v1/completions", s.resolve("/v1/completions").toString());
    assertEquals("secret", s.apiKey());
    assertEquals(Duration.ofSeconds(5), s.timeout());
    assertFalse(s.toString().contains("secret"));
    LlmSettings d = LlmSettings.from(ConfigFactory.parseString("api = ollama, base-url = \"http://127.0.0.1:11434\""),
        k -> null);
    assertEquals(Duration.ofSeconds(120), d.timeout());
    assertNull(d.apiKey());
    assertEquals("", d.model());
    for (String broken : new String[] {
        "base-url = \"http://x\"", "api = claude, base-url = \"http://x\"", "api = ollama",
        "api = ollama, base-url = \"ftp://x\"", "api = ollama, base-url = \"http://x\", api-key = k",
        "api = ollama, base-url = \"http://x\", timeout = 0s",
        "api = ollama, base-url = \"http://x\", api-key-env = UNSET",
        // The node adds /v1 (/api): a base-url with it was a 404 at every call (round 16).
        "api = openai, base-url = \"http://x/v1/\"", "api = ollama, base-url = \"http://x/api\""}) {
      assertThrows(IllegalArgumentException.class,
          () -> LlmSettings.from(ConfigFactory.parseString(broken), k -> null), broken);
    }
  }
}
