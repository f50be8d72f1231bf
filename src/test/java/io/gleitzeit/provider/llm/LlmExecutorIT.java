package io.gleitzeit.provider.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.typesafe.config.ConfigFactory;
import io.gleitzeit.domain.Json;
import io.gleitzeit.provider.TaskFailure;
import io.gleitzeit.provider.TaskKey;
import io.gleitzeit.provider.TaskRequest;
import io.gleitzeit.testing.LocalServers;
import io.gleitzeit.testing.NodeProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * llm/generate, llm/chat and llm/embed against a real JDK HttpServer on 127.0.0.1 speaking Ollama's and OpenAI's
 * wire formats: the request bodies and the bearer key it receives, results, 500, 429 with Retry-After, 400 with the
 * server's message, malformed 200, timeout, connection refused. The model name picks the server's behaviour.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LlmExecutorIT {

  /** What the server received last: path, Authorization header, JSON body. */
  record Received(String method, String path, String auth, String contentType, JsonNode body) {}

  private HttpServer server;
  private String base;
  private final AtomicReference<Received> last = new AtomicReference<>();
  private final CountDownLatch hang = new CountDownLatch(1);
  private final AtomicInteger attempt = new AtomicInteger();

  @BeforeAll
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/", this::handle);
    server.start();
    base = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterAll
  void stop() {
    hang.countDown();
    if (server != null) {
      server.stop(0);
    }
  }

  private void handle(HttpExchange ex) throws IOException {
    JsonNode body;
    try {
      body = Json.MAPPER.readTree(ex.getRequestBody().readAllBytes());
    } catch (IOException e) {
      respond(ex, 400, "{\"error\":\"bad json\"}");
      return;
    }
    String path = ex.getRequestURI().getPath();
    last.set(new Received(ex.getRequestMethod(), path, ex.getRequestHeaders().getFirst("Authorization"),
        ex.getRequestHeaders().getFirst("Content-Type"), body));
    boolean ollama = path.startsWith("/api/");
    String model = body.path("model").asText();
    switch (model) {
      case "fail-500" -> respond(ex, 500, ollama ? "{\"error\":\"model runner crashed\"}"
          : "{\"error\":{\"message\":\"internal error\",\"type\":\"server_error\"}}");
      case "busy-429" -> {
        ex.getResponseHeaders().add("Retry-After", "7");
        respond(ex, 429, ollama ? "{\"error\":\"too many requests\"}"
            : "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\"}}");
      }
      case "missing" -> respond(ex, ollama ? 404 : 400, ollama ? "{\"error\":\"model \\\"missing\\\" not found, try pulling it first\"}"
          : "{\"error\":{\"message\":\"The model `missing` does not exist\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"model_not_found\"}}");
      case "malformed" -> respond(ex, 200, "{\"unexpected\":true}");
      case "not-json" -> respond(ex, 200, "<html>hello</html>");
      // Its first line at once, then nothing until the test ends.
      case "stall-stream" -> LocalServers.startThenStall(ex, "application/x-ndjson",
          "{\"model\":\"stall-stream\",\"response\":\"Hel\",\"done\":false}\n", hang);
      case "slow-stream" -> { // a line every 100 ms for 600 ms: never quiet for 300 ms, though longer in all
        ex.getResponseHeaders().add("Content-Type", "application/x-ndjson");
        ex.sendResponseHeaders(200, 0);
        for (int i = 0; i < 6; i++) {
          ex.getResponseBody().write(("{\"model\":\"slow-stream\",\"response\":\"" + i + "\",\"done\":false}\n")
              .getBytes(java.nio.charset.StandardCharsets.UTF_8));
          ex.getResponseBody().flush();
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // the server's pace, not a wait for a result
        }
        ex.getResponseBody().write("{\"model\":\"slow-stream\",\"response\":\"\",\"done\":true}\n"
            .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        ex.close();
      }
      case "hang" -> {
        try {
          hang.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        respond(ex, 200, "{}");
      }
      default -> respond(ex, 200, answer(path, body));
    }
  }

  private static String answer(String path, JsonNode req) {
    String model = req.path("model").asText();
    return switch (path) {
      case "/api/generate" -> "{\"model\":\"" + model + "\",\"created_at\":\"2024-01-01T00:00:00Z\","
          + "\"response\":\"The sky is blue.\",\"done\":true,\"done_reason\":\"stop\",\"context\":[1,2,3],"
          + "\"total_duration\":5043500667,\"load_duration\":5025959,\"prompt_eval_count\":26,"
          + "\"prompt_eval_duration\":325953000,\"eval_count\":290,\"eval_duration\":4709213000}";
      case "/api/chat" -> "{\"model\":\"" + model + "\",\"created_at\":\"2024-01-01T00:00:00Z\","
          + "\"message\":{\"role\":\"assistant\",\"content\":\"Hello there!\"},\"done\":true,"
          + "\"total_duration\":4883583458,\"load_duration\":1334875,\"prompt_eval_count\":26,"
          + "\"prompt_eval_duration\":342546000,\"eval_count\":282,\"eval_duration\":4535599000}";
      case "/api/embed" -> "{\"model\":\"" + model + "\",\"embeddings\":[[0.1,-0.2,0.3],[0.4,0.5,-0.6]],"
          + "\"total_duration\":14143917,\"load_duration\":1019500,\"prompt_eval_count\":8}";
      case "/v1/completions" -> "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1589478378,"
          + "\"model\":\"" + model + "\",\"choices\":[{\"text\":\"This is a test.\",\"index\":0,\"logprobs\":null,"
          + "\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7,\"total_tokens\":12}}";
      case "/v1/chat/completions" -> "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1677652288,"
          + "\"model\":\"" + model + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
          + "\"content\":\"Hi, how can I help?\"},\"finish_reason\":\"stop\"}],"
          + "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":12,\"total_tokens\":21}}";
      case "/v1/embeddings" -> "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"embedding\":[0.7,0.8],"
          + "\"index\":1},{\"object\":\"embedding\",\"embedding\":[0.1,0.2],\"index\":0}],\"model\":\"" + model
          + "\",\"usage\":{\"prompt_tokens\":8,\"total_tokens\":8}}";
      default -> "{\"error\":\"no route " + path + "\"}";
    };
  }

  private static void respond(HttpExchange ex, int status, String json) throws IOException {
    LocalServers.respondJson(ex, status, json);
  }

  private LlmExecutor executor(String api, String extra) {
    return executor(api, base, extra);
  }

  private LlmExecutor executor(String api, String url, String extra) {
    Map<String, String> env = Map.of("GZ_TEST_LLM_KEY", "sk-test-123");
    return new LlmExecutor(LlmSettings.from(ConfigFactory.parseString(
        "api = " + api + ", base-url = \"" + url + "/\", model = \"llama3\", " + extra), env::get));
  }

  private CompletableFuture<JsonNode> run(LlmExecutor executor, String method, String paramsJson,
                                          AtomicInteger started) {
    ObjectNode params;
    try {
      params = (ObjectNode) Json.MAPPER.readTree(paramsJson.replace('\'', '"'));
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
    TaskKey key = new TaskKey("wf", "t", attempt.incrementAndGet());
    return executor.execute(new TaskRequest(key, method, params, null), started::incrementAndGet)
        .toCompletableFuture();
  }

  private JsonNode ok(LlmExecutor executor, String method, String paramsJson) throws Exception {
    AtomicInteger started = new AtomicInteger();
    JsonNode result = run(executor, method, paramsJson, started).get(10, TimeUnit.SECONDS);
    assertEquals(1, started.get(), "started is called once");
    return result;
  }

  private TaskFailure failed(LlmExecutor executor, String method, String paramsJson) throws Exception {
    try {
      JsonNode result = run(executor, method, paramsJson, new AtomicInteger()).get(10, TimeUnit.SECONDS);
      return fail("expected a failure, got " + result);
    } catch (ExecutionException e) {
      return assertInstanceOf(TaskFailure.class, e.getCause());
    }
  }

  private Received received() {
    Received r = last.getAndSet(null);
    assertTrue(r != null, "the server received a request");
    assertEquals("POST", r.method());
    assertTrue(r.contentType().startsWith("application/json"), r.contentType());
    return r;
  }

  // ---- Ollama

  @Test
  void ollamaGenerateSendsTheWireFormatAndMapsTheAnswer() throws Exception {
    JsonNode r = ok(executor("ollama", "api-key-env = GZ_TEST_LLM_KEY"), "llm/generate",
        "{'prompt': 'Why is the sky blue?', 'system': 'Be brief.', 'max_tokens': 64, 'temperature': 0.2}");
    Received req = received();
    assertEquals("/api/generate", req.path());
    assertEquals("Bearer sk-test-123", req.auth());
    assertEquals(Json.MAPPER.readTree("{\"model\":\"llama3\",\"prompt\":\"Why is the sky blue?\",\"system\":\"Be brief.\","
        + "\"stream\":false,\"options\":{\"num_predict\":64,\"temperature\":0.2}}"), req.body());
    assertEquals("The sky is blue.", r.get("response").asText());
    assertEquals("llama3", r.get("model").asText());
    assertEquals(26, r.get("prompt_tokens").asLong());
    assertEquals(290, r.get("completion_tokens").asLong());
    assertEquals(5043, r.get("duration_ms").asLong());
  }

  @Test
  void ollamaChatUsesTheTaskModelAndSendsNoKeyWhenNoneIsConfigured() throws Exception {
    JsonNode r = ok(executor("ollama", ""), "llm/chat",
        "{'model': 'mistral', 'messages': [{'role': 'system', 'content': 'terse'}, {'role': 'user', 'content': 'hi'}]}");
    Received req = received();
    assertEquals("/api/chat", req.path());
    assertNull(req.auth());
    assertEquals(Json.MAPPER.readTree("{\"model\":\"mistral\",\"messages\":[{\"role\":\"system\",\"content\":\"terse\"},"
        + "{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":false}"), req.body());
    assertEquals("Hello there!", r.get("content").asText());
    assertEquals("mistral", r.get("model").asText());
    assertEquals(26, r.get("prompt_tokens").asLong());
    assertEquals(282, r.get("completion_tokens").asLong());
    assertEquals(4883, r.get("duration_ms").asLong());
  }

  @Test
  void ollamaEmbed() throws Exception {
    JsonNode r = ok(executor("ollama", ""), "llm/embed", "{'input': ['a', 'b']}");
    Received req = received();
    assertEquals("/api/embed", req.path());
    assertEquals(Json.MAPPER.readTree("{\"model\":\"llama3\",\"input\":[\"a\",\"b\"]}"), req.body());
    assertEquals(Json.MAPPER.readTree("[[0.1,-0.2,0.3],[0.4,0.5,-0.6]]"), r.get("embeddings"));
    assertEquals("llama3", r.get("model").asText());
  }

  // ---- OpenAI-compatible

  @Test
  void openaiCompletionSendsTheWireFormatAndMapsTheAnswer() throws Exception {
    JsonNode r = ok(executor("openai", "api-key-env = GZ_TEST_LLM_KEY"), "llm/generate",
        "{'prompt': 'Say this is a test', 'max_tokens': 7, 'model': 'gpt-3.5-turbo-instruct'}");
    Received req = received();
    assertEquals("/v1/completions", req.path());
    assertEquals("Bearer sk-test-123", req.auth());
    assertEquals(Json.MAPPER.readTree("{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":\"Say this is a test\","
        + "\"max_tokens\":7}"), req.body());
    assertEquals("This is a test.", r.get("response").asText());
    assertEquals("gpt-3.5-turbo-instruct", r.get("model").asText());
    assertEquals(5, r.get("prompt_tokens").asLong());
    assertEquals(7, r.get("completion_tokens").asLong());
    assertTrue(r.get("duration_ms").isIntegralNumber() && r.get("duration_ms").asLong() >= 0, r.toString());
  }

  @Test
  void openaiChat() throws Exception {
    JsonNode r = ok(executor("openai", "api-key-env = GZ_TEST_LLM_KEY"), "llm/chat",
        "{'messages': [{'role': 'user', 'content': 'Hello!'}], 'temperature': 0.5}");
    Received req = received();
    assertEquals("/v1/chat/completions", req.path());
    assertEquals("Bearer sk-test-123", req.auth());
    assertEquals(Json.MAPPER.readTree("{\"model\":\"llama3\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello!\"}],"
        + "\"temperature\":0.5}"), req.body());
    assertFalse(req.body().has("stream"));
    assertEquals("Hi, how can I help?", r.get("content").asText());
    assertEquals(9, r.get("prompt_tokens").asLong());
    assertEquals(12, r.get("completion_tokens").asLong());
  }

  @Test
  void openaiEmbedOrdersVectorsByIndex() throws Exception {
    JsonNode r = ok(executor("openai", ""), "llm/embed", "{'input': 'The food was delicious', 'model': 'e5'}");
    Received req = received();
    assertEquals("/v1/embeddings", req.path());
    assertEquals(Json.MAPPER.readTree("{\"model\":\"e5\",\"input\":\"The food was delicious\"}"), req.body());
    assertEquals(Json.MAPPER.readTree("[[0.1,0.2],[0.7,0.8]]"), r.get("embeddings"));
    assertEquals("e5", r.get("model").asText());
  }

  // ---- failures, on both APIs

  @Test
  void serverErrorIsRetryable() throws Exception {
    TaskFailure o = failed(executor("ollama", ""), "llm/generate", "{'prompt': 'x', 'model': 'fail-500'}");
    assertTrue(o.retryable());
    assertTrue(o.getMessage().contains("HTTP 500") && o.getMessage().contains("model runner crashed"), o.getMessage());
    TaskFailure a = failed(executor("openai", ""), "llm/chat",
        "{'messages': [{'role': 'user', 'content': 'x'}], 'model': 'fail-500'}");
    assertTrue(a.retryable());
    assertTrue(a.getMessage().contains("HTTP 500") && a.getMessage().contains("internal error"), a.getMessage());
  }

  @Test
  void tooManyRequestsIsRetryableAfterRetryAfter() throws Exception {
    for (String api : new String[] {"ollama", "openai"}) {
      TaskFailure f = failed(executor(api, ""), "llm/generate", "{'prompt': 'x', 'model': 'busy-429'}");
      assertTrue(f.retryable(), api);
      assertEquals(Duration.ofSeconds(7), f.retryAfter(), api);
      assertTrue(f.getMessage().contains("HTTP 429"), f.getMessage());
    }
    TaskFailure capped = failed(executor("openai", "max-retry-after = 5s"), "llm/generate",
        "{'prompt': 'x', 'model': 'busy-429'}");
    assertFalse(capped.retryable(), "a Retry-After beyond max-retry-after fails for good");
  }

  @Test
  void clientErrorIsNotRetryableAndCarriesTheServersMessage() throws Exception {
    TaskFailure o = failed(executor("ollama", ""), "llm/chat",
        "{'messages': [{'role': 'user', 'content': 'x'}], 'model': 'missing'}");
    assertFalse(o.retryable());
    assertTrue(o.getMessage().contains("HTTP 404")
        && o.getMessage().contains("model \"missing\" not found, try pulling it first"), o.getMessage());
    TaskFailure a = failed(executor("openai", ""), "llm/generate", "{'prompt': 'x', 'model': 'missing'}");
    assertFalse(a.retryable());
    assertNull(a.retryAfter());
    assertTrue(a.getMessage().contains("HTTP 400") && a.getMessage().contains("The model `missing` does not exist")
        && !a.getMessage().contains("invalid_request_error"), a.getMessage());
  }

  @Test
  void unexpectedSuccessBodyIsNotRetryable() throws Exception {
    for (String api : new String[] {"ollama", "openai"}) {
      for (String method : new String[] {"llm/generate", "llm/embed"}) {
        String params = method.equals("llm/embed") ? "{'input': 'x', 'model': 'malformed'}"
            : "{'prompt': 'x', 'model': 'malformed'}";
        TaskFailure f = failed(executor(api, ""), method, params);
        assertFalse(f.retryable(), api + " " + method);
        assertTrue(f.getMessage().contains("unexpected response"), f.getMessage());
      }
      TaskFailure chat = failed(executor(api, ""), "llm/chat",
          "{'messages': [{'role': 'user', 'content': 'x'}], 'model': 'malformed'}");
      assertFalse(chat.retryable());
      assertTrue(chat.getMessage().contains("unexpected response"), chat.getMessage());
      TaskFailure html = failed(executor(api, ""), "llm/generate", "{'prompt': 'x', 'model': 'not-json'}");
      assertFalse(html.retryable());
      assertTrue(html.getMessage().contains("unexpected response (not JSON)"), html.getMessage());
    }
  }

  @Test
  void timeoutIsRetryable() throws Exception {
    TaskFailure f = failed(executor("ollama", "timeout = 300ms"), "llm/generate", "{'prompt': 'x', 'model': 'hang'}");
    assertTrue(f.retryable());
    assertTrue(f.getMessage().contains("timed out after 300 ms"), f.getMessage());
  }

  /** A stream that stops after its first line times out like a request (it held its task for good, round 16). */
  @Test
  void aStreamThatGoesQuietTimesOutRetryably() throws Exception {
    long t0 = System.nanoTime();
    TaskFailure f = failed(executor("ollama", "timeout = 300ms, stream = true"), "llm/generate",
        "{'prompt': 'x', 'model': 'stall-stream'}");
    assertTrue(f.retryable());
    assertTrue(f.getMessage().endsWith("the stream sent nothing for 300 ms"), f.getMessage());
    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "the timeout, not the server, ended it");
  }

  /** Quiet is measured between lines: a stream that keeps sending runs past the timeout in all. */
  @Test
  void aStreamThatKeepsSendingRunsLongerThanTheTimeout() throws Exception {
    JsonNode r = ok(executor("ollama", "timeout = 300ms, stream = true"), "llm/generate",
        "{'prompt': 'x', 'model': 'slow-stream'}");
    assertEquals("012345", r.path("response").asText(), r::toString);
  }

  @Test
  void connectionRefusedIsRetryable() throws Exception {
    int port = NodeProcess.freePort(); // nothing listens there
    TaskFailure f = failed(executor("openai", "http://127.0.0.1:" + port, ""), "llm/generate", "{'prompt': 'x'}");
    assertTrue(f.retryable(), f.getMessage());
  }

  @Test
  void badParamsFailBeforeAnyCallAndNameTheParam() throws Exception {
    last.set(null);
    AtomicInteger started = new AtomicInteger();
    try {
      run(executor("ollama", ""), "llm/chat", "{}", started).get(10, TimeUnit.SECONDS);
      fail("expected a failure");
    } catch (ExecutionException e) {
      TaskFailure f = assertInstanceOf(TaskFailure.class, e.getCause());
      assertFalse(f.retryable());
      assertTrue(f.getMessage().contains("'messages' is required"), f.getMessage());
    }
    assertEquals(0, started.get());
    assertNull(last.get(), "nothing was sent");
  }
}
