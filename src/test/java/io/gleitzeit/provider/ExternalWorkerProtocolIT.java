package io.gleitzeit.provider;

import static io.gleitzeit.testing.ApiTestClient.ok;
import static io.gleitzeit.testing.ApiTestClient.parse;
import static io.gleitzeit.testing.ApiTestClient.task;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.node.GleitzeitNode;
import io.gleitzeit.testing.ApiTestClient;
import io.gleitzeit.testing.EventWatch;
import io.gleitzeit.testing.ExternalWorker;
import io.gleitzeit.testing.LocalNode;
import io.gleitzeit.testing.Resources;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The external worker protocol of SPEC §6 against one in-process node, driven by {@link ExternalWorker} over
 * a real WebSocket. Every test has its own worker (its own provider id) and pins its tasks to it.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ExternalWorkerProtocolIT {

  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir
  static Path tmp;
  private GleitzeitNode node;
  private ApiTestClient api;
  private final List<ExternalWorker> workers = new ArrayList<>();

  @BeforeAll
  void startNode() throws Exception {
    node = LocalNode.start(tmp.resolve("data"), null);
    api = new ApiTestClient(node.baseUrl());
  }

  @AfterEach
  void stopWorkers() {
    for (ExternalWorker w : workers) {
      w.close();
      api.send(java.net.http.HttpRequest.newBuilder(api.uri("/providers/" + w.providerId())).DELETE());
    }
    workers.clear();
  }

  @AfterAll
  void stopNode() {
    Resources.closeAll(api, node);
  }

  private ExternalWorker worker() {
    ExternalWorker w = ExternalWorker.start(new ExternalWorker.Options(node.baseUrl(),
        "ext-" + UUID.randomUUID().toString().substring(0, 8)));
    workers.add(w);
    return w;
  }

  private static Predicate<JsonNode> frameType(String type) {
    return f -> type.equals(f.path("type").asText());
  }

  @Test
  void theFirstFrameIsTheWelcomeWithTheProviderIdAndTheHeartbeatInterval() {
    ExternalWorker w = worker();

    JsonNode first = w.received().get(0);
    assertEquals("welcome", first.path("type").asText(), first::toString);
    assertEquals(w.providerId(), first.path("provider_id").asText(), first::toString);
    assertEquals(node.settings().heartbeatInterval().toMillis(), first.path("heartbeat_interval_ms").asLong(),
        first::toString);
    assertEquals(5000, first.path("heartbeat_interval_ms").asLong(), "the default interval of SPEC §6");

    JsonNode view = ok(api.get("/providers/" + w.providerId()));
    assertTrue(view.path("connected").asBoolean(), view::toString);
    assertEquals("available", view.path("status").asText(), view::toString);
    assertEquals("external", view.path("type").asText(), view::toString);
  }

  @Test
  void connectingAsAnUnregisteredProviderIs404() {
    assertEquals(404, handshakeStatus("nobody-" + UUID.randomUUID()));
  }

  @Test
  void connectingAsADeregisteredOrABuiltInProviderIs404() {
    ExternalWorker w = worker();
    w.close();
    ok(api.send(java.net.http.HttpRequest.newBuilder(api.uri("/providers/" + w.providerId())).DELETE()));
    assertEquals(404, handshakeStatus(w.providerId()));

    String builtIn = null;
    for (JsonNode p : ok(api.get("/providers")).path("providers")) {
      if ("test".equals(p.path("type").asText())) {
        builtIn = p.path("id").asText();
      }
    }
    assertNotNull(builtIn, "every node runs a built-in test provider");
    assertEquals(404, handshakeStatus(builtIn), "a worker must not take over a built-in provider");
  }

  private int handshakeStatus(String providerId) {
    try {
      WebSocket ws = ExternalWorker.rawConnect(node.baseUrl(), providerId, new WebSocket.Listener() {}).join();
      ws.abort();
      throw new AssertionError("connecting as " + providerId + " was accepted");
    } catch (CompletionException e) {
      WebSocketHandshakeException refused = assertInstanceOf(WebSocketHandshakeException.class, e.getCause());
      return refused.getResponse().statusCode();
    }
  }

  @Test
  void taskExecuteCarriesTheResolvedParamsTheAttemptAndTheTimeout() {
    ExternalWorker w = worker();
    String id = api.submitAccepted("""
        {"tasks": [
          {"id": "a", "method": "ext/echo", "params": {"v": 41}, "provider": "%1$s"},
          {"id": "b", "method": "ext/echo", "params": {"from_a": "${a.result.v}", "n": 2}, "dependencies": ["a"],
           "timeout": 30, "provider": "%1$s"},
          {"id": "flaky", "method": "ext/fail", "params": {"message": "try again", "retryable": true},
           "retry": {"max_attempts": 2, "base_delay": 0, "jitter": false}, "provider": "%1$s"}
        ], "error_strategy": "continue"}""".formatted(w.providerId()));
    api.awaitEnd(id, WAIT);

    JsonNode executeB = w.awaitFrame("task:execute of b", frameType("task:execute")
        .and(f -> "b".equals(f.path("task_id").asText())), WAIT);
    assertEquals(id, executeB.path("workflow_id").asText(), executeB::toString);
    assertEquals("ext/echo", executeB.path("method").asText(), executeB::toString);
    assertEquals(1, executeB.path("attempt").asInt(), executeB::toString);
    assertEquals(parse("{\"from_a\": 41, \"n\": 2}"), executeB.path("params"), "params are sent resolved");
    assertEquals(30_000, executeB.path("timeout_ms").asLong(), executeB::toString);
    JsonNode executeA = w.awaitFrame("task:execute of a", frameType("task:execute")
        .and(f -> "a".equals(f.path("task_id").asText())), WAIT);
    assertTrue(executeA.has("timeout_ms") && executeA.path("timeout_ms").isNull(), executeA::toString);

    List<Integer> flakyAttempts = w.received().stream().filter(frameType("task:execute"))
        .filter(f -> "flaky".equals(f.path("task_id").asText())).map(f -> f.path("attempt").asInt()).toList();
    assertEquals(List.of(1, 2), flakyAttempts, "a retryable failure is retried as attempt 2");

    JsonNode wf = api.workflow(id);
    JsonNode b = task(wf, "b");
    assertEquals("completed", b.path("state").asText(), b::toString);
    assertEquals(w.providerId(), b.path("provider_id").asText(), b::toString);
    assertEquals(parse("{\"from_a\": 41, \"n\": 2}"), b.path("result"), "ext/echo answers its params");
    assertFalse(b.path("started_at").isNull(), "task:started was reported: " + b);
    JsonNode flaky = task(wf, "flaky");
    assertEquals("failed", flaky.path("state").asText(), flaky::toString);
    assertEquals(2, flaky.path("attempt").asInt(), flaky::toString);
  }

  /** A worker need not send task:started: its attempt's implied start is the dispatch (round 17: duration 0). */
  @Test
  void anAnswerWithoutTaskStartedIsTimedFromTheDispatch() {
    ExternalWorker w = worker();
    String id = api.submitAccepted("""
        {"tasks": [{"id": "s", "method": "ext/sleep", "params": {"ms": 300, "no_started": true}, "provider": "%s"},
                   {"id": "t", "method": "ext/echo", "params": {"took": "${s.duration_ms}"}, "dependencies": ["s"],
                    "provider": "%1$s"}]}""".formatted(w.providerId()));
    assertEquals("completed", api.awaitEnd(id, WAIT).status());

    JsonNode s = task(api.workflow(id), "s");
    long startedToCompleted = java.time.Duration.between(java.time.Instant.parse(s.path("started_at").asText()),
        java.time.Instant.parse(s.path("completed_at").asText())).toMillis();
    assertTrue(startedToCompleted >= 300, "started at the dispatch, at least 300 ms before the answer: " + s);
    JsonNode completed = api.events(id).stream().filter(e -> "task:completed".equals(e.path("event_type").asText())
        && "s".equals(e.path("task_id").asText())).findFirst().orElseThrow();
    assertEquals(startedToCompleted, completed.path("payload").path("duration_ms").asLong(), completed::toString);
    assertEquals(startedToCompleted, task(api.workflow(id), "t").path("result").path("took").asLong());
  }

  @Test
  void aNonRetryableFailureFailsTheTaskWithoutRetry() {
    ExternalWorker w = worker();
    String id = api.submitAccepted("""
        {"tasks": [{"id": "f", "method": "ext/fail", "params": {"message": "bad input", "retryable": false,
                    "error_type": "invalid_input"}, "retry": {"max_attempts": 3, "base_delay": 0},
                    "provider": "%s"}]}"""
        .formatted(w.providerId()));
    assertEquals("failed", api.awaitEnd(id, WAIT).status());

    JsonNode f = task(api.workflow(id), "f");
    assertEquals("failed", f.path("state").asText(), f::toString);
    assertEquals(1, f.path("attempt").asInt(), f::toString);
    assertEquals("bad input", f.path("error").path("message").asText(), f::toString);
    assertFalse(f.path("error").path("retryable").asBoolean(true), f::toString);
    assertEquals("invalid_input", f.path("error").path("type").asText(), "the worker's own type is kept: " + f);
    assertEquals(1, w.received().stream().filter(frameType("task:execute")).count(), "no second attempt");
    JsonNode failedEvent = api.events(id).stream().filter(e -> "task:failed".equals(e.path("event_type").asText()))
        .findFirst().orElseThrow();
    assertFalse(failedEvent.path("payload").path("will_retry").asBoolean(true), failedEvent::toString);
  }

  @Test
  void aMalformedFrameGetsAnErrorFrameAndTheConnectionKeepsWorking() {
    ExternalWorker w = worker();

    w.sendText("this is not json");
    JsonNode notJson = w.awaitFrame("error frame", frameType("error"), WAIT);
    assertTrue(notJson.path("message").asText().contains("not JSON"), notJson::toString);

    w.sendText("{\"type\": \"task:completed\", \"workflow_id\": \"wf-x\", \"attempt\": \"one\"}");
    JsonNode missing = w.awaitFrame("second error frame", frameType("error").and(f -> f != notJson), WAIT);
    String message = missing.path("message").asText();
    assertTrue(message.contains("task_id") && message.contains("attempt") && message.contains("result"),
        "the error names every problem: " + message);

    w.sendText("{\"type\": 7}");
    JsonNode badType = w.awaitFrame("third error frame",
        frameType("error").and(f -> f.path("message").asText().contains("'type'")), WAIT);
    assertTrue(badType.path("message").asText().contains("string"), badType::toString);

    w.sendText("{\"type\": \"task:failed\", \"workflow_id\": \"wf-x\", \"task_id\": \"t\", \"attempt\": 1,"
        + " \"error\": {\"message\": \"m\"}}");
    JsonNode noRetryable = w.awaitFrame("error for task:failed",
        frameType("error").and(f -> f.path("message").asText().contains("error.retryable")), WAIT);
    assertTrue(noRetryable.path("message").asText().startsWith("task:failed"), noRetryable::toString);

    w.sendBinary("{\"type\": \"heartbeat\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    JsonNode binary = w.awaitFrame("error for a binary frame",
        frameType("error").and(f -> f.path("message").asText().contains("binary")), WAIT);
    assertTrue(binary.path("message").asText().contains("JSON text"), binary::toString);

    assertFalse(w.closedFuture().isDone(), "the connection stays open");
    String id = api.submitAccepted("""
        {"tasks": [{"id": "e", "method": "ext/echo", "params": {"still": "working"}, "provider": "%s"}]}"""
        .formatted(w.providerId()));
    assertEquals("completed", api.awaitEnd(id, WAIT).status());
    assertEquals(parse("{\"still\": \"working\"}"), task(api.workflow(id), "e").path("result"));
  }

  /** SPEC §6: an error frame for a frame the server cannot accept, such as an answer to an attempt nobody sent. */
  @Test
  void anAnswerForAnAttemptTheProviderDoesNotHoldGetsAnErrorFrame() {
    ExternalWorker w = worker();
    Predicate<JsonNode> notHeld = frameType("error")
        .and(f -> f.path("message").asText().contains("not an attempt this provider holds"));

    w.sendText("{\"type\": \"task:completed\", \"workflow_id\": \"wf-nobody-sent\", \"task_id\": \"t\","
        + " \"attempt\": 1, \"result\": 42}");
    JsonNode unknown = w.awaitFrame("error for an unknown attempt", notHeld, WAIT);
    assertTrue(unknown.path("message").asText().startsWith("task:completed of workflow wf-nobody-sent, task t,"
        + " attempt 1"), unknown::toString);

    // A second answer to an attempt already answered: refused, and the recorded result stays.
    String id = api.submitAccepted("""
        {"tasks": [{"id": "e", "method": "ext/echo", "params": {"first": true}, "provider": "%s"}]}"""
        .formatted(w.providerId()));
    assertEquals("completed", api.awaitEnd(id, WAIT).status());
    int attempt = task(api.workflow(id), "e").path("attempt").asInt();
    w.sendText("{\"type\": \"task:completed\", \"workflow_id\": \"" + id + "\", \"task_id\": \"e\", \"attempt\": "
        + attempt + ", \"result\": {\"second\": true}}");
    w.awaitFrame("error for a second answer", frameType("error").and(f -> f.path("message").asText().contains(id))
        .and(f -> f.path("message").asText().contains("answered already; the first answer counts")), WAIT);
    assertEquals(parse("{\"first\": true}"), task(api.workflow(id), "e").path("result"));
    assertFalse(w.closedFuture().isDone(), "the connection stays open");
  }

  /**
   * A second answer sent right after the first, while the provider still holds the attempt (the first is on its way
   * to the workflow), gets its error frame too; it slipped through without one (black-box round 15).
   */
  @Test
  void aSecondAnswerSentRightAfterTheFirstGetsAnErrorFrame() {
    ExternalWorker w = worker();
    String id = api.submitAccepted("""
        {"tasks": [{"id": "s", "method": "ext/sleep", "params": {"ms": 600000}, "provider": "%s",
          "retry": {"max_attempts": 1}}]}""".formatted(w.providerId()));
    w.awaitFrame("task:execute of s", frameType("task:execute").and(f -> id.equals(f.path("workflow_id").asText())),
        WAIT);
    String answer = "\"workflow_id\": \"" + id + "\", \"task_id\": \"s\", \"attempt\": 1, ";

    w.sendText("{\"type\": \"task:completed\", " + answer + "\"result\": {\"first\": true}}");
    w.sendText("{\"type\": \"task:failed\", " + answer + "\"error\": {\"message\": \"second\", \"retryable\": false}}");

    JsonNode error = w.awaitFrame("error for the second answer", frameType("error")
        .and(f -> f.path("message").asText().contains(id)), WAIT);
    assertEquals("task:failed of workflow " + id + ", task s, attempt 1: this attempt was answered already; the first"
        + " answer counts", error.path("message").asText());
    assertEquals("completed", api.awaitEnd(id, WAIT).status());
    assertEquals(parse("{\"first\": true}"), task(api.workflow(id), "s").path("result"));
  }

  /**
   * An answer for an attempt the workflow never gave out (attempt 7 of a task on its first) is only refused to the
   * worker: it wrote an assignment:rejected per frame and showed a phantom attempt in the timeline (round 15).
   */
  @Test
  void anAnswerForAnAttemptThatNeverExistedWritesNothing() {
    ExternalWorker w = worker();
    String id = api.submitAccepted("""
        {"tasks": [{"id": "s", "method": "ext/sleep", "params": {"ms": 600000}, "provider": "%s"}]}"""
        .formatted(w.providerId()));
    w.awaitFrame("task:execute of s", frameType("task:execute").and(f -> id.equals(f.path("workflow_id").asText())),
        WAIT);

    w.sendText("{\"type\": \"task:completed\", \"workflow_id\": \"" + id + "\", \"task_id\": \"s\", \"attempt\": 7,"
        + " \"result\": 42}");
    w.awaitFrame("error for attempt 7", frameType("error").and(f -> f.path("message").asText()
        .startsWith("task:completed of workflow " + id + ", task s, attempt 7: not an attempt this provider holds")),
        WAIT);
    w.sendText("{\"type\": \"task:completed\", \"workflow_id\": \"" + id + "\", \"task_id\": \"s\", \"attempt\": 1,"
        + " \"result\": 1}");
    assertEquals("completed", api.awaitEnd(id, WAIT).status());

    List<String> types = api.events(id).stream().map(e -> e.path("event_type").asText()).toList();
    assertFalse(types.contains("assignment:rejected"), types::toString);
    JsonNode attempts = ok(api.get("/workflows/" + id + "/timeline")).at("/tasks/0/attempts");
    assertEquals(1, attempts.size(), attempts::toString);
    assertEquals(0, attempts.get(0).path("rejected_reports").asInt(), attempts::toString);
  }

  /** Two connections of one provider would each be sent every attempt: the newer one replaces the older. */
  @Test
  void aSecondConnectionOfAProviderReplacesTheFirstSoThatNoAttemptRunsTwice() throws Exception {
    ExternalWorker first = worker();
    ExternalWorker second = ExternalWorker.start(new ExternalWorker.Options(node.baseUrl(), first.providerId())
        .register(false));
    workers.add(second);

    JsonNode replaced = first.awaitFrame("error frame of the replaced connection", frameType("error"), WAIT);
    assertEquals("another connection of provider " + first.providerId() + " replaced this one",
        replaced.path("message").asText(), replaced::toString);
    first.closedFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    String id = api.submitAccepted("""
        {"tasks": [{"id": "a", "method": "ext/echo", "provider": "%1$s"},
                   {"id": "b", "method": "ext/echo", "provider": "%1$s"}]}""".formatted(first.providerId()));
    assertEquals("completed", api.awaitEnd(id, WAIT).status());
    assertEquals(0, first.received().stream().filter(frameType("task:execute")).count(), first.received()::toString);
    assertEquals(2, second.received().stream().filter(frameType("task:execute")).count(),
        second.received()::toString);
  }

  @Test
  void deregisteringAProviderTellsItsWorkerWhyAndClosesItsConnection() throws Exception {
    ExternalWorker w = worker();

    ok(api.send(java.net.http.HttpRequest.newBuilder(api.uri("/providers/" + w.providerId())).DELETE()));

    JsonNode error = w.awaitFrame("error frame", frameType("error"), WAIT);
    assertEquals("provider " + w.providerId() + " was deregistered", error.path("message").asText(),
        error::toString);
    w.closedFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  /** A node stopping gracefully closes its workers' sockets with a close frame, not by dropping them (1006). */
  @Test
  void aStoppingNodeClosesItsWorkersConnectionsNormally() throws Exception {
    GleitzeitNode stopping = LocalNode.start(tmp.resolve("stopping"), null);
    ExternalWorker w;
    try {
      w = ExternalWorker.start(new ExternalWorker.Options(stopping.baseUrl(), "ext-stopping")); // welcomed
    } finally {
      stopping.close();
    }

    assertEquals(WebSocket.NORMAL_CLOSURE, w.closedFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS));
  }

  /** A worker that reports the start and closes its socket at once: the start is not lost with the connection. */
  @Test
  void aStartSentRightBeforeTheSocketClosesIsRecorded() throws Exception {
    String providerId = "ext-" + UUID.randomUUID().toString().substring(0, 8);
    assertEquals(201, api.post("/providers", "application/json", """
        {"id": "%s", "type": "external", "methods": ["raw/work"], "max_concurrency": 1}""".formatted(providerId))
        .status());
    BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
    WebSocket ws = ExternalWorker.rawConnect(node.baseUrl(), providerId, new WebSocket.Listener() {
      private final StringBuilder text = new StringBuilder();

      @Override
      public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
          frames.add(parse(text.toString()));
          text.setLength(0);
        }
        socket.request(1);
        return null;
      }
    }).join();
    try {
      String id = api.submitAccepted("""
          {"tasks": [{"id": "s", "method": "raw/work", "provider": "%s"}]}""".formatted(providerId));
      JsonNode execute;
      do {
        execute = frames.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertNotNull(execute, "no task:execute");
      } while (!"task:execute".equals(execute.path("type").asText()));
      assertEquals(id, execute.path("workflow_id").asText(), execute::toString);

      ws.sendText("{\"type\": \"task:started\", \"workflow_id\": \"" + id + "\", \"task_id\": \"s\","
          + " \"attempt\": 1}", true).join();
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();

      try (EventWatch events = EventWatch.open(node.baseUrl(), "workflow_id=" + id)) {
        JsonNode started = events.await("task:started", EventWatch.type("task:started"), WAIT);
        assertEquals(1, started.path("payload").path("attempt").asInt(), started::toString);
      }
    } finally {
      ws.abort();
      api.send(java.net.http.HttpRequest.newBuilder(api.uri("/providers/" + providerId)).DELETE());
    }
  }

  @Test
  void framesOfUnknownTypeAreIgnored() {
    ExternalWorker w = worker();

    w.sendText("{\"type\": \"telemetry\", \"cpu\": 0.5}");
    w.sendText("{\"type\": \"welcome\"}");
    // Frames are handled in order: the first error frame must be the answer to this marker, not to the above.
    w.sendText("{\"type\": \"task:started\", \"marker\": true}");
    JsonNode error = w.awaitFrame("error frame", frameType("error"), WAIT);
    assertTrue(error.path("message").asText().startsWith("task:started"), "the first error answers the marker: "
        + error);
    assertEquals(1, w.received().stream().filter(frameType("error")).count(), w.received()::toString);

    String id = api.submitAccepted("""
        {"tasks": [{"id": "e", "method": "ext/echo", "params": {"ok": true}, "provider": "%s"}]}"""
        .formatted(w.providerId()));
    assertEquals("completed", api.awaitEnd(id, WAIT).status());
  }

  /**
   * The workflow's end; when it does not come, the failure says where the workflow and the provider stand. (That
   * is how a rare failure of this test under load was traced to the test's own worker dropping its answers to
   * the frames that arrived before its socket was known: see {@code ExternalWorker.Listener.onOpen}.)
   */
  private ApiTestClient.Ended endOrDiagnose(String workflowId, String providerId) {
    try {
      return api.awaitEnd(workflowId, WAIT);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\nworkflow: " + api.get("/workflows/" + workflowId).body()
          + "\nits events: " + api.events(workflowId).stream().map(ev -> ev.path("event_type").asText()
              + (ev.path("task_id").isNull() ? "" : "(" + ev.path("task_id").asText() + ")")).toList()
          + "\nprovider: " + api.get("/providers/" + providerId).body()
          + "\nprovider events: " + api.get("/events?limit=1000&provider_id=" + providerId).body(), e);
    }
  }

  @Test
  void aWorkerThatReconnectsWithinTheGraceIsSentItsUnansweredAttemptsAgain() {
    String providerId = "ext-" + UUID.randomUUID().toString().substring(0, 8);
    ExternalWorker first = ExternalWorker.start(new ExternalWorker.Options(node.baseUrl(), providerId)
        .maxConcurrency(2));
    workers.add(first);
    String before = api.submitAccepted("""
        {"tasks": [{"id": "before", "method": "ext/sleep", "params": {"ms": 1500}, "provider": "%s"}]}"""
        .formatted(providerId));
    String during;
    try (EventWatch beforeEvents = EventWatch.open(node.baseUrl(), "workflow_id=" + before)) {
      beforeEvents.await("task:started", EventWatch.type("task:started"), WAIT);
      first.close(); // the connection drops while the attempt runs; the worker's attempt dies with it
      // The provider entity sees its runtime stop: it takes no new work until the worker is back, so this
      // task waits for it (not connected) instead of being sent into the void.
      during = api.submitAccepted("""
          {"tasks": [{"id": "during", "method": "ext/echo", "params": {"n": 1}, "provider": "%s"}]}"""
          .formatted(providerId));
      try (EventWatch duringEvents = EventWatch.open(node.baseUrl(), "workflow_id=" + during)) {
        duringEvents.await("assignment:requested", EventWatch.type("assignment:requested"), WAIT);
      }
    }

    // Back within the grace (3 heartbeat intervals), without registering again.
    ExternalWorker second = ExternalWorker.start(new ExternalWorker.Options(node.baseUrl(), providerId)
        .maxConcurrency(2).register(false));
    workers.add(second);
    assertEquals("completed", endOrDiagnose(before, providerId).status());
    assertEquals("completed", endOrDiagnose(during, providerId).status());

    for (String[] t : new String[][] {{before, "before"}, {during, "during"}}) {
      JsonNode task = task(api.workflow(t[0]), t[1]);
      assertEquals(1, task.path("attempt").asInt(), "the same attempt, not a reassignment: " + task);
      assertEquals(providerId, task.path("provider_id").asText(), task::toString);
      second.awaitFrame("task:execute of " + t[1] + " on the new connection", frameType("task:execute")
          .and(f -> t[1].equals(f.path("task_id").asText()) && f.path("attempt").asInt() == 1), WAIT);
      assertTrue(api.events(t[0]).stream().noneMatch(EventWatch.type("task:reassigned")), t[1]);
    }
    JsonNode view = ok(api.get("/providers/" + providerId));
    assertEquals("available", view.path("status").asText(), view::toString);
    assertEquals(0, view.path("load").asInt(), view::toString);
  }
}
