package io.gleitzeit.api;

import static io.gleitzeit.testing.ApiTestClient.ENVELOPE_KEYS;
import static io.gleitzeit.testing.ApiTestClient.TIMESTAMP;
import static io.gleitzeit.testing.ApiTestClient.parse;
import static io.gleitzeit.testing.ApiTestClient.task;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.node.GleitzeitNode;
import io.gleitzeit.node.NodeConfig;
import io.gleitzeit.testing.ApiTestClient;
import io.gleitzeit.testing.ApiTestClient.Ended;
import io.gleitzeit.testing.ApiTestClient.Response;
import io.gleitzeit.testing.Resources;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The HTTP API contract (SPEC §1–§5) against one real node started in-process, driven the way a user drives
 * it: over HTTP with {@link java.net.http.HttpClient}, waiting for workflows through their event stream.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HttpApiIT {

  private static final Duration END = Duration.ofSeconds(20);
  private static final Pattern GENERATED_ID =
      Pattern.compile("wf-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  private static final Set<String> SEVERITIES = Set.of("debug", "info", "warning", "error");

  /** SPEC §4: the envelopes of one successful attempt of a task, in this order. */
  private static final List<String> TASK_LIFECYCLE = List.of("task:created", "task:ready", "assignment:requested",
      "assignment:candidate_found", "assignment:approved", "task:assigned", "parameters:resolve_requested",
      "parameters:resolved", "assignment:executed", "task:started", "task:completed");

  private Path dataDir;
  private GleitzeitNode node;
  private ApiTestClient api;

  @BeforeAll
  void startNode() throws Exception {
    dataDir = Files.createTempDirectory("gleitzeit-http-it-");
    node = GleitzeitNode.start(NodeConfig.load(0, 0, dataDir, null));
    // The node joins itself; wait for that (not by polling) so that readiness is deterministic.
    CompletableFuture<Void> up = new CompletableFuture<>();
    Cluster.get(Adapter.toClassic(node.system())).registerOnMemberUp(() -> up.complete(null));
    up.get(30, TimeUnit.SECONDS);
    api = new ApiTestClient(node.baseUrl());
  }

  @AfterAll
  void stopNode() throws IOException {
    Resources.closeAll(api, node);
    if (dataDir != null) {
      try (Stream<Path> files = Files.walk(dataDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  // ---------------------------------------------------------------- submission (§1)

  @Test
  void submitWithoutIdAnswers202RunningWithAGeneratedId() {
    Response r = api.submit("""
        {"tasks": [{"id": "only", "method": "test/echo", "params": {"v": 1}}]}""");

    assertEquals(202, r.status(), r::toString);
    assertJsonContentType(r);
    JsonNode body = r.json();
    String id = body.path("workflow_id").asText();
    assertTrue(GENERATED_ID.matcher(id).matches(), () -> "generated id must be wf-<uuid>: " + body);
    assertEquals("running", body.path("status").asText(), body::toString);

    Ended ended = api.awaitEnd(id, END);
    assertEquals("completed", ended.status());
    assertEquals(parse("{\"v\":1}"), task(api.workflow(id), "only").path("result"));
  }

  @Test
  void submitWithIdUsesItAndHasPersistedSubmissionBeforeAnswering() {
    String id = "given-" + UUID.randomUUID();
    Response r = api.submit("""
        {"id": "@ID@", "tasks": [{"id": "only", "method": "test/sleep", "params": {"ms": 50}}]}"""
        .replace("@ID@", id));

    assertEquals(202, r.status(), r::toString);
    assertEquals(id, r.json().path("workflow_id").asText());
    assertEquals("running", r.json().path("status").asText());
    // SPEC §1: the 202 is sent only once workflow:submitted is persisted, so it is readable right away.
    List<JsonNode> events = api.events(id);
    assertFalse(events.isEmpty(), "no events right after the 202");
    assertEquals("workflow:submitted", events.get(0).path("event_type").asText());
    assertEquals(id, api.workflow(id).path("workflow_id").asText());

    assertEquals("completed", api.awaitEnd(id, END).status());
  }

  @Test
  void yamlIsAcceptedUnderEveryYamlMediaTypeWithAndWithoutCharset() {
    List<String> mediaTypes = List.of("application/yaml", "application/x-yaml", "text/yaml",
        "application/yaml; charset=utf-8", "application/x-yaml; charset=utf-8", "text/yaml; charset=utf-8",
        "application/json; charset=utf-8");
    Map<String, String> submitted = new LinkedHashMap<>();
    for (String mediaType : mediaTypes) {
      String id = "yaml-" + UUID.randomUUID();
      String body = mediaType.startsWith("application/json")
          ? "{\"id\": \"" + id + "\", \"tasks\": [{\"id\": \"t\", \"method\": \"test/echo\", "
              + "\"params\": {\"fmt\": \"" + mediaType + "\", \"n\": 1, \"list\": [1, 2]}}]}"
          : """
              id: @ID@
              name: yaml workflow
              tasks:
                - id: t
                  method: test/echo
                  params:
                    fmt: "@MT@"
                    n: 1
                    list: [1, 2]
              """.replace("@ID@", id).replace("@MT@", mediaType);
      Response r = api.post("/workflows", mediaType, body);
      assertEquals(202, r.status(), () -> mediaType + ": " + r);
      assertEquals(id, r.json().path("workflow_id").asText(), mediaType);
      assertEquals("running", r.json().path("status").asText(), mediaType);
      submitted.put(id, mediaType);
    }
    List<CompletableFuture<Ended>> ends = submitted.keySet().stream()
        .map(id -> api.followToEnd(id, END)).toList();
    CompletableFuture.allOf(ends.toArray(CompletableFuture[]::new)).join();
    for (Map.Entry<String, String> e : submitted.entrySet()) {
      JsonNode t = task(api.workflow(e.getKey()), "t");
      assertEquals("completed", t.path("state").asText(), e.getValue());
      assertEquals(parse("{\"fmt\":\"" + e.getValue() + "\",\"n\":1,\"list\":[1,2]}"), t.path("result"),
          e.getValue());
    }
  }

  @Test
  void invalidDefinitionIs400ListingEveryProblemWithItsPath() {
    String id = "invalid-" + UUID.randomUUID();
    Response r = api.submit("""
        {"id": "@ID@", "colour": "red",
         "tasks": [
           {"id": "a", "method": "test/echo"},
           {"id": "b", "method": "test/echo", "dependencies": ["nope"]},
           {"id": "c", "method": "test/echo", "dependencies": ["d"]},
           {"id": "d", "method": "test/echo", "dependencies": ["c"]},
           {"id": "e", "method": "test/echo", "params": {"x": "${a.result}"}},
           {"id": "f", "method": "echo", "dependencies": ["a"], "retry": {"max_attempts": 0},
            "params": {"y": "${ghost.result}"}},
           {"id": "a", "method": "test/echo"},
           {"id": "g", "method": "test/echo", "params": {"p": 1}, "parameters": {"p": 2}}
         ]}""".replace("@ID@", id));

    assertEquals(400, r.status(), r::toString);
    assertJsonContentType(r);
    JsonNode body = r.json();
    assertEquals("invalid_definition", body.path("error").asText(), body::toString);
    assertTrue(body.path("message").isTextual() && !body.path("message").asText().isBlank(), body::toString);
    Map<String, List<String>> details = details(body);
    assertAll(
        () -> assertDetail(details, "colour", "colour"),
        () -> assertDetail(details, "tasks[1].dependencies[0]", "nope"),
        () -> assertDetail(details, "tasks[4].params.x", "${a.result}"),
        () -> assertDetail(details, "tasks[5].method", "echo"),
        () -> assertDetail(details, "tasks[5].retry.max_attempts", "max_attempts"),
        () -> assertDetail(details, "tasks[5].params.y", "ghost"),
        () -> assertDetail(details, "tasks[6].id", "a"),
        () -> assertTrue(details.keySet().stream().anyMatch(p -> p.startsWith("tasks[7]")),
            () -> "both params and parameters must be reported on tasks[7]: " + body),
        () -> {
          // The cycle is named: c -> d -> c (or from d).
          Pattern cycle = Pattern.compile(".*\\b(c -> d -> c|d -> c -> d)\\b.*");
          boolean named = details.entrySet().stream().anyMatch(e -> e.getKey().startsWith("tasks")
              && e.getValue().stream().anyMatch(m -> m.contains("cycle") && cycle.matcher(m).matches()));
          assertTrue(named, () -> "no detail names the cycle c -> d -> c: " + body);
        },
        () -> assertTrue(body.path("details").size() >= 9, () -> "expected at least 9 problems: " + body));
    assertEquals(404, api.get("/workflows/" + id).status(), "a rejected workflow must not exist");
  }

  @Test
  void malformedJsonAndYamlAre400() {
    Response json = api.post("/workflows", "application/json", "{\"tasks\": [ {\"id\": \"a\", ");
    assertEquals(400, json.status(), json::toString);
    assertEquals("invalid_definition", json.json().path("error").asText(), json::toString);
    assertTrue(json.json().path("details").size() >= 1, json::toString);

    Response yaml = api.post("/workflows", "application/yaml", "tasks: [ {id: a, method: test/echo\n  - : :");
    assertEquals(400, yaml.status(), yaml::toString);
    assertEquals("invalid_definition", yaml.json().path("error").asText(), yaml::toString);

    Response notAnObject = api.post("/workflows", "application/json", "[1, 2]");
    assertEquals(400, notAnObject.status(), notAnObject::toString);
    assertEquals("invalid_definition", notAnObject.json().path("error").asText(), notAnObject::toString);

    Response empty = api.post("/workflows", "application/json", "");
    assertEquals(400, empty.status(), empty::toString);
    assertEquals("invalid_definition", empty.json().path("error").asText(), empty::toString);
  }

  @Test
  void emptyOrMissingTasksIs400() {
    Response empty = api.submit("{\"tasks\": []}");
    assertEquals(400, empty.status(), empty::toString);
    assertEquals("invalid_definition", empty.json().path("error").asText(), empty::toString);
    assertTrue(details(empty.json()).containsKey("tasks"), empty::toString);

    Response missing = api.submit("{\"name\": \"no tasks\"}");
    assertEquals(400, missing.status(), missing::toString);
    assertEquals("invalid_definition", missing.json().path("error").asText(), missing::toString);
    assertTrue(details(missing.json()).containsKey("tasks"), missing::toString);
  }

  @Test
  void configurableLimitsAre400WithThePathOfTheProblem() {
    StringBuilder many = new StringBuilder("{\"tasks\": [");
    for (int i = 0; i <= 10_000; i++) {
      many.append(i == 0 ? "" : ",").append("{\"id\": \"t").append(i).append("\", \"method\": \"test/echo\"}");
    }
    Response tooMany = api.submit(many.append("]}").toString());
    assertEquals(400, tooMany.status(), tooMany::toString);
    assertEquals("invalid_definition", tooMany.json().path("error").asText(), tooMany::toString);
    assertDetail(details(tooMany.json()), "tasks", "10000");

    Response bigParams = api.submit("{\"tasks\": [{\"id\": \"t\", \"method\": \"test/echo\", "
        + "\"params\": {\"x\": \"" + "y".repeat(64 * 1024) + "\"}}]}");
    assertEquals(400, bigParams.status(), bigParams::toString);
    assertEquals("invalid_definition", bigParams.json().path("error").asText(), bigParams::toString);
    assertDetail(details(bigParams.json()), "tasks[0].params", "65536");
  }

  @Test
  void concurrentSubmissionsOfOneIdAcceptExactlyOne() throws Exception {
    String id = "race-" + UUID.randomUUID();
    String body = """
        {"id": "@ID@", "tasks": [{"id": "t", "method": "test/echo", "params": {"v": 1}}]}""".replace("@ID@", id);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Response>> answers = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        answers.add(pool.submit(() -> api.submit(body)));
      }
      Map<Integer, Long> byStatus = new LinkedHashMap<>();
      for (Future<Response> a : answers) {
        byStatus.merge(a.get(30, TimeUnit.SECONDS).status(), 1L, Long::sum);
      }
      assertEquals(Map.of(202, 1L, 409, 7L), byStatus);
    } finally {
      pool.shutdownNow();
    }
    assertEquals("completed", api.awaitEnd(id, END).status());
    assertEquals(1, api.events(id).stream().filter(type("workflow:submitted")).count());
  }

  @Test
  void duplicateIdIs409AndLeavesTheFirstWorkflowUntouched() {
    String id = "dup-" + UUID.randomUUID();
    String first = """
        {"id": "@ID@", "name": "first", "tasks": [{"id": "t", "method": "test/sleep", "params": {"ms": 150}}]}"""
        .replace("@ID@", id);
    String second = """
        {"id": "@ID@", "name": "second", "tasks": [{"id": "other", "method": "test/echo", "params": {"v": 2}}]}"""
        .replace("@ID@", id);
    assertEquals(202, api.submit(first).status());

    Response whileRunning = api.submit(second);
    assertEquals(409, whileRunning.status(), whileRunning::toString);
    assertEquals("conflict", whileRunning.json().path("error").asText(), whileRunning::toString);

    assertEquals("completed", api.awaitEnd(id, END).status());
    List<JsonNode> eventsBefore = api.events(id);
    Response afterEnd = api.submit(second);
    assertEquals(409, afterEnd.status(), afterEnd::toString);
    assertEquals("conflict", afterEnd.json().path("error").asText(), afterEnd::toString);

    JsonNode wf = api.workflow(id);
    assertEquals("first", wf.path("name").asText());
    assertEquals("completed", wf.path("status").asText());
    assertEquals(1, wf.path("tasks").size(), wf::toString);
    assertEquals(parse("{\"slept_ms\":150}"), task(wf, "t").path("result"));
    List<JsonNode> eventsAfter = api.events(id);
    assertEquals(eventIdsOf(eventsBefore), eventIdsOf(eventsAfter), "a rejected duplicate must not add events");
    assertEquals(eventsBefore, eventsAfter, "a rejected duplicate must not change events");
    assertEquals(1, eventsAfter.stream().filter(type("workflow:submitted")).count());
  }

  @Test
  void bodyOverOneMebibyteIs413WithContentLength() {
    String id = "big-" + UUID.randomUUID();
    byte[] body = bigDefinition(id);
    Response r = api.post("/workflows", "application/json", HttpRequest.BodyPublishers.ofByteArray(body));
    assertEquals(413, r.status(), r::toString);
    assertEquals("payload_too_large", r.json().path("error").asText(), r::toString);
    assertEquals(404, api.get("/workflows/" + id).status(), "a rejected workflow must not exist");
  }

  /**
   * A client that sends its whole body before it reads (Python's urllib, most scripts) must get the 413, not a
   * broken pipe: answering and closing while the body still arrives makes the client's TCP stack see a reset.
   */
  @Test
  void aClientThatWritesItsWholeBodyFirstGetsThe413AndKeepsItsConnection() throws IOException {
    byte[] body = ("{\"tasks\": [{\"id\": \"t\", \"method\": \"test/echo\", \"params\": {\"big\": \""
        + "x".repeat(12 * 1024 * 1024) + "\"}}]}").getBytes(StandardCharsets.UTF_8);
    URI base = api.uri("/");
    try (Socket socket = new Socket(base.getHost(), base.getPort())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      // One connection for all: each refusal reads the body to its end, so the next request follows on it.
      String[][] cases = {{"/workflows", "application/json", "413", "payload_too_large"},
          {"/providers", "application/json", "413", "payload_too_large"},
          {"/workflows", "text/plain", "415", "unsupported_media_type"},
          {"/providers", "application/yaml", "415", "unsupported_media_type"}};
      for (String[] c : cases) {
        out.write(("POST " + c[0] + " HTTP/1.1\r\nHost: " + base.getHost() + "\r\nContent-Type: " + c[1] + "\r\n"
            + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body); // all of it, before reading anything
        out.flush();
        RawResponse r = RawResponse.read(socket.getInputStream());
        assertEquals(Integer.parseInt(c[2]), r.status(), () -> String.join(" ", c) + ": " + r);
        assertEquals(c[3], parse(r.body()).path("error").asText(), () -> String.join(" ", c) + ": " + r);
      }
    }
  }

  /** The same for a chunked body, whose length the server learns only as it ends. */
  @Test
  void aClientThatWritesItsWholeChunkedBodyFirstGetsThe413AndKeepsItsConnection() throws IOException {
    byte[] chunk = "x".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
    URI base = api.uri("/");
    try (Socket socket = new Socket(base.getHost(), base.getPort())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      for (String path : new String[] {"/workflows", "/providers", "/workflows"}) {
        out.write(("POST " + path + " HTTP/1.1\r\nHost: " + base.getHost() + "\r\nContent-Type: application/json\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < 48; i++) { // 3 MiB, all of it before reading anything
          out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
          out.write(chunk);
          out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        RawResponse r = RawResponse.read(socket.getInputStream());
        assertEquals(413, r.status(), () -> path + ": " + r);
        assertEquals("payload_too_large", parse(r.body()).path("error").asText(), () -> path + ": " + r);
      }
    }
  }

  /** A chunked body whose chunk header is not hexadecimal: a 400 naming the problem, not a 503 (QA round 10). */
  @Test
  void aMalformedChunkedBodyIsAnInvalidRequest() throws IOException {
    URI base = api.uri("/");
    for (String path : new String[] {"/workflows", "/providers"}) {
      try (Socket socket = new Socket(base.getHost(), base.getPort())) {
        socket.setSoTimeout(30_000);
        OutputStream out = socket.getOutputStream();
        out.write(("POST " + path + " HTTP/1.1\r\nHost: " + base.getHost() + "\r\nContent-Type: application/json\r\n"
            + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        RawResponse r = RawResponse.read(socket.getInputStream());
        assertEquals(400, r.status(), () -> path + ": " + r);
        assertEquals("invalid_request", parse(r.body()).path("error").asText(), () -> path + ": " + r);
        assertTrue(parse(r.body()).path("message").asText().startsWith("the request body could not be read: "),
            () -> path + ": " + r);
      }
    }
  }

  /**
   * A client that sends its body slowly but steadily is served; one that stops sending gets a 408 (round 14: a valid
   * definition sent over 12 s was a 503 "try again" after 10 s, so a slow link could never submit it).
   */
  @Test
  void aSlowButSteadyBodyIsAcceptedAndAStalledOneIs408() throws Exception {
    String id = "slow-" + UUID.randomUUID();
    byte[] body = ("{\"id\": \"" + id + "\", \"tasks\": [{\"id\": \"t\", \"method\": \"test/echo\","
        + " \"params\": {\"pad\": \"" + "x".repeat(6000) + "\"}}]}").getBytes(StandardCharsets.UTF_8);
    URI base = api.uri("/");
    try (Socket socket = new Socket(base.getHost(), base.getPort())) {
      socket.setSoTimeout(60_000);
      OutputStream out = socket.getOutputStream();
      out.write(("POST /workflows HTTP/1.1\r\nHost: " + base.getHost() + "\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      int parts = 12;
      for (int i = 0; i < parts; i++) { // a slow link: a part a second, 12 s in all
        out.write(body, i * body.length / parts, (i + 1) * body.length / parts - i * body.length / parts);
        out.flush();
        Thread.sleep(1000);
      }
      RawResponse r = RawResponse.read(socket.getInputStream());
      assertEquals(202, r.status(), r::toString);
    }
    try (Socket socket = new Socket(base.getHost(), base.getPort())) {
      socket.setSoTimeout(60_000);
      OutputStream out = socket.getOutputStream();
      out.write(("POST /workflows HTTP/1.1\r\nHost: " + base.getHost() + "\r\nContent-Type: application/json\r\n"
          + "Content-Length: 100\r\n\r\n{\"tasks\": ").getBytes(StandardCharsets.US_ASCII));
      out.flush(); // and nothing more
      RawResponse r = RawResponse.read(socket.getInputStream());
      assertEquals(408, r.status(), r::toString);
      assertEquals("invalid_request", parse(r.body()).path("error").asText(), r::toString);
      assertTrue(parse(r.body()).path("message").asText().contains("stalled"), r::toString);
    }
  }

  /** A status line, headers and a body of known length, read from a raw connection. */
  private record RawResponse(int status, Map<String, String> headers, String body) {
    static RawResponse read(InputStream in) throws IOException {
      String statusLine = line(in);
      Map<String, String> headers = new LinkedHashMap<>();
      for (String header = line(in); !header.isEmpty(); header = line(in)) {
        int colon = header.indexOf(':');
        headers.put(header.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT),
            header.substring(colon + 1).trim());
      }
      byte[] body = in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
      return new RawResponse(Integer.parseInt(statusLine.split(" ")[1]), headers,
          new String(body, StandardCharsets.UTF_8));
    }

    private static String line(InputStream in) throws IOException {
      StringBuilder line = new StringBuilder();
      for (int c = in.read(); c != '\n'; c = in.read()) {
        if (c < 0) {
          throw new IOException("the connection ended after: " + line);
        }
        if (c != '\r') {
          line.append((char) c);
        }
      }
      return line.toString();
    }
  }

  @Test
  void bodyOfExactlyOneMebibyteIsNot413() {
    // 1 MiB is the limit itself, not over it: the body is read and judged (its params are too large: 400).
    String head = "{\"tasks\": [{\"id\": \"t\", \"method\": \"test/echo\", \"params\": {\"x\": \"";
    String tail = "\"}}]}";
    String body = head + "y".repeat(1024 * 1024 - head.length() - tail.length()) + tail;
    assertEquals(1024 * 1024, body.getBytes(StandardCharsets.UTF_8).length);
    Response r = api.submit(body);
    assertEquals(400, r.status(), r::toString);
    assertEquals("invalid_definition", r.json().path("error").asText(), r::toString);
    assertDetail(details(r.json()), "tasks[0].params", "65536");
  }

  @Test
  void chunkedBodyOverOneMebibyteIs413() {
    String id = "big-chunked-" + UUID.randomUUID();
    byte[] body = bigDefinition(id);
    // No length known up front: HttpClient sends it chunked.
    Response r = api.post("/workflows", "application/json",
        HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)));
    assertEquals(413, r.status(), r::toString);
    assertEquals("payload_too_large", r.json().path("error").asText(), r::toString);
    assertEquals(404, api.get("/workflows/" + id).status(), "a rejected workflow must not exist");
  }

  @Test
  void otherMediaTypesAre415() {
    String id = "media-" + UUID.randomUUID();
    String body = "{\"id\": \"" + id + "\", \"tasks\": [{\"id\": \"t\", \"method\": \"test/echo\"}]}";
    for (String contentType : new String[] {"text/plain", "text/plain; charset=utf-8", "application/xml",
        "application/json; foo=bar", "application/yaml; charset=utf-8; version=2", null}) {
      Response r = api.post("/workflows", contentType, body);
      assertEquals(415, r.status(), () -> contentType + ": " + r);
      assertEquals("unsupported_media_type", r.json().path("error").asText(), () -> contentType + ": " + r);
      assertTrue(r.json().path("message").isTextual(), r::toString);
    }
    assertEquals(404, api.get("/workflows/" + id).status(), "a rejected workflow must not exist");
    Response unparsable = api.post("/workflows", "application/json; =x", body);
    assertEquals(415, unparsable.status(), unparsable::toString);
    assertTrue(unparsable.json().path("message").asText().startsWith("content type 'application/json; =x'"),
        "the type that was sent, not the application/octet-stream it falls back to: " + unparsable);
  }

  /** An empty parameter list ("application/json;") is still JSON; Pekko's header parser refuses it (round 14). */
  @Test
  void aContentTypeWithATrailingSemicolonIsStillJson() {
    for (String contentType : new String[] {"application/json;", "application/yaml ; charset=utf-8;"}) {
      Response r = api.post("/workflows", contentType, "{\"tasks\": [{\"id\": \"t\", \"method\": \"test/echo\"}]}");
      assertEquals(202, r.status(), () -> contentType + ": " + r);
    }
  }

  /** A gzip body (Content-Encoding) is read decoded; a coding the node cannot decode is a 415 (round 14). */
  @Test
  void aCompressedBodyIsDecodedAndAnUnknownCodingIs415() throws IOException {
    String id = "gzip-" + UUID.randomUUID();
    Response r = postEncoded("/workflows", "gzip",
        gzip("{\"id\": \"" + id + "\", \"tasks\": [{\"id\": \"t\", \"method\": \"test/echo\"}]}"));
    assertEquals(202, r.status(), r::toString);
    assertEquals(id, r.json().path("workflow_id").asText());

    Response br = postEncoded("/workflows", "br", "{\"tasks\": []}".getBytes(StandardCharsets.UTF_8));
    assertEquals(415, br.status(), br::toString);
    assertEquals("unsupported_media_type", br.json().path("error").asText(), br::toString);
    assertEquals("the request body's Content-Encoding is not accepted; send it gzip, deflate or not encoded",
        br.json().path("message").asText(), "one error body, not one inside another's message");

    // A body that is not in its declared coding is the client's mistake: 400, not a 503 a client would retry.
    Response corrupt = postEncoded("/workflows", "gzip", "{}".getBytes(StandardCharsets.UTF_8));
    assertEquals(400, corrupt.status(), corrupt::toString);
    assertEquals("invalid_request", corrupt.json().path("error").asText(), corrupt::toString);

    // POST /providers reads its body the same way.
    String provider = "gz-" + UUID.randomUUID().toString().substring(0, 8);
    Response registered = postEncoded("/providers", "gzip",
        gzip("{\"id\": \"" + provider + "\", \"type\": \"external\", \"methods\": [\"gz/x\"]}"));
    assertEquals(201, registered.status(), registered::toString);
    Response brProvider = postEncoded("/providers", "br", "{}".getBytes(StandardCharsets.UTF_8));
    assertEquals(415, brProvider.status(), brProvider::toString);
    api.send(java.net.http.HttpRequest.newBuilder(api.uri("/providers/" + provider)).DELETE());
  }

  private Response postEncoded(String path, String coding, byte[] body) {
    return api.send(java.net.http.HttpRequest.newBuilder(api.uri(path))
        .header("Content-Type", "application/json").header("Content-Encoding", coding)
        .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  private static byte[] gzip(String text) throws IOException {
    java.io.ByteArrayOutputStream zipped = new java.io.ByteArrayOutputStream();
    try (var gzip = new java.util.zip.GZIPOutputStream(zipped)) {
      gzip.write(text.getBytes(StandardCharsets.UTF_8));
    }
    return zipped.toByteArray();
  }

  @Test
  void aBodyWithoutAContentTypeIsSaidSo() {
    Response r = api.send(java.net.http.HttpRequest.newBuilder(api.uri("/workflows"))
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"tasks\": []}")));
    assertEquals(415, r.status(), r::toString);
    // Pekko takes a body without a Content-Type for application/octet-stream (an empty one for none/none).
    assertTrue(r.json().path("message").asText().contains("without a Content-Type"), r::toString);
  }

  @Test
  void unknownWorkflowIs404OnEveryReadEndpoint() {
    String id = "no-such-" + UUID.randomUUID();
    for (String path : List.of("/workflows/" + id, "/workflows/" + id + "/events",
        "/workflows/" + id + "/state?at_sequence=1")) {
      Response r = api.get(path);
      assertEquals(404, r.status(), () -> path + ": " + r);
      assertJsonContentType(r);
      assertEquals("not_found", r.json().path("error").asText(), () -> path + ": " + r);
      assertTrue(r.json().path("message").asText().contains(id), () -> path + ": " + r);
    }
  }

  @Test
  void unknownPathIs404WithAJsonErrorBody() {
    for (String path : List.of("/no/such/path", "/workflowz", "/health/nope")) {
      Response r = api.get(path);
      assertEquals(404, r.status(), () -> path + ": " + r);
      assertJsonContentType(r);
      assertEquals("not_found", r.json().path("error").asText(), () -> path + ": " + r);
    }
  }

  @Test
  void aWrongMethodIs405NamingTheAllowedOnesAndHeadIsAnsweredWhereGetIs() {
    Response delete = api.send(HttpRequest.newBuilder(api.uri("/workflows")).DELETE());
    assertEquals(405, delete.status(), delete::toString);
    assertErrorBody(delete);
    assertEquals(java.util.Optional.of("POST, GET, HEAD, OPTIONS"), delete.headers().firstValue("Allow"),
        delete::toString);
    Response options = api.send(HttpRequest.newBuilder(api.uri("/workflows"))
        .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));
    assertEquals(204, options.status(), options::toString);
    assertEquals(java.util.Optional.of("POST, GET, HEAD, OPTIONS"), options.headers().firstValue("Allow"),
        options::toString);

    Response head = api.send(HttpRequest.newBuilder(api.uri("/health/alive"))
        .method("HEAD", HttpRequest.BodyPublishers.noBody()));
    assertEquals(200, head.status(), head::toString);
    assertEquals("", head.body(), head::toString);
  }

  @Test
  void requestsRejectedBeforeRoutingStillGetTheJsonErrorBody() {
    // SPEC §5: errors are {"error", "message", "details"}; also those the HTTP layer answers on its own.
    Response longUri = api.get("/workflows/" + "x".repeat(3000));
    assertEquals(414, longUri.status(), longUri::toString);
    assertErrorBody(longUri);

    Response bigHeader = api.send(HttpRequest.newBuilder(api.uri("/health/alive")).header("X-Big", "x".repeat(20_000))
        .GET());
    assertEquals(431, bigHeader.status(), bigHeader::toString);
    assertErrorBody(bigHeader);
  }

  // ---------------------------------------------------------------- running workflows (§2, §3, §4)

  @Test
  void chainWithSubstitutionCompletesAndReadsBackInTheSpecShape() {
    String id = "chain-" + UUID.randomUUID();
    Ended ended = api.awaitEnd(api.submitAccepted(substitutionChain(id)), END);
    assertEquals("completed", ended.status());

    JsonNode wf = api.workflow(id);
    for (String key : List.of("workflow_id", "name", "status", "error_strategy", "submitted_at", "completed_at",
        "metadata", "tasks")) {
      assertTrue(wf.has(key), () -> "GET /workflows/{id} lacks '" + key + "': " + wf);
    }
    assertEquals(id, wf.path("workflow_id").asText());
    assertEquals("Chain " + id, wf.path("name").asText());
    assertEquals("completed", wf.path("status").asText());
    assertEquals("stop", wf.path("error_strategy").asText());
    assertEquals(parse("{\"team\":\"qa\",\"run\":7}"), wf.path("metadata"));
    assertTimestamp(wf, "submitted_at");
    assertTimestamp(wf, "completed_at");
    assertEquals(List.of("a", "b", "c"), ids(wf.path("tasks")));

    JsonNode a = task(wf, "a");
    JsonNode b = task(wf, "b");
    JsonNode c = task(wf, "c");
    String provider = a.path("provider_id").asText();
    assertTrue(provider.startsWith("test-"), () -> "the built-in test provider runs test/*: " + a);
    for (JsonNode t : List.of(a, b, c)) {
      for (String key : List.of("id", "method", "state", "attempt", "provider_id", "dependencies", "params",
          "result", "error", "started_at", "completed_at", "waiting_for")) {
        assertTrue(t.has(key), () -> "task lacks '" + key + "': " + t);
      }
      assertEquals("test/echo", t.path("method").asText());
      assertEquals("completed", t.path("state").asText(), t::toString);
      assertEquals(1, t.path("attempt").asInt(), t::toString);
      assertEquals(provider, t.path("provider_id").asText(), t::toString);
      assertTrue(t.path("error").isNull(), t::toString);
      assertTrue(t.path("waiting_for").isNull(), t::toString);
      assertTimestamp(t, "started_at");
      assertTimestamp(t, "completed_at");
      // test/echo returns its params: the result is the resolved params.
      assertEquals(t.path("params"), t.path("result"), t::toString);
    }
    assertEquals(parse("[]"), a.path("dependencies"));
    assertEquals(parse("[\"a\"]"), b.path("dependencies"));
    assertEquals(parse("[\"b\"]"), c.path("dependencies"));

    JsonNode aResult = parse("""
        {"x": 1, "o": {"x": 1}, "items": [{"name": "first"}, {"name": "second"}], "f": 2.5}""");
    assertEquals(aResult, a.path("result"));
    JsonNode bParams = b.path("params");
    assertAll(
        () -> assertEquals(parse("1"), bParams.path("whole"), "a whole-string placeholder keeps the JSON type"),
        () -> assertTrue(bParams.path("whole").isIntegralNumber(), bParams::toString),
        () -> assertEquals(parse("{\"x\":1}"), bParams.path("whole_obj")),
        () -> assertEquals("o={\"x\":1} x=1 f=2.5 name=first", bParams.path("embedded").asText(),
            "embedded placeholders become text, non-strings as compact JSON"),
        () -> assertEquals("second", bParams.path("indexed").asText()),
        () -> assertEquals(aResult, bParams.path("v3"), "${task_a_result} is the whole result"),
        () -> assertEquals("${a.result.x} stays", bParams.path("escaped").asText(), "$${ is a literal ${"),
        () -> assertEquals(provider, bParams.path("provider").asText()),
        () -> assertEquals(parse("[{\"name\":\"second\"},\"plain\"]"), bParams.path("nested").path("list")));
    JsonNode cParams = c.path("params").deepCopy();
    JsonNode took = ((ObjectNode) cParams).remove("took");
    assertTrue(took != null && took.isIntegralNumber() && took.asLong() >= 0,
        () -> "${a.duration_ms} is a number of milliseconds: " + c);
    assertEquals(parse("""
        {"from_b": "second", "b_status": "completed", "deep": [1, {"k": 1}], "keep": {"${a.result}": "k"}}"""),
        cParams, "keys are never substituted");
  }

  @Test
  void eventsOfAChainAreCompleteNumberedOrderedAndStable() {
    String id = "events-" + UUID.randomUUID();
    Ended ended = api.awaitEnd(api.submitAccepted(substitutionChain(id)), END);
    assertEquals("completed", ended.status());

    List<JsonNode> events = api.events(id);
    assertFalse(events.isEmpty());
    Set<String> eventIds = new HashSet<>();
    for (int i = 0; i < events.size(); i++) {
      JsonNode e = events.get(i);
      for (String key : ENVELOPE_KEYS) {
        assertTrue(e.has(key), () -> "envelope lacks '" + key + "': " + e);
      }
      assertEquals(i + 1, e.path("sequence_number").asLong(), () -> "sequence numbers run 1..N: " + e);
      assertTrue(e.path("sequence_number").isIntegralNumber(), e::toString);
      assertTrue(eventIds.add(e.path("event_id").asText()), () -> "duplicate event_id: " + e);
      assertTrue(e.path("event_id").isTextual() && !e.path("event_id").asText().isBlank(), e::toString);
      assertTrue(e.path("event_type").isTextual(), e::toString);
      assertTimestamp(e, "timestamp");
      assertTrue(e.path("source_component").isTextual(), e::toString);
      assertEquals(id, e.path("workflow_id").asText(), e::toString);
      assertEquals(id, e.path("correlation_id").asText(), e::toString);
      assertTrue(SEVERITIES.contains(e.path("severity").asText()), e::toString);
      assertTrue(e.path("payload").isObject(), e::toString);
      assertTrue(e.path("metadata").isObject(), e::toString);
    }
    // Stable: the same events with the same ids on a second read; and the stream delivered the same history.
    assertEquals(eventIdsOf(events), eventIdsOf(api.events(id)));
    assertEquals(eventIdsOf(events), eventIdsOf(ended.streamed()), "the event stream replays the same events");
    assertEquals(eventIdsOf(events), ended.sseIds(), "each SSE id: is the event_id of its envelope");

    List<String> types = events.stream().map(e -> e.path("event_type").asText()).toList();
    assertEquals("workflow:submitted", types.get(0));
    assertEquals("workflow:completed", types.get(types.size() - 1));
    assertTrue(types.contains("workflow:state_changed"), types::toString);
    assertEquals(parse("\"completed\""), events.stream().filter(type("workflow:state_changed"))
        .reduce((x, y) -> y).orElseThrow().path("payload").path("to"));

    for (String t : List.of("a", "b", "c")) {
      List<String> ofTask = events.stream()
          .filter(e -> t.equals(e.path("task_id").asText()) && !type("dependency:satisfied").test(e))
          .map(e -> e.path("event_type").asText()).toList();
      assertEquals(TASK_LIFECYCLE, ofTask, "the envelopes of task " + t + " in order");
      events.stream().filter(e -> t.equals(e.path("task_id").asText()))
          .filter(type("task:assigned").or(type("task:started")).or(type("task:completed")))
          .forEach(e -> assertTrue(e.path("provider_id").asText().startsWith("test-"), e::toString));
    }
    // One dependency:satisfied per edge, between the dependency's completion and the dependent's readiness.
    List<Integer> satisfied = indexesOf(events, type("dependency:satisfied"));
    assertEquals(2, satisfied.size(), types::toString);
    assertBetween(satisfied.get(0), indexOf(events, "a", "task:completed"), indexOf(events, "b", "task:ready"));
    assertBetween(satisfied.get(1), indexOf(events, "b", "task:completed"), indexOf(events, "c", "task:ready"));

    // parameters:resolved carries every substitution: path, placeholder, value.
    JsonNode aResolved = events.get(indexOf(events, "a", "parameters:resolved"));
    assertEquals(parse("[]"), substitutions(aResolved), "no placeholders: an empty list");
    JsonNode bSubs = substitutions(events.get(indexOf(events, "b", "parameters:resolved")));
    assertEquals(10, bSubs.size(), bSubs::toString);
    assertAll(
        () -> assertSubstitution(bSubs, "$.whole", "${a.result.x}", parse("1")),
        () -> assertSubstitution(bSubs, "$.whole_obj", "${a.result.o}", parse("{\"x\":1}")),
        () -> assertSubstitution(bSubs, "$.embedded", "${a.result.o}", parse("{\"x\":1}")),
        () -> assertSubstitution(bSubs, "$.embedded", "${a.result.f}", parse("2.5")),
        () -> assertSubstitution(bSubs, "$.embedded", "${a.result.items[0].name}", parse("\"first\"")),
        () -> assertSubstitution(bSubs, "$.indexed", "${a.result.items[1].name}", parse("\"second\"")),
        () -> assertSubstitution(bSubs, "$.v3", "${task_a_result}", task(api.workflow(id), "a").path("result")),
        () -> assertSubstitution(bSubs, "$.nested.list[0]", "${a.result.items[1]}", parse("{\"name\":\"second\"}")),
        () -> assertFalse(Json.compact(bSubs).contains("$${"), "an escaped ${ is no placeholder"));
    JsonNode cSubs = substitutions(events.get(indexOf(events, "c", "parameters:resolved")));
    assertEquals(5, cSubs.size(), cSubs::toString);
    assertSubstitution(cSubs, "$.deep[0]", "${a.result.x}", parse("1"));
    assertSubstitution(cSubs, "$.deep[1].k", "${b.result.whole}", parse("1"));
    assertSubstitution(cSubs, "$.b_status", "${b.status}", parse("\"completed\""));
  }

  @Test
  void unresolvablePlaceholderFailsTheTaskAtOnceWithoutRetry() {
    String id = "unresolvable-" + UUID.randomUUID();
    String placeholder = "${a.result.missing}";
    Ended ended = api.awaitEnd(api.submitAccepted("""
        {"id": "@ID@", "tasks": [
          {"id": "a", "method": "test/echo", "params": {"present": 1}},
          {"id": "b", "method": "test/echo", "dependencies": ["a"],
           "params": {"y": "@PH@"}, "retry": {"max_attempts": 3, "base_delay": 0}},
          {"id": "c", "method": "test/echo", "dependencies": ["b"]}]}"""
        .replace("@ID@", id).replace("@PH@", placeholder)), END);
    assertEquals("failed", ended.status());

    JsonNode wf = api.workflow(id);
    assertEquals("failed", wf.path("status").asText());
    assertEquals("completed", task(wf, "a").path("state").asText());
    JsonNode b = task(wf, "b");
    assertEquals("failed", b.path("state").asText(), b::toString);
    assertEquals(1, b.path("attempt").asInt(), () -> "a resolution failure is never retried: " + b);
    assertTrue(b.path("error").isObject(), b::toString);
    assertTrue(b.path("error").path("message").asText().contains(placeholder), b::toString);
    assertFalse(b.path("error").path("retryable").asBoolean(true), b::toString);
    assertTrue(b.path("error").has("type"), b::toString);
    assertEquals("cancelled", task(wf, "c").path("state").asText(), "error_strategy stop cancels the rest");

    List<JsonNode> events = api.events(id);
    List<JsonNode> failures = events.stream().filter(type("parameters:resolution_failed")).toList();
    assertEquals(1, failures.size(), () -> eventTypes(events).toString());
    JsonNode failure = failures.get(0);
    assertEquals("b", failure.path("task_id").asText());
    assertEquals("error", failure.path("severity").asText());
    assertTrue(Json.compact(failure.path("payload")).contains(placeholder), failure::toString);
    assertTrue(Json.compact(failure.path("payload")).contains("missing"), () -> "the reason: " + failure);
    List<JsonNode> bEvents = events.stream().filter(e -> "b".equals(e.path("task_id").asText())).toList();
    assertEquals(0, bEvents.stream().filter(type("task:retry_scheduled")).count(), bEvents::toString);
    assertEquals(0, bEvents.stream().filter(type("task:started")).count(), "never sent to the provider");
    assertEquals(0, bEvents.stream().filter(type("parameters:resolved")).count());
    List<JsonNode> bFailed = bEvents.stream().filter(type("task:failed")).toList();
    assertEquals(1, bFailed.size(), bEvents::toString);
    assertFalse(bFailed.get(0).path("payload").path("will_retry").asBoolean(true), bFailed::toString);
    assertEquals("error", bFailed.get(0).path("severity").asText());
    assertEquals("workflow:failed", events.get(events.size() - 1).path("event_type").asText());
  }

  @Test
  void errorStrategyStopFailsTheWorkflowAndCancelsEverythingUnfinished() {
    String id = "stop-" + UUID.randomUUID();
    long started = System.nanoTime();
    Ended ended = api.awaitEnd(api.submitAccepted("""
        {"id": "@ID@", "error_strategy": "stop", "tasks": [
          {"id": "slow", "method": "test/sleep", "params": {"ms": 30000}},
          {"id": "gate", "method": "test/sleep", "params": {"ms": 300}},
          {"id": "f", "method": "test/fail", "dependencies": ["gate"],
           "params": {"message": "boom", "retryable": true}, "retry": {"max_attempts": 1}},
          {"id": "after_f", "method": "test/echo", "dependencies": ["f"]}]}""".replace("@ID@", id)), END);
    long tookMs = (System.nanoTime() - started) / 1_000_000;
    assertEquals("failed", ended.status());
    assertTrue(tookMs < 10_000, () -> "the workflow must not wait for the cancelled sleep: " + tookMs + " ms");

    JsonNode wf = api.workflow(id);
    assertEquals("failed", wf.path("status").asText());
    assertTimestamp(wf, "completed_at");
    JsonNode f = task(wf, "f");
    assertEquals("failed", f.path("state").asText(), f::toString);
    assertEquals(1, f.path("attempt").asInt(), f::toString);
    assertEquals("boom", f.path("error").path("message").asText(), f::toString);
    assertTrue(f.path("error").has("retryable") && f.path("error").has("type"), f::toString);
    assertEquals("completed", task(wf, "gate").path("state").asText());
    assertEquals("cancelled", task(wf, "after_f").path("state").asText(), "a pending dependent is cancelled");
    assertEquals("cancelled", task(wf, "slow").path("state").asText(), "a running sibling is cancelled");

    List<JsonNode> events = api.events(id);
    List<JsonNode> fFailed = events.stream().filter(type("task:failed"))
        .filter(e -> "f".equals(e.path("task_id").asText())).toList();
    assertEquals(1, fFailed.size(), () -> eventTypes(events).toString());
    assertFalse(fFailed.get(0).path("payload").path("will_retry").asBoolean(true), fFailed::toString);
    assertEquals("error", fFailed.get(0).path("severity").asText());
    Set<String> cancelled = events.stream().filter(type("task:cancelled"))
        .map(e -> e.path("task_id").asText()).collect(Collectors.toSet());
    assertEquals(Set.of("slow", "after_f"), cancelled);
    JsonNode wfFailed = events.stream().filter(type("workflow:failed")).findFirst().orElseThrow();
    assertEquals("error", wfFailed.path("severity").asText());
    assertEquals(0, events.stream().filter(type("workflow:completed")).count());
  }

  @Test
  void errorStrategyContinueSkipsDownstreamAndRunsIndependentBranches() {
    String id = "continue-" + UUID.randomUUID();
    Ended ended = api.awaitEnd(api.submitAccepted("""
        {"id": "@ID@", "error_strategy": "continue", "tasks": [
          {"id": "f", "method": "test/fail", "params": {"message": "nope", "retryable": false}},
          {"id": "d1", "method": "test/echo", "dependencies": ["f"]},
          {"id": "d2", "method": "test/echo", "dependencies": ["d1"]},
          {"id": "i1", "method": "test/sleep", "params": {"ms": 300}},
          {"id": "i2", "method": "test/echo", "dependencies": ["i1"], "params": {"v": "${i1.result.slept_ms}"}}
        ]}""".replace("@ID@", id)), END);
    assertEquals("failed", ended.status(), "continue ends failed when any task failed");

    JsonNode wf = api.workflow(id);
    assertEquals("failed", wf.path("status").asText());
    assertEquals("continue", wf.path("error_strategy").asText());
    assertEquals("failed", task(wf, "f").path("state").asText());
    assertEquals("nope", task(wf, "f").path("error").path("message").asText());
    assertEquals("skipped", task(wf, "d1").path("state").asText());
    assertEquals("skipped", task(wf, "d2").path("state").asText(), "transitively downstream is skipped too");
    assertEquals("completed", task(wf, "i1").path("state").asText());
    JsonNode i2 = task(wf, "i2");
    assertEquals("completed", i2.path("state").asText(), i2::toString);
    assertEquals(parse("{\"v\":300}"), i2.path("result"));

    List<JsonNode> events = api.events(id);
    Set<String> skipped = events.stream().filter(type("task:skipped"))
        .map(e -> e.path("task_id").asText()).collect(Collectors.toSet());
    assertEquals(Set.of("d1", "d2"), skipped);
    assertEquals(0, events.stream().filter(type("task:cancelled")).count(), () -> eventTypes(events).toString());
    assertTrue(indexOf(events, "i2", "task:completed") < indexesOf(events, type("workflow:failed")).get(0),
        "the independent branch finishes before the workflow ends");
  }

  @Test
  void flakyTaskIsRetriedWithBackoffUntilItSucceeds() {
    String id = "flaky-" + UUID.randomUUID();
    Ended ended = api.awaitEnd(api.submitAccepted("""
        {"id": "@ID@", "tasks": [
          {"id": "t", "method": "test/flaky", "params": {"fail_times": 2, "value": 7},
           "retry": {"max_attempts": 3, "base_delay": 0.05, "jitter": false}}]}""".replace("@ID@", id)), END);
    assertEquals("completed", ended.status());

    JsonNode t = task(api.workflow(id), "t");
    assertEquals("completed", t.path("state").asText(), t::toString);
    assertEquals(3, t.path("attempt").asInt(), t::toString);
    assertEquals(parse("{\"attempt\":3,\"value\":7}"), t.path("result"));
    assertTrue(t.path("error").isNull(), () -> "task fields describe the latest attempt: " + t);

    List<JsonNode> events = api.events(id);
    List<JsonNode> failed = events.stream().filter(type("task:failed")).toList();
    assertEquals(2, failed.size(), () -> eventTypes(events).toString());
    for (JsonNode e : failed) {
      assertTrue(e.path("payload").path("will_retry").asBoolean(false), e::toString);
      assertEquals("warning", e.path("severity").asText(), e::toString);
    }
    assertEquals(2, events.stream().filter(type("task:retry_scheduled")).count(), () -> eventTypes(events).toString());
    assertEquals(3, events.stream().filter(type("task:ready")).count(), () -> eventTypes(events).toString());
    assertEquals(3, events.stream().filter(type("task:assigned")).count(), () -> eventTypes(events).toString());
    assertEquals(1, events.stream().filter(type("task:completed")).count());
    // Exponential backoff without jitter: 50 ms after attempt 1, 100 ms after attempt 2.
    List<Integer> readies = indexesOf(events, type("task:ready"));
    List<Integer> failures = indexesOf(events, type("task:failed"));
    assertTrue(millisBetween(events.get(failures.get(0)), events.get(readies.get(1))) >= 50,
        "attempt 2 waits base_delay");
    assertTrue(millisBetween(events.get(failures.get(1)), events.get(readies.get(2))) >= 100,
        "attempt 3 waits base_delay * 2");
    assertEquals("workflow:completed", events.get(events.size() - 1).path("event_type").asText());
  }

  // ---------------------------------------------------------------- state at a sequence number (§4)

  @Test
  void stateAtSequenceRebuildsThePastAndThePresent() {
    String id = "state-" + UUID.randomUUID();
    Ended ended = api.awaitEnd(api.submitAccepted("""
        {"id": "@ID@", "name": "state", "tasks": [
          {"id": "a", "method": "test/echo", "params": {"v": 1}},
          {"id": "b", "method": "test/echo", "dependencies": ["a"], "params": {"v": "${a.result.v}"}},
          {"id": "c", "method": "test/echo", "dependencies": ["b"], "params": {"v": "${b.result.v}"}}]}"""
        .replace("@ID@", id)), END);
    assertEquals("completed", ended.status());
    List<JsonNode> events = api.events(id);
    JsonNode current = api.workflow(id);

    long firstCompleted = events.get(indexesOf(events, type("task:completed")).get(0)).path("sequence_number")
        .asLong();
    JsonNode past = ApiTestClient.ok(api.get("/workflows/" + id + "/state?at_sequence=" + firstCompleted));
    assertEquals(id, past.path("workflow_id").asText());
    assertEquals("running", past.path("status").asText(), past::toString);
    assertTrue(past.path("completed_at").isNull(), past::toString);
    assertEquals(List.of("a", "b", "c"), ids(past.path("tasks")));
    assertEquals("completed", task(past, "a").path("state").asText(), past::toString);
    assertEquals(parse("{\"v\":1}"), task(past, "a").path("result"));
    assertFalse("completed".equals(task(past, "c").path("state").asText()), past::toString);
    assertTrue(task(past, "c").path("result").isNull(), past::toString);

    JsonNode first = ApiTestClient.ok(api.get("/workflows/" + id + "/state?at_sequence=1"));
    assertEquals("running", first.path("status").asText(), first::toString);
    assertEquals(3, first.path("tasks").size(), first::toString);
    assertFalse("completed".equals(task(first, "a").path("state").asText()), first::toString);

    long last = events.get(events.size() - 1).path("sequence_number").asLong();
    assertEquals(current, ApiTestClient.ok(api.get("/workflows/" + id + "/state?at_sequence=" + last)));
    assertEquals(current, ApiTestClient.ok(api.get("/workflows/" + id + "/state?at_sequence=" + (last + 1000))),
        "past the last event it is the current state");
  }

  @Test
  void stateAtSequenceRejectsBadValuesWith400() {
    String id = "state-bad-" + UUID.randomUUID();
    api.awaitEnd(api.submitAccepted("""
        {"id": "@ID@", "tasks": [{"id": "a", "method": "test/echo"}]}""".replace("@ID@", id)), END);
    for (String query : List.of("?at_sequence=0", "?at_sequence=-1", "?at_sequence=abc", "?at_sequence=",
        "?at_sequence=1.5", "?at_sequence=%2B1", "?at_sequence=%201", "?at_sequence=1&at_sequence=2", "")) {
      Response r = api.get("/workflows/" + id + "/state" + query);
      assertEquals(400, r.status(), () -> query + ": " + r);
      assertJsonContentType(r);
      assertEquals("invalid_request", r.json().path("error").asText(), () -> query + ": " + r);
      assertTrue(r.json().path("message").isTextual(), r::toString);
    }
  }

  // ---------------------------------------------------------------- health (§5)

  @Test
  void healthAliveAndReady() {
    Response alive = api.get("/health/alive");
    assertEquals(200, alive.status(), alive::toString);
    Response ready = api.get("/health/ready");
    assertEquals(200, ready.status(), ready::toString);
    assertEquals("ready", ready.json().path("status").asText(), ready::toString);
  }

  // ---------------------------------------------------------------- load

  @Test
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  void twoHundredChainsSubmittedConcurrentlyAllComplete() throws Exception {
    int workflows = 200;
    int threads = 16;
    String run = UUID.randomUUID().toString().substring(0, 8);
    AtomicInteger next = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    Map<String, String> statuses = new ConcurrentHashMap<>();
    long start = System.nanoTime();
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int w = 0; w < threads; w++) {
        workers.add(pool.submit(() -> {
          for (int i = next.getAndIncrement(); i < workflows; i = next.getAndIncrement()) {
            String id = "load-" + run + "-" + i;
            api.submitAccepted("""
                {"id": "@ID@", "tasks": [
                  {"id": "a", "method": "test/echo", "params": {"i": @I@}},
                  {"id": "b", "method": "test/echo", "dependencies": ["a"], "params": {"i": "${a.result.i}"}},
                  {"id": "c", "method": "test/echo", "dependencies": ["b"], "params": {"s": "i=${b.result.i}"}}
                ]}""".replace("@ID@", id).replace("@I@", Integer.toString(i)));
            statuses.put(id, api.awaitEnd(id, Duration.ofMinutes(2)).status());
          }
          return null;
        }));
      }
      for (Future<?> worker : workers) {
        worker.get(2, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf("HttpApiIT throughput: %d workflows (%d tasks) in %.2f s = %.1f workflows/s, %.1f tasks/s "
        + "(%d client threads)%n", workflows, workflows * 3, seconds, workflows / seconds, workflows * 3 / seconds,
        threads);

    assertEquals(workflows, statuses.size());
    Map<String, Long> byStatus = statuses.values().stream()
        .collect(Collectors.groupingBy(s -> s, Collectors.counting()));
    assertEquals(Map.of("completed", (long) workflows), byStatus);
    for (int i = 0; i < workflows; i += 20) {
      JsonNode wf = api.workflow("load-" + run + "-" + i);
      assertEquals(parse("{\"s\":\"i=" + i + "\"}"), task(wf, "c").path("result"), wf::toString);
    }
  }

  // ---------------------------------------------------------------- helpers

  /** a -> b -> c with every kind of placeholder of SPEC §2. */
  private static String substitutionChain(String id) {
    return """
        {"id": "@ID@", "name": "Chain @ID@", "metadata": {"team": "qa", "run": 7},
         "tasks": [
           {"id": "a", "method": "test/echo",
            "params": {"x": 1, "o": {"x": 1}, "items": [{"name": "first"}, {"name": "second"}], "f": 2.5}},
           {"id": "b", "method": "test/echo", "dependencies": ["a"],
            "params": {
              "whole": "${a.result.x}",
              "whole_obj": "${a.result.o}",
              "embedded": "o=${a.result.o} x=${a.result.x} f=${a.result.f} name=${a.result.items[0].name}",
              "indexed": "${a.result.items[1].name}",
              "v3": "${task_a_result}",
              "escaped": "$${a.result.x} stays",
              "provider": "${a.provider_id}",
              "nested": {"list": ["${a.result.items[1]}", "plain"]}}},
           {"id": "c", "method": "test/echo", "dependencies": ["b"],
            "params": {"from_b": "${b.result.indexed}", "b_status": "${b.status}",
                       "deep": ["${a.result.x}", {"k": "${b.result.whole}"}], "keep": {"${a.result}": "k"},
                       "took": "${a.duration_ms}"}}
         ]}""".replace("@ID@", id);
  }

  /** A valid-looking definition of a little over 1 MiB. */
  private static byte[] bigDefinition(String id) {
    String filler = "x".repeat(1024 * 1024 + 100);
    return ("{\"id\": \"" + id + "\", \"tasks\": [{\"id\": \"t\", \"method\": \"test/echo\", \"params\": {\"big\": \""
        + filler + "\"}}]}").getBytes(StandardCharsets.UTF_8);
  }

  private static void assertJsonContentType(Response r) {
    String type = r.contentType();
    assertNotNull(type, () -> "no content type: " + r);
    assertTrue(type.startsWith("application/json"), () -> "expected JSON, got " + type + ": " + r);
  }

  /** A SPEC §5 error body: JSON with a textual error code and message, and a details list. */
  private static void assertErrorBody(Response r) {
    assertJsonContentType(r);
    JsonNode body;
    try {
      body = Json.MAPPER.readTree(r.body());
    } catch (IOException e) {
      throw new AssertionError("error body is not JSON: " + r, e);
    }
    assertTrue(body.path("error").isTextual() && body.path("message").isTextual() && body.path("details").isArray(),
        () -> "not a SPEC error body: " + r);
  }

  private static void assertTimestamp(JsonNode o, String field) {
    JsonNode v = o.path(field);
    assertTrue(v.isTextual() && TIMESTAMP.matcher(v.asText()).matches(),
        () -> field + " must be UTC with milliseconds, got " + v + " in " + o);
  }

  /** The details of an error body by path: path -> messages. */
  private static Map<String, List<String>> details(JsonNode body) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (JsonNode d : body.path("details")) {
      assertTrue(d.path("path").isTextual() && d.path("message").isTextual(), () -> "malformed detail: " + d);
      out.computeIfAbsent(d.path("path").asText(), k -> new ArrayList<>()).add(d.path("message").asText());
    }
    return out;
  }

  private static void assertDetail(Map<String, List<String>> details, String path, String mentions) {
    List<String> messages = details.get(path);
    if (messages == null) {
      fail("no problem reported at " + path + "; got " + details);
    }
    assertTrue(messages.stream().anyMatch(m -> m.contains(mentions)),
        () -> "the problem at " + path + " should mention '" + mentions + "': " + messages);
  }

  private static Predicate<JsonNode> type(String eventType) {
    return e -> eventType.equals(e.path("event_type").asText());
  }

  private static List<String> eventTypes(List<JsonNode> events) {
    return events.stream().map(e -> e.path("task_id").asText("") + " " + e.path("event_type").asText()).toList();
  }

  private static List<String> eventIdsOf(List<JsonNode> events) {
    return events.stream().map(e -> e.path("event_id").asText()).toList();
  }

  private static List<String> ids(JsonNode tasks) {
    List<String> out = new ArrayList<>();
    tasks.forEach(t -> out.add(t.path("id").asText()));
    return out;
  }

  private static List<Integer> indexesOf(List<JsonNode> events, Predicate<JsonNode> which) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      if (which.test(events.get(i))) {
        out.add(i);
      }
    }
    return out;
  }

  /** The index of the only event of this type about this task. */
  private static int indexOf(List<JsonNode> events, String taskId, String eventType) {
    List<Integer> found = indexesOf(events, type(eventType).and(e -> taskId.equals(e.path("task_id").asText())));
    assertEquals(1, found.size(), () -> "expected one " + eventType + " of task " + taskId + ": " + eventTypes(events));
    return found.get(0);
  }

  private static void assertBetween(int index, int after, int before) {
    assertTrue(after < index && index < before,
        () -> "expected event #" + index + " after #" + after + " and before #" + before);
  }

  private static JsonNode substitutions(JsonNode resolvedEnvelope) {
    JsonNode subs = resolvedEnvelope.path("payload").path("substitutions");
    assertTrue(subs.isArray(), () -> "parameters:resolved lacks its substitutions: " + resolvedEnvelope);
    return subs;
  }

  private static void assertSubstitution(JsonNode subs, String path, String placeholder, JsonNode value) {
    for (JsonNode s : subs) {
      if (path.equals(s.path("path").asText()) && placeholder.equals(s.path("placeholder").asText())) {
        assertEquals(value, s.path("value"), () -> "value of " + placeholder + " at " + path + ": " + s);
        return;
      }
    }
    fail("no substitution of " + placeholder + " at " + path + " in " + subs);
  }

  private static long millisBetween(JsonNode earlier, JsonNode later) {
    return Instant.parse(later.path("timestamp").asText()).toEpochMilli()
        - Instant.parse(earlier.path("timestamp").asText()).toEpochMilli();
  }
}
