package io.gleitzeit.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.gleitzeit.domain.Json;
import io.gleitzeit.testing.ApiTestClient;
import io.gleitzeit.testing.EventWatch;
import io.gleitzeit.testing.LocalNode;
import io.gleitzeit.testing.LocalServers;
import io.gleitzeit.testing.Resources;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The built-in llm provider end to end: a node started from a configuration file declaring it against a local
 * server speaking Ollama's API, workflows submitted over the public API, a generate result feeding a chat prompt
 * through {@code ${...}}, a 500 retried, and a streamed answer's tokens as {@code task:progress} events (another
 * provider on the same server, with {@code stream = true}; the other tests pin theirs).
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class BuiltinLlmIT {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private HttpServer server;
  private GleitzeitNode node;
  private ApiTestClient api;
  private final AtomicInteger flakyCalls = new AtomicInteger();
  private final AtomicReference<JsonNode> lastChat = new AtomicReference<>();

  @BeforeAll
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/api/generate", ex -> {
      JsonNode req = Json.MAPPER.readTree(ex.getRequestBody().readAllBytes());
      if (req.path("stream").asBoolean(false)) {
        streamWords(ex, req.path("model").asText(), "files: " + req.path("prompt").asText());
        return;
      }
      if (req.path("model").asText().equals("flaky") && flakyCalls.incrementAndGet() == 1) {
        respond(ex, 500, "{\"error\":\"llama runner process has terminated\"}");
        return;
      }
      respond(ex, 200, Json.MAPPER.createObjectNode().put("model", req.path("model").asText())
          .put("response", "files: " + req.path("prompt").asText()).put("done", true)
          .put("total_duration", 2_000_000L).put("prompt_eval_count", 3).put("eval_count", 4).toString());
    });
    server.createContext("/api/chat", ex -> {
      JsonNode req = Json.MAPPER.readTree(ex.getRequestBody().readAllBytes());
      lastChat.set(req);
      respond(ex, 200, "{\"model\":\"llama3\",\"message\":{\"role\":\"assistant\",\"content\":\"analysed\"},"
          + "\"done\":true,\"total_duration\":1000000,\"prompt_eval_count\":1,\"eval_count\":1}");
    });
    server.start();
    Path dir = Files.createTempDirectory("gleitzeit-builtin-llm-it-");
    Path config = dir.resolve("node.conf");
    Files.writeString(config, "gleitzeit.providers.builtin = [\n"
        + "  { id = \"\", type = test, max-concurrency = 100 }\n"
        + "  { id = \"ollama\", type = llm, max-concurrency = 2, settings { api = ollama,"
        + "    base-url = \"http://127.0.0.1:" + server.getAddress().getPort() + "\", model = llama3, timeout = 10s } }\n"
        + "  { id = \"streaming\", type = llm, max-concurrency = 2, settings { api = ollama, stream = true,"
        + "    base-url = \"http://127.0.0.1:" + server.getAddress().getPort() + "\", model = llama3, timeout = 10s } }\n"
        + "]\n");
    node = LocalNode.start(dir.resolve("data"), config);
    api = new ApiTestClient(node.baseUrl());
  }

  @AfterAll
  void stop() {
    Resources.closeAll(api, node);
    if (server != null) {
      server.stop(0);
    }
  }

  /** Ollama's streamed answer: one JSON line per word, a moment apart, then the closing line with the counts. */
  private static void streamWords(HttpExchange ex, String model, String text) throws IOException {
    ex.getResponseHeaders().add("Content-Type", "application/x-ndjson");
    ex.sendResponseHeaders(200, 0);
    try (var out = ex.getResponseBody()) {
      for (String word : text.split("(?<= )")) {
        out.write((Json.MAPPER.createObjectNode().put("model", model).put("response", word).put("done", false)
            + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        out.flush();
        try {
          Thread.sleep(120); // the server's pace, so that the tokens arrive as several progress events
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      out.write(("{\"model\":\"" + model + "\",\"response\":\"\",\"done\":true,\"total_duration\":3000000,"
          + "\"prompt_eval_count\":2,\"eval_count\":4}\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  private static void respond(HttpExchange ex, int status, String json) throws IOException {
    LocalServers.respondJson(ex, status, json);
  }

  private static String q(String json) {
    return json.replace('\'', '"');
  }

  @Test
  void shouldFeedAGenerateResultIntoAChatPrompt() {
    JsonNode wf = api.runToEnd(q("{'id': 'llm-chain-1', 'tasks': ["
        + "{'id': 'gen', 'method': 'llm/generate', 'provider': 'ollama', 'params': {'prompt': 'a.txt b.txt'}},"
        + "{'id': 'chat', 'method': 'llm/chat', 'provider': 'ollama', 'dependencies': ['gen'],"
        + " 'params': {'messages': [{'role': 'user', 'content': 'Analyse ${gen.result.response}'}]}}]}"), WAIT);
    assertEquals("completed", wf.path("status").asText(), wf::toString);
    JsonNode gen = ApiTestClient.task(wf, "gen");
    assertEquals("ollama", gen.path("provider_id").asText());
    assertEquals("files: a.txt b.txt", gen.at("/result/response").asText());
    assertEquals(4, gen.at("/result/completion_tokens").asInt());
    assertEquals(2, gen.at("/result/duration_ms").asInt());
    assertEquals("analysed", ApiTestClient.task(wf, "chat").at("/result/content").asText());
    assertEquals("Analyse files: a.txt b.txt", lastChat.get().at("/messages/0/content").asText());
    assertEquals(false, lastChat.get().path("stream").asBoolean(true));
  }

  @Test
  void shouldStreamTheTokensOfAnAnswerAsTaskProgressEvents() {
    try (EventWatch events = EventWatch.open(node.baseUrl(), "workflow_id=llm-stream-1")) {
      api.submitAccepted(q("{'id': 'llm-stream-1', 'tasks': [{'id': 'gen', 'method': 'llm/generate',"
          + " 'provider': 'streaming', 'params': {'prompt': 'a.txt b.txt c.txt'}}]}"));
      JsonNode completed = events.await("task:completed", EventWatch.type("task:completed"), WAIT);
      List<JsonNode> progress = events.received().stream()
          .filter(e -> e.path("event_type").asText().equals("task:progress")).toList();
      assertTrue(progress.size() >= 2, () -> "expected the tokens in several progress events: " + progress);
      StringBuilder streamed = new StringBuilder();
      progress.forEach(p -> streamed.append(p.at("/payload/delta").asText()));
      assertEquals("files: a.txt b.txt c.txt", streamed.toString());
      assertEquals("files: a.txt b.txt c.txt", completed.at("/payload/result/response").asText());
      assertEquals(4, completed.at("/payload/result/completion_tokens").asInt());
      assertEquals("streaming", progress.get(0).path("provider_id").asText());
      assertEquals("gen", progress.get(0).path("task_id").asText());
    }
  }

  @Test
  void shouldRetryAServerError() {
    JsonNode wf = api.runToEnd(q("{'id': 'llm-flaky-1', 'tasks': [{'id': 'gen', 'method': 'llm/generate',"
        + " 'provider': 'ollama', 'params': {'prompt': 'x', 'model': 'flaky'},"
        + " 'retry': {'max_attempts': 2, 'backoff': 'fixed', 'base_delay': 0.05, 'jitter': false}}]}"), WAIT);
    assertEquals("completed", wf.path("status").asText(), wf::toString);
    JsonNode gen = ApiTestClient.task(wf, "gen");
    assertEquals(2, gen.path("attempt").asInt());
    assertEquals("files: x", gen.at("/result/response").asText());
    assertTrue(flakyCalls.get() >= 2);
  }
}
