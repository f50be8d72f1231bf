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

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.node.GleitzeitNode;
import io.gleitzeit.node.NodeConfig;
import io.gleitzeit.testing.ApiTestClient;
import io.gleitzeit.testing.ApiTestClient.Response;
import io.gleitzeit.testing.Resources;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The provider API (SPEC §5, §6) against one real node started in-process, over HTTP only: registration,
 * listing, inspection, deregistration, the heartbeat deadline of a provider that never connects as seen on the
 * live event stream, and tasks waiting for a provider that does not exist.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProvidersApiIT {

  /** Short, so that the deadline (3 intervals) passes quickly; long enough for the built-in provider's beats. */
  private static final Duration HEARTBEAT = Duration.ofMillis(500);
  private static final Duration WAIT = Duration.ofSeconds(15);

  private Path dataDir;
  private GleitzeitNode node;
  private ApiTestClient api;
  private String builtinId;

  @BeforeAll
  void startNode() throws Exception {
    dataDir = Files.createTempDirectory("gleitzeit-providers-it-");
    Path conf = dataDir.resolve("providers-it.conf");
    Files.writeString(conf, "gleitzeit.providers.heartbeat-interval = " + HEARTBEAT.toMillis() + "ms\n");
    node = GleitzeitNode.start(NodeConfig.load(0, 0, dataDir, conf));
    CompletableFuture<Void> up = new CompletableFuture<>();
    Cluster cluster = Cluster.get(Adapter.toClassic(node.system()));
    cluster.registerOnMemberUp(() -> up.complete(null));
    up.get(30, TimeUnit.SECONDS);
    // SPEC §6: the node's built-in test provider is "test-<remote port>" (the bound port, as 0 was asked for).
    builtinId = "test-" + cluster.selfAddress().port().get();
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

  private static String uniqueId(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private Response register(String json) {
    return api.post("/providers", "application/json", json);
  }

  private static String registration(String id, int maxConcurrency) {
    return """
        {"id": "@ID@", "type": "external", "methods": ["test/echo", "mcp/tool.*"], "max_concurrency": @MAX@,
         "labels": {"zone": "eu-1", "gpu": "none"}}""".replace("@ID@", id).replace("@MAX@", "" + maxConcurrency);
  }

  private Response delete(String path) {
    return api.send(HttpRequest.newBuilder(api.uri(path)).DELETE());
  }

  private static Map<String, String> detailsByPath(JsonNode error) {
    Map<String, String> byPath = new HashMap<>();
    error.path("details").forEach(d -> byPath.put(d.path("path").asText(), d.path("message").asText()));
    return byPath;
  }

  // ---------------------------------------------------------------- registration

  @Test
  void registeringAnswers201WithTheProviderAndAgain200WithTheUpdatedDefinition() {
    String id = uniqueId("ext");

    Response created = register(registration(id, 2));

    assertEquals(201, created.status(), created::toString);
    assertTrue(created.contentType().startsWith("application/json"), created.contentType());
    JsonNode view = created.json();
    assertAll(
        () -> assertEquals(id, view.path("id").asText()),
        () -> assertEquals("external", view.path("type").asText()),
        () -> assertEquals(parse("[\"test/echo\",\"mcp/tool.*\"]"), view.path("methods")),
        () -> assertEquals(2, view.path("max_concurrency").asInt()),
        () -> assertEquals(parse("{\"zone\":\"eu-1\",\"gpu\":\"none\"}"), view.path("labels")),
        () -> assertEquals("available", view.path("status").asText()),
        () -> assertEquals(1.0, view.path("health_score").asDouble()),
        () -> assertEquals(0, view.path("load").asInt()),
        () -> assertEquals(parse("[]"), view.path("held_tasks")),
        () -> assertTrue(view.has("last_heartbeat"), view::toString),
        () -> assertTrue(view.path("last_heartbeat").isNull()
            || TIMESTAMP.matcher(view.path("last_heartbeat").asText()).matches(), view::toString),
        () -> assertFalse(view.path("connected").asBoolean(), "nothing has connected yet"));

    Response updated = register(registration(id, 5));
    assertEquals(200, updated.status(), updated::toString);
    assertEquals(5, updated.json().path("max_concurrency").asInt());
    JsonNode shown = ApiTestClient.ok(api.get("/providers/" + id));
    assertEquals(5, shown.path("max_concurrency").asInt());
    assertEquals(view.path("registered_at"), shown.path("registered_at"), "an update is not a new registration");

    Response same = register(registration(id, 5));
    assertEquals(200, same.status(), same::toString);
  }

  @Test
  void aBadRegistrationIs400ListingEveryProblemWithItsPath() {
    Response r = register("""
        {"id": "bad id!", "type": "quantum", "methods": ["test/echo", "not a method", "x*"],
         "max_concurrency": 0, "colour": "red"}""");

    assertEquals(400, r.status(), r::toString);
    JsonNode body = r.json();
    assertEquals("invalid_definition", body.path("error").asText());
    Map<String, String> details = detailsByPath(body);
    assertAll(
        () -> assertEquals(6, body.path("details").size(), body::toString),
        () -> assertTrue(details.get("id").contains("bad id!"), body::toString),
        () -> assertTrue(details.get("type").contains("unknown type 'quantum'"), body::toString),
        () -> assertTrue(details.get("methods[1]").contains("malformed method 'not a method'"), body::toString),
        () -> assertTrue(details.get("methods[2]").contains("malformed method prefix 'x*'"), body::toString),
        () -> assertTrue(details.get("max_concurrency").contains(">= 1"), body::toString),
        () -> assertTrue(details.get("colour").contains("unknown field 'colour'"), body::toString));

    Response empty = register("{\"id\": \"ok-id\", \"type\": \"external\", \"methods\": []}");
    assertEquals(400, empty.status(), empty::toString);
    assertEquals(List.of("methods"), List.copyOf(detailsByPath(empty.json()).keySet()));
    assertEquals(404, api.get("/providers/ok-id").status(), "a rejected registration registers nothing");

    Response notJson = register("{\"id\": ");
    assertEquals(400, notJson.status(), notJson::toString);
    assertEquals("$", notJson.json().path("details").path(0).path("path").asText());
  }

  @Test
  void aRegistrationThatIsNotJsonIs415() {
    String id = uniqueId("ext");
    for (String type : List.of("text/plain", "application/yaml")) {
      Response r = api.post("/providers", type, registration(id, 1));
      assertEquals(415, r.status(), () -> type + ": " + r);
      assertEquals("unsupported_media_type", r.json().path("error").asText());
    }
    assertEquals(404, api.get("/providers/" + id).status());
  }

  // ---------------------------------------------------------------- listing and inspection

  @Test
  void theListShowsTheBuiltInProviderConnectedAndRegisteredOnes() throws Exception {
    // Wait for one heartbeat of the built-in provider: after it, the provider has a runtime attached.
    try (EventTap beats = EventTap.open(api, "/events/stream?type=provider:heartbeat&provider_id=" + builtinId)) {
      JsonNode beat = beats.next(e -> true, WAIT);
      assertTrue(beat.path("sequence_number").isNull(), "heartbeats are live only: " + beat);
      assertEquals("debug", beat.path("severity").asText());
    }
    String id = uniqueId("ext");
    assertEquals(201, register(registration(id, 3)).status());

    JsonNode list = ApiTestClient.ok(api.get("/providers"));

    List<String> ids = new ArrayList<>();
    Map<String, JsonNode> byId = new HashMap<>();
    list.path("providers").forEach(p -> {
      ids.add(p.path("id").asText());
      byId.put(p.path("id").asText(), p);
    });
    assertEquals(ids.stream().sorted().toList(), ids, "listed by id");
    JsonNode builtin = byId.get(builtinId);
    assertNotNull(builtin, () -> "no " + builtinId + " in " + list);
    assertAll(
        () -> assertEquals("test", builtin.path("type").asText()),
        () -> assertEquals("available", builtin.path("status").asText()),
        () -> assertTrue(builtin.path("connected").asBoolean(), builtin::toString),
        () -> assertTrue(TIMESTAMP.matcher(builtin.path("last_heartbeat").asText()).matches(), builtin::toString),
        () -> assertTrue(builtin.path("methods").toString().contains("test/echo"), builtin::toString));
    JsonNode registered = byId.get(id);
    assertNotNull(registered, () -> "no " + id + " in " + list);
    assertEquals(3, registered.path("max_concurrency").asInt());
    JsonNode inspected = ApiTestClient.ok(api.get("/providers/" + id));
    for (String field : List.of("id", "type", "methods", "max_concurrency", "labels", "registered_at")) {
      assertEquals(registered.path(field), inspected.path(field), field);
    }
  }

  @Test
  void anUnknownProviderIs404() {
    Response r = api.get("/providers/" + uniqueId("nobody"));
    assertEquals(404, r.status(), r::toString);
    assertEquals("not_found", r.json().path("error").asText());
  }

  @Test
  void builtInProvidersAreDeclaredInConfigurationNotRegisteredUpdatedOrDeregisteredOverHttp() {
    Response llm = register("{\"id\": \"" + uniqueId("llm") + "\", \"type\": \"llm\","
        + " \"methods\": [\"llm/chat\"]}");
    assertEquals(400, llm.status(), llm::toString);
    assertEquals("invalid_definition", llm.json().path("error").asText());
    assertTrue(detailsByPath(llm.json()).get("type").startsWith("only external providers register over HTTP"),
        llm::toString);
    // ... said beside the registration's other problems, not only once they are mended.
    Response alsoBroken = register("{\"id\": \"" + uniqueId("t") + "\", \"type\": \"test\", \"methods\": [],"
        + " \"max_concurrency\": 0}");
    assertEquals(Set.of("type", "methods", "max_concurrency"), detailsByPath(alsoBroken.json()).keySet(),
        alsoBroken::toString);

    String builtIn = StreamSupport.stream(ApiTestClient.ok(api.get("/providers")).path("providers").spliterator(),
            false)
        .filter(p -> "test".equals(p.path("type").asText())).map(p -> p.path("id").asText()).findFirst()
        .orElseThrow();
    Response taken = register(registration(builtIn, 1));
    assertEquals(409, taken.status(), "an external registration may not take a built-in id: " + taken);
    Response deleted = delete("/providers/" + builtIn);
    assertEquals(409, deleted.status(), deleted::toString);
    assertEquals("conflict", deleted.json().path("error").asText());
    assertEquals("available", ApiTestClient.ok(api.get("/providers/" + builtIn)).path("status").asText());
  }

  // ---------------------------------------------------------------- deregistration

  @Test
  void deregisteringAnswersTheDeregisteredProviderAndUnknownOnesAre404() {
    String id = uniqueId("ext");
    assertEquals(201, register(registration(id, 1)).status());

    Response r = delete("/providers/" + id);

    assertEquals(200, r.status(), r::toString);
    assertEquals(id, r.json().path("id").asText());
    assertEquals("deregistered", r.json().path("status").asText());
    assertEquals("deregistered", ApiTestClient.ok(api.get("/providers/" + id)).path("status").asText());
    Response again = delete("/providers/" + id);
    assertEquals(200, again.status(), "deregistering twice is harmless: " + again);
    Response unknown = delete("/providers/" + uniqueId("nobody"));
    assertEquals(404, unknown.status(), unknown::toString);
    assertEquals("not_found", unknown.json().path("error").asText());
    // Registering the id again is a new registration.
    assertEquals(201, register(registration(id, 1)).status());
  }

  // ---------------------------------------------------------------- heartbeat deadline

  @Test
  void aProviderThatNeverConnectsTurnsUnhealthyAfterThreeHeartbeatIntervals() throws Exception {
    String id = uniqueId("silent");
    try (EventTap events = EventTap.open(api, "/events/stream?type=provider:*")) {
      assertEquals(201, register(registration(id, 1)).status());

      Predicate<JsonNode> ours = e -> id.equals(e.path("provider_id").asText());
      JsonNode registered = events.next(ours, WAIT);
      JsonNode available = events.next(ours, WAIT);
      JsonNode unhealthy = events.next(ours, WAIT);

      assertEquals(List.of("provider:registered", "provider:available", "provider:unhealthy"),
          List.of(registered.path("event_type").asText(), available.path("event_type").asText(),
              unhealthy.path("event_type").asText()));
      assertEquals(List.of(1L, 2L, 3L), List.of(registered.path("sequence_number").asLong(),
          available.path("sequence_number").asLong(), unhealthy.path("sequence_number").asLong()));
      assertEquals("error", unhealthy.path("severity").asText());
      assertEquals(3, unhealthy.path("payload").path("missed_heartbeats").asInt(), unhealthy::toString);
      assertEquals(id, unhealthy.path("correlation_id").asText());
      List<String> keys = new ArrayList<>();
      unhealthy.fieldNames().forEachRemaining(keys::add);
      assertEquals(ENVELOPE_KEYS, keys);
      Duration silent = Duration.between(Instant.parse(registered.path("timestamp").asText()),
          Instant.parse(unhealthy.path("timestamp").asText()));
      assertTrue(silent.compareTo(HEARTBEAT.multipliedBy(3)) >= 0, () -> "unhealthy after only " + silent);
      assertTrue(silent.compareTo(HEARTBEAT.multipliedBy(3).plusSeconds(5)) < 0, () -> "unhealthy only after " + silent);
      // Every envelope of the group filter is a provider event.
      assertTrue(events.seen().stream().allMatch(e -> e.path("event_type").asText().startsWith("provider:")),
          () -> events.seen().toString());
    }

    JsonNode view = ApiTestClient.ok(api.get("/providers/" + id));
    assertEquals("unhealthy", view.path("status").asText());
    assertEquals(0.0, view.path("health_score").asDouble());
    assertFalse(view.path("connected").asBoolean());
  }

  // ---------------------------------------------------------------- tasks waiting for a provider

  @Test
  void aTaskPinnedToAnUnknownProviderStaysReadyAndSaysWhy() {
    String provider = uniqueId("nobody");
    String wf = api.submitAccepted("""
        {"tasks": [{"id": "a", "method": "test/echo", "params": {"v": 1}, "provider": "@P@"}]}"""
        .replace("@P@", provider));

    JsonNode a = awaitWaitingFor(wf, "a");

    assertEquals("ready", a.path("state").asText(), a::toString);
    assertEquals("pinned provider " + provider + " is not registered", a.path("waiting_for").asText());
    assertTrue(a.path("provider_id").isNull(), a::toString);
    assertEquals("running", api.workflow(wf).path("status").asText());
  }

  @Test
  void aTaskWhoseMethodNoProviderServesStaysReadyAndSaysWhy() {
    String wf = api.submitAccepted("""
        {"tasks": [{"id": "gen", "method": "llm/generate", "params": {"prompt": "hi"}}]}""");

    JsonNode gen = awaitWaitingFor(wf, "gen");

    assertEquals("ready", gen.path("state").asText(), gen::toString);
    assertEquals("no healthy provider serves llm/generate", gen.path("waiting_for").asText());
  }

  private JsonNode awaitWaitingFor(String workflowId, String taskId) {
    return task(api.awaitWaitingFor(workflowId, taskId, WAIT), taskId);
  }

  // ---------------------------------------------------------------- a live event stream reader

  /** {@code GET /events/stream} read on its own thread into a queue; open once the server has answered. */
  private static final class EventTap implements AutoCloseable {
    private final BlockingQueue<JsonNode> queue = new LinkedBlockingQueue<>();
    private final List<JsonNode> seen = new ArrayList<>();
    private final Stream<String> lines;
    private final Thread reader;

    private EventTap(Stream<String> lines) {
      this.lines = lines;
      this.reader = new Thread(this::read, "providers-it-sse");
      reader.setDaemon(true);
      reader.start();
    }

    /** Returns once the response has started: from then on the stream's subscription is in place. */
    static EventTap open(ApiTestClient api, String pathAndQuery) throws Exception {
      HttpRequest request = HttpRequest.newBuilder(api.uri(pathAndQuery)).header("Accept", "text/event-stream")
          .GET().build();
      HttpResponse<Stream<String>> response = api.http().sendAsync(request, HttpResponse.BodyHandlers.ofLines())
          .get(10, TimeUnit.SECONDS);
      if (response.statusCode() != 200) {
        String body = String.join("\n", response.body().toList());
        throw new AssertionError("GET " + pathAndQuery + " answered HTTP " + response.statusCode() + ": " + body);
      }
      return new EventTap(response.body());
    }

    private void read() {
      StringBuilder data = new StringBuilder();
      try {
        Iterator<String> it = lines.iterator();
        while (it.hasNext()) {
          String line = it.next();
          if (line.startsWith("data:")) {
            data.append(line.substring(line.startsWith("data: ") ? 6 : 5));
          } else if (line.isEmpty() && data.length() > 0) {
            queue.add(parse(data.toString()));
            data.setLength(0);
          }
        }
      } catch (RuntimeException closed) {
        // The stream was closed by close().
      }
    }

    /** The next envelope that matches, skipping others; an AssertionError when none arrives in time. */
    JsonNode next(Predicate<JsonNode> matching, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        JsonNode e = queue.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (e == null) {
          throw new AssertionError("no matching event within " + timeout.toMillis() + " ms; seen: " + seen);
        }
        seen.add(e);
        if (matching.test(e)) {
          return e;
        }
      }
    }

    List<JsonNode> seen() {
      return seen;
    }

    @Override
    public void close() {
      lines.close();
    }
  }
}
