package io.gleitzeit.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.gleitzeit.testing.ApiTestClient;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The built-in http and script providers end to end: a node started from a configuration file that declares
 * them, workflows submitted over the public API, {@code http/request} results feeding {@code script/run}
 * through {@code ${...}}, a 429 whose Retry-After delays the retry, and a command off the allow-list.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class BuiltinHttpScriptIT {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private HttpServer server;
  private GleitzeitNode node;
  private ApiTestClient api;
  private String base;
  private final AtomicInteger limitedCalls = new AtomicInteger();

  @BeforeAll
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/data", ex -> respond(ex, 200,
        "{\"name\":\"gleitzeit\",\"payload\":\"{\\\"n\\\": 42}\"}"));
    server.createContext("/limited", ex -> {
      if (limitedCalls.incrementAndGet() == 1) {
        ex.getResponseHeaders().add("Retry-After", "1");
        respond(ex, 429, "{\"error\":\"slow down\"}");
      } else {
        respond(ex, 200, "{\"ok\":true}");
      }
    });
    server.start();
    base = "http://127.0.0.1:" + server.getAddress().getPort();
    Path dir = Files.createTempDirectory("gleitzeit-builtin-http-script-it-");
    Path config = dir.resolve("node.conf");
    Files.writeString(config, "gleitzeit.providers.builtin = [\n"
        + "  { id = \"\", type = test, max-concurrency = 100 }\n"
        + "  { id = \"web\", type = http, max-concurrency = 4,"
        + "    settings { allowed-hosts = [\"127.0.0.1:" + server.getAddress().getPort() + "\"] } }\n"
        + "  { id = \"tools\", type = script, max-concurrency = 4,"
        + "    settings { commands { echo = \"/bin/echo\", cat = \"/bin/cat\" }, max-output-bytes = 64k } }\n"
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

  private static void respond(HttpExchange ex, int status, String json) throws IOException {
    LocalServers.respondJson(ex, status, json);
  }

  private static String q(String json) {
    return json.replace('\'', '"');
  }

  @Test
  void shouldFeedAnHttpResultIntoScriptsThroughSubstitution() {
    JsonNode wf = api.runToEnd(q("{'id': 'chain-1', 'tasks': ["
        + "{'id': 'fetch', 'method': 'http/request', 'params': {'url': '" + base + "/data'}},"
        + "{'id': 'greet', 'method': 'script/run', 'dependencies': ['fetch'],"
        + " 'params': {'command': 'echo', 'args': ['hello', '${fetch.result.body.name}']}},"
        + "{'id': 'parse', 'method': 'script/run', 'dependencies': ['fetch'],"
        + " 'params': {'command': 'cat', 'stdin': '${fetch.result.body.payload}'}}]}"), WAIT);
    assertEquals("completed", wf.path("status").asText(), wf::toString);
    JsonNode fetch = ApiTestClient.task(wf, "fetch");
    assertEquals(200, fetch.at("/result/status").asInt());
    assertEquals("web", fetch.path("provider_id").asText());
    JsonNode greet = ApiTestClient.task(wf, "greet");
    assertEquals("hello gleitzeit\n", greet.at("/result/stdout").asText());
    assertEquals(0, greet.at("/result/exit_code").asInt());
    assertEquals("tools", greet.path("provider_id").asText());
    assertEquals(42, ApiTestClient.task(wf, "parse").at("/result/json/n").asInt());
  }

  @Test
  void shouldWaitAtLeastRetryAfterBeforeRetryingA429() {
    JsonNode wf = api.runToEnd(q("{'id': 'limited-1', 'tasks': [{'id': 'call', 'method': 'http/request',"
        + " 'params': {'url': '" + base + "/limited'},"
        + " 'retry': {'max_attempts': 2, 'backoff': 'fixed', 'base_delay': 0.05, 'jitter': false}}]}"), WAIT);
    assertEquals("completed", wf.path("status").asText(), wf::toString);
    JsonNode call = ApiTestClient.task(wf, "call");
    assertEquals(2, call.path("attempt").asInt());
    assertEquals(true, call.at("/result/body/ok").asBoolean());
    List<JsonNode> scheduled = api.events("limited-1").stream()
        .filter(e -> "task:retry_scheduled".equals(e.path("event_type").asText())).toList();
    assertEquals(1, scheduled.size());
    assertEquals(1000, scheduled.get(0).at("/payload/delay_ms").asLong(), scheduled.get(0)::toString);
  }

  @Test
  void shouldFailAScriptThatIsNotAllowListedWithoutRetry() {
    JsonNode wf = api.runToEnd(q("{'id': 'denied-1', 'tasks': [{'id': 'sh', 'method': 'script/run',"
        + " 'params': {'command': 'sh', 'args': ['-c', 'echo pwned']}}]}"), WAIT);
    assertEquals("failed", wf.path("status").asText(), wf::toString);
    JsonNode sh = ApiTestClient.task(wf, "sh");
    assertEquals(1, sh.path("attempt").asInt(), "not retried");
    assertTrue(sh.at("/error/message").asText().contains("command 'sh' is not allowed"), sh::toString);
  }
}
