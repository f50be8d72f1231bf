package io.gleitzeit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.node.GleitzeitNode;
import io.gleitzeit.node.NodeConfig;
import io.gleitzeit.testing.ApiTestClient;
import io.gleitzeit.testing.CliProcess;
import io.gleitzeit.testing.LocalServers;
import io.gleitzeit.testing.Resources;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * SPEC §8's client commands ({@code submit FILE [--wait]}, {@code status ID}, {@code events ID [--follow]}) as a
 * user runs them: a separate JVM on {@code Main} against a real node.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClientCommandsIT {

  private static final String YAML = """
      id: %s
      tasks:
        - id: a
          method: test/echo
          params: {word: hi}
        - id: b
          method: test/echo
          params: {text: "${a.result.word} there"}
          dependencies: [a]
      """;

  private GleitzeitNode node;
  private ApiTestClient api;
  private Path dir;

  @BeforeAll
  void startNode() throws Exception {
    dir = Files.createTempDirectory("gleitzeit-client-commands-it-");
    node = GleitzeitNode.start(NodeConfig.load(0, 0, dir.resolve("data"), null));
    api = new ApiTestClient(node.baseUrl());
  }

  @AfterAll
  void stopNode() {
    Resources.closeAll(api, node);
  }

  private static String id() {
    return "cli-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @Test
  void submitReadsYamlWhateverTheFileIsCalledAndWaitsForTheEnd() throws Exception {
    String id = id();
    Path file = Files.writeString(dir.resolve(id + ".txt"), YAML.formatted(id));

    CliProcess submitted = CliProcess.run(node.baseUrl(), "submit", file.toString(), "--wait");

    assertEquals(0, submitted.exitCode(), submitted::toString);
    assertTrue(submitted.stderr().contains("workflow:completed"), "progress goes to stderr: " + submitted);
    // Standard output is the workflow as it ended, as status shows it, and nothing else: a script can read it.
    var ended = ApiTestClient.parse(submitted.stdout());
    assertEquals("completed", ended.path("status").asText(), submitted::toString);
    assertEquals("hi there", ApiTestClient.task(ended, "b").path("result").path("text").asText(), submitted::toString);
    assertEquals("hi there", ApiTestClient.task(api.workflow(id), "b").path("result").path("text").asText());
    CliProcess status = CliProcess.run(node.baseUrl(), "status", id);
    assertEquals(0, status.exitCode(), status::toString);
    assertTrue(status.stdout().contains("\"status\" : \"completed\""), status::toString);
  }

  @Test
  void submitDashReadsTheDefinitionFromStandardInputJsonOrYaml() throws Exception {
    String yamlId = id();
    CliProcess yaml = CliProcess.runWithInput(node.baseUrl(), YAML.formatted(yamlId), "submit", "-", "--wait");
    assertEquals(0, yaml.exitCode(), yaml::toString);
    assertEquals("completed", api.workflow(yamlId).path("status").asText());

    String jsonId = id();
    String failing = "  {\"id\": \"" + jsonId + "\", \"tasks\": [{\"id\": \"a\", \"method\": \"test/fail\","
        + " \"params\": {\"message\": \"no\", \"retryable\": false}}]}";
    CliProcess json = CliProcess.runWithInput(node.baseUrl(), failing, "submit", "-", "--wait");
    assertEquals(1, json.exitCode(), "a workflow that fails: exit 1; " + json);
    assertEquals("failed", api.workflow(jsonId).path("status").asText());
  }

  @Test
  void followingTheEventsOfAnUnknownWorkflowIsAnErrorNotAWaitForever() throws Exception {
    CliProcess follow = CliProcess.run(node.baseUrl(), "events", "nobody-" + id(), "--follow");
    assertEquals(1, follow.exitCode(), follow::toString);
    assertTrue(follow.stderr().contains("HTTP 404"), follow::toString);
    // A dot segment names itself, not the path above it (`events ..` printed GET /events).
    CliProcess dots = CliProcess.run(node.baseUrl(), "events", "..");
    assertEquals(2, dots.exitCode(), dots::toString);
    assertTrue(dots.stderr().startsWith("gleitzeit: no workflow or provider can have the id '..'"), dots::toString);
    CliProcess empty = CliProcess.run(node.baseUrl(), "status", "");
    assertEquals(2, empty.exitCode(), empty::toString);
    assertEquals("gleitzeit: an id cannot be empty", empty.stderr().strip(), empty::toString);

    String id = id();
    api.runToEnd("{\"id\": \"" + id + "\", \"tasks\": [{\"id\": \"a\", \"method\": \"test/echo\"}]}",
        java.time.Duration.ofSeconds(30));
    CliProcess known = CliProcess.run(node.baseUrl(), "events", id, "--follow");
    assertEquals(0, known.exitCode(), known::toString);
    assertTrue(known.stdout().lines().anyMatch(l -> l.contains("workflow:completed")), known::toString);
    // With --json: one envelope per line, the same envelopes GET .../events answers.
    CliProcess json = CliProcess.run(node.baseUrl(), "events", id, "--follow", "--json");
    assertEquals(0, json.exitCode(), json::toString);
    List<JsonNode> lines = new ArrayList<>();
    for (String line : json.stdout().strip().split("\n")) {
      lines.add(Json.MAPPER.readTree(line));
    }
    List<JsonNode> stored = new ArrayList<>();
    api.get("/workflows/" + id + "/events").json().path("events").forEach(stored::add);
    assertEquals(stored, lines, json::toString);

    CliProcess watch = CliProcess.run(node.baseUrl(), "watch", "nobody-" + id());
    assertEquals(1, watch.exitCode(), watch::toString);
    assertTrue(watch.stderr().contains("HTTP 404"), watch::toString);
  }

  /** An id is one path segment whatever it holds, and a GLEITZEIT_URL that is not a node's URL is said so. */
  @Test
  void oddIdsAndUnusableUrlsGetAMessageNotAStackTrace() throws Exception {
    for (String odd : new String[] {"a b", "a%zz", "x?y", "x#y"}) {
      CliProcess status = CliProcess.run(node.baseUrl(), "status", odd);
      assertEquals(1, status.exitCode(), status::toString);
      assertTrue(status.stderr().contains("HTTP 404") && status.stderr().contains("'" + odd + "'"), status::toString);
      assertFalse(status.stderr().contains("\tat "), status::toString);
    }
    String directory = java.nio.file.Files.createTempDirectory("gleitzeit-cli-dir-").toString();
    CliProcess notAFile = CliProcess.run(node.baseUrl(), "submit", directory);
    assertEquals(2, notAFile.exitCode(), notAFile::toString);
    assertTrue(notAFile.stderr().startsWith("gleitzeit: cannot read " + directory), notAFile::toString);
    for (String url : new String[] {"127.0.0.1:8080", "http://127.0.0.1:99999", "not a url", "ftp://127.0.0.1:1",
        "http://"}) { // named as given, its trailing slash too (round 18: "http:/")
      CliProcess providers = CliProcess.run(url, "providers");
      assertEquals(2, providers.exitCode(), providers::toString);
      assertTrue(providers.stderr().startsWith("gleitzeit: '" + url + "' is not an http(s) URL"), providers::toString);
      assertFalse(providers.stderr().contains("\tat "), providers::toString);
    }
  }

  /** A failed workflow that a manual retry reopened: following it goes past the old end to the real one. */
  @Test
  void followingAWorkflowThatARetryReopenedGoesOnToItsRealEnd() throws Exception {
    String id = id();
    api.submitAccepted("{\"id\": \"" + id + "\", \"tasks\": [{\"id\": \"f\", \"method\": \"test/flaky\","
        + " \"params\": {\"fail_times\": 1, \"value\": 1}, \"retry\": {\"max_attempts\": 1}}]}");
    assertEquals("failed", api.awaitEnd(id, java.time.Duration.ofSeconds(30)).status());
    CliProcess failed = CliProcess.run(node.baseUrl(), "events", id, "--follow");
    assertEquals(1, failed.exitCode(), "exit 1 unless completed, as submit --wait and watch: " + failed);
    try (var events = io.gleitzeit.testing.EventWatch.open(node.baseUrl(), "workflow_id=" + id)) {
      assertEquals(202, api.post("/workflows/" + id + "/tasks/f/retry", "application/json", "").status());
      events.await("workflow:completed", io.gleitzeit.testing.EventWatch.type("workflow:completed"),
          java.time.Duration.ofSeconds(30));
    }

    CliProcess follow = CliProcess.run(node.baseUrl(), "events", id, "--follow");
    assertEquals(0, follow.exitCode(), follow::toString);
    assertTrue(follow.stdout().lines().anyMatch(l -> l.contains("workflow:failed")), follow::toString);
    assertTrue(follow.stdout().strip().lines().reduce((a, b) -> b).orElse("").contains("workflow:completed"),
        "it ends at the real end: " + follow);
    CliProcess watch = CliProcess.run(node.baseUrl(), "watch", id);
    assertEquals(0, watch.exitCode(), "completed in the end: " + watch);
  }

  /** GLEITZEIT_URL pointing at some other web server: one line saying so, not Jackson's parser message (round 14). */
  @Test
  void anotherWebServerAtTheUrlIsSaidInOneLine() throws Exception {
    com.sun.net.httpserver.HttpServer web = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    web.createContext("/", exchange -> {
      byte[] page = "<html><body>Directory listing</body></html>".getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "text/html");
      exchange.sendResponseHeaders(200, page.length);
      exchange.getResponseBody().write(page);
      exchange.close();
    });
    web.start();
    try {
      String url = "http://127.0.0.1:" + web.getAddress().getPort();
      CliProcess cli = CliProcess.run(url, "providers");
      assertEquals(2, cli.exitCode(), cli::toString);
      assertTrue(cli.stderr().startsWith("gleitzeit: the answer from " + url + " is not Gleitzeit's JSON"),
          cli::toString);
      assertFalse(cli.stderr().contains("StreamReadFeature"), cli::toString);
    } finally {
      web.stop(0);
    }
  }

  /**
   * {@code submit --wait} whose submission got a 503 naming the workflow (the cluster did not answer in time, e.g.
   * while a node was lost): the node knows it, so it follows it to its end (it exited 1 for work that ran, round 15).
   */
  @Test
  void submitWaitFollowsAWorkflowTheNodeTookThoughItsAnswerWasA503() throws Exception {
    String end = "\"timestamp\":\"2026-01-01T00:00:00.000Z\"";
    com.sun.net.httpserver.HttpServer web = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    web.createContext("/workflows", exchange -> {
      if (exchange.getRequestMethod().equals("POST")) {
        exchange.getRequestBody().readAllBytes();
        LocalServers.respondJson(exchange, 503, "{\"error\":\"unavailable\",\"message\":\"the cluster did not answer"
            + " in time\",\"details\":[],\"workflow_id\":\"wf-late\"}");
      } else {
        LocalServers.respondJson(exchange, 200, "{\"workflow_id\":\"wf-late\",\"status\":\"completed\","
            + "\"completed_at\":\"2026-01-01T00:00:00.000Z\",\"tasks\":[]}");
      }
    });
    web.createContext("/events/stream", exchange -> LocalServers.respond(exchange, 200, "text/event-stream",
        "data: {\"event_type\":\"workflow:completed\",\"workflow_id\":\"wf-late\"," + end + "}\n\n"));
    web.start();
    try {
      Path file = Files.writeString(dir.resolve("late.json"),
          "{\"tasks\": [{\"id\": \"a\", \"method\": \"test/echo\"}]}");
      CliProcess cli = CliProcess.run("http://127.0.0.1:" + web.getAddress().getPort(), "submit", file.toString(),
          "--wait");
      assertEquals(0, cli.exitCode(), cli::toString);
      assertTrue(cli.stdout().contains("\"status\" : \"completed\""), cli::toString);
    } finally {
      web.stop(0);
    }
  }

  /** {@code events ID --follow | head -1}: the command stops once its reader has gone (it followed on, round 15). */
  @Test
  void eventsFollowStopsOnceWhatReadsItsOutputHasGone() throws Exception {
    String id = id();
    api.submitAccepted("{\"id\": \"" + id + "\", \"tasks\": [{\"id\": \"a\", \"method\": \"test/echo\"},"
        + " {\"id\": \"b\", \"method\": \"test/sleep\", \"params\": {\"ms\": 1000}, \"dependencies\": [\"a\"]},"
        + " {\"id\": \"c\", \"method\": \"test/sleep\", \"params\": {\"ms\": 600000}, \"dependencies\": [\"b\"]}]}");
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), "io.gleitzeit.node.Main",
        "events", id, "--follow").redirectError(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put("GLEITZEIT_URL", node.baseUrl());
    Process follow = pb.start();
    try {
      try (var out = new java.io.BufferedReader(new java.io.InputStreamReader(follow.getInputStream(),
          StandardCharsets.UTF_8))) {
        assertTrue(out.readLine().contains("workflow:submitted"));
      } // closed, as head closes its end after one line
      // b's and c's events come while c sleeps for 10 minutes: the first one written finds the pipe closed.
      assertTrue(follow.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "still following a closed pipe");
      assertEquals(0, follow.exitValue());
    } finally {
      follow.destroyForcibly();
      api.send(java.net.http.HttpRequest.newBuilder(api.uri("/workflows/" + id + "/cancel"))
          .POST(java.net.http.HttpRequest.BodyPublishers.noBody()));
    }
  }

  /** A node that dies while a command follows a workflow's events: one line saying so, exit 1, no stack trace. */
  @Test
  void aStreamThatBreaksOffBeforeTheWorkflowEndsIsSaidInOneLine() throws Exception {
    try (ServerSocket dying = dyingNode()) {
      String url = "http://127.0.0.1:" + dying.getLocalPort();
      Path file = Files.writeString(dir.resolve("gone.json"),
          "{\"id\": \"gone\", \"tasks\": [{\"id\": \"a\", \"method\": \"test/echo\"}]}");
      for (String[] args : new String[][] {{"events", "gone", "--follow"}, {"submit", file.toString(), "--wait"}}) {
        CliProcess cli = CliProcess.run(url, args);
        assertEquals(1, cli.exitCode(), cli::toString);
        assertTrue(cli.stderr().contains("gleitzeit: the event stream of workflow gone ended before the workflow did"),
            cli::toString);
        assertFalse(cli.stderr().contains("\tat ") || cli.stderr().contains("Exception"), cli::toString);
      }
    }
  }

  /**
   * A stand-in for a node that accepts workflow "gone" and answers for it, then dies in the middle of its event
   * stream: one event, and the connection closes inside the chunked body.
   */
  private static ServerSocket dyingNode() throws IOException {
    ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread serving = new Thread(() -> {
      while (!server.isClosed()) {
        try (Socket socket = server.accept()) {
          BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
              StandardCharsets.ISO_8859_1));
          String request = in.readLine();
          int length = 0;
          for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
              length = Integer.parseInt(line.substring("content-length:".length()).trim());
            }
          }
          in.skip(length);
          OutputStream out = socket.getOutputStream();
          if (request.contains("/events/stream")) {
            String event = "data: {\"event_id\": \"e1\", \"event_type\": \"workflow:submitted\", \"timestamp\":"
                + " \"2026-11-27T10:00:00.000Z\", \"sequence_number\": 1, \"workflow_id\": \"gone\", \"task_id\": null,"
                + " \"provider_id\": null, \"severity\": \"info\", \"payload\": {}}\n\n";
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(event.length()) + "\r\n" + event + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush(); // and no last chunk: the socket closes as the node's process dies
          } else {
            boolean post = request.startsWith("POST");
            String body = "{\"workflow_id\": \"gone\", \"status\": \"running\"" + (post ? "}" : ", \"tasks\": []}");
            out.write(("HTTP/1.1 " + (post ? "202 Accepted" : "200 OK") + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body)
                .getBytes(StandardCharsets.ISO_8859_1));
          }
        } catch (IOException | RuntimeException e) {
          // the test closed the server, or a client went away: nothing to answer
        }
      }
    }, "dying-node");
    serving.setDaemon(true);
    serving.start();
    return server;
  }
}
