package io.gleitzeit.provider.http;

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
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** http/request against a real JDK HttpServer on 127.0.0.1: JSON, text, 404, 500, 429 with Retry-After, timeouts. */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HttpExecutorIT {

  private HttpServer server;
  private HttpExecutor executor;
  private String base;
  private final AtomicReference<String> lastRequest = new AtomicReference<>();
  private final CountDownLatch hang = new CountDownLatch(1);
  private final AtomicInteger attempt = new AtomicInteger();

  @BeforeAll
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/json", ex -> {
      String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      lastRequest.set(ex.getRequestMethod() + " " + ex.getRequestURI() + " " + ex.getRequestHeaders()
          .getFirst("Content-Type") + " " + ex.getRequestHeaders().getFirst("X-Trace") + " " + body);
      ex.getResponseHeaders().add("X-Multi", "1");
      ex.getResponseHeaders().add("X-Multi", "2");
      respond(ex, 200, "application/json; charset=utf-8", "{\"name\":\"gleitzeit\",\"items\":[1,2]}");
    });
    server.createContext("/text", ex -> respond(ex, 200, "text/plain", "plain words"));
    server.createContext("/missing", ex -> respond(ex, 404, "text/plain", "no such thing"));
    server.createContext("/broken", ex -> respond(ex, 500, "text/plain", "database on fire"));
    server.createContext("/busy", ex -> {
      ex.getResponseHeaders().add("Retry-After", "2");
      respond(ex, 429, "application/json", "{\"error\":\"rate limited\"}");
    });
    server.createContext("/redirect", ex -> {
      ex.getResponseHeaders().add("Location", "http://elsewhere.example/");
      respond(ex, 302, "text/plain", "");
    });
    server.createContext("/big", ex -> respond(ex, 200, "text/plain", "x".repeat(5000)));
    server.createContext("/hang", ex -> {
      try {
        hang.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      respond(ex, 200, "text/plain", "late");
    });
    server.createContext("/trickle", ex -> LocalServers.startThenStall(ex, "text/plain", "x", hang));
    server.start();
    int port = server.getAddress().getPort();
    base = "http://127.0.0.1:" + port;
    executor = new HttpExecutor(HttpSettings.from(ConfigFactory.parseString(
        "allowed-hosts = [\"127.0.0.1:" + port + "\"], max-response-bytes = 4096")));
  }

  @AfterAll
  void stop() {
    hang.countDown();
    if (server != null) {
      server.stop(0);
    }
  }

  private static void respond(HttpExchange ex, int status, String contentType, String body) throws IOException {
    LocalServers.respond(ex, status, contentType, body);
  }

  private CompletableFuture<JsonNode> run(String paramsJson, AtomicInteger started) {
    ObjectNode params;
    try {
      params = (ObjectNode) Json.MAPPER.readTree(paramsJson.replace('\'', '"').replace("BASE", base));
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
    TaskKey key = new TaskKey("wf", "t", attempt.incrementAndGet());
    return executor.execute(new TaskRequest(key, "http/request", params, null), started::incrementAndGet)
        .toCompletableFuture();
  }

  private JsonNode ok(String paramsJson) throws Exception {
    AtomicInteger started = new AtomicInteger();
    JsonNode result = run(paramsJson, started).get(10, TimeUnit.SECONDS);
    assertEquals(1, started.get(), "started is called once");
    return result;
  }

  private TaskFailure failed(String paramsJson) throws Exception {
    try {
      JsonNode result = run(paramsJson, new AtomicInteger()).get(10, TimeUnit.SECONDS);
      return fail("expected a failure, got " + result);
    } catch (ExecutionException e) {
      return assertInstanceOf(TaskFailure.class, e.getCause());
    }
  }

  @Test
  void shouldPostJsonWithQueryAndHeadersAndParseTheJsonAnswer() throws Exception {
    JsonNode r = ok("{'method': 'POST', 'url': 'BASE/json', 'query': {'q': 'a b'}, 'headers': {'X-Trace': 't1'},"
        + " 'json': {'x': 1}}");
    assertEquals(200, r.get("status").asInt());
    assertEquals("gleitzeit", r.at("/body/name").asText());
    assertEquals(2, r.at("/body/items").size());
    assertEquals("application/json; charset=utf-8", r.at("/headers/content-type").asText());
    assertEquals("[\"1\",\"2\"]", r.at("/headers/x-multi").toString());
    assertEquals("POST /json?q=a+b application/json t1 {\"x\":1}", lastRequest.get());
  }

  @Test
  void shouldReturnATextBodyAsText() throws Exception {
    JsonNode r = ok("{'url': 'BASE/text'}");
    assertEquals("plain words", r.get("body").asText());
    assertTrue(r.get("body").isTextual());
  }

  @Test
  void shouldFailA404WithoutRetryCarryingStatusAndBody() throws Exception {
    TaskFailure f = failed("{'url': 'BASE/missing'}");
    assertFalse(f.retryable());
    assertTrue(f.getMessage().contains("HTTP 404") && f.getMessage().contains("no such thing"), f.getMessage());
  }

  @Test
  void shouldFailA500Retryably() throws Exception {
    TaskFailure f = failed("{'url': 'BASE/broken'}");
    assertTrue(f.retryable());
    assertTrue(f.getMessage().contains("HTTP 500") && f.getMessage().contains("database on fire"), f.getMessage());
    assertNull(f.retryAfter());
  }

  @Test
  void shouldFailA429RetryablyWithItsRetryAfter() throws Exception {
    TaskFailure f = failed("{'url': 'BASE/busy'}");
    assertTrue(f.retryable());
    assertEquals(Duration.ofSeconds(2), f.retryAfter());
    assertTrue(f.getMessage().contains("rate limited"), f.getMessage());
  }

  @Test
  void shouldNotFollowARedirect() throws Exception {
    TaskFailure f = failed("{'url': 'BASE/redirect'}");
    assertFalse(f.retryable());
    assertTrue(f.getMessage().contains("HTTP 302"), f.getMessage());
  }

  @Test
  void shouldFailAResponseAboveTheConfiguredSizeWithoutRetry() throws Exception {
    TaskFailure f = failed("{'url': 'BASE/big'}");
    assertFalse(f.retryable());
    assertTrue(f.getMessage().contains("max-response-bytes"), f.getMessage());
  }

  @Test
  void shouldFailATimedOutRequestRetryably() throws Exception {
    assertTimesOutRetryablyAfter300Ms("/hang");
  }

  /** The body's time counts too: headers at once and then a stall was not a timeout (black-box round 16). */
  @Test
  void shouldTimeOutABodyThatStallsAfterItsHeaders() throws Exception {
    assertTimesOutRetryablyAfter300Ms("/trickle");
  }

  private void assertTimesOutRetryablyAfter300Ms(String path) throws Exception {
    long t0 = System.nanoTime();
    TaskFailure f = failed("{'url': 'BASE" + path + "', 'timeout_ms': 300}");
    assertTrue(f.retryable());
    assertTrue(f.getMessage().contains("timed out after 300 ms"), f.getMessage());
    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "the timeout, not the server, ended it");
  }

  @Test
  void shouldRefuseAnotherHostBeforeSendingAnything() throws Exception {
    AtomicInteger started = new AtomicInteger();
    try {
      run("{'url': 'http://localhost:1/'}", started).get(5, TimeUnit.SECONDS);
      fail("expected a failure");
    } catch (ExecutionException e) {
      TaskFailure f = assertInstanceOf(TaskFailure.class, e.getCause());
      assertFalse(f.retryable());
      assertTrue(f.getMessage().contains("localhost:1"), f.getMessage());
    }
    assertEquals(0, started.get());
  }

  @Test
  void shouldEndACancelledRequest() throws Exception {
    TaskKey key = new TaskKey("wf", "cancelled", 1);
    ObjectNode params = Json.MAPPER.createObjectNode().put("url", base + "/hang");
    CompletableFuture<JsonNode> call = executor.execute(new TaskRequest(key, "http/request", params, null), () -> { })
        .toCompletableFuture();
    executor.cancel(key);
    try {
      call.get(5, TimeUnit.SECONDS);
      fail("a cancelled request has no result");
    } catch (ExecutionException e) {
      TaskFailure f = assertInstanceOf(TaskFailure.class, e.getCause());
      assertTrue(f.getMessage().contains("cancelled"), f.getMessage());
    }
  }
}
