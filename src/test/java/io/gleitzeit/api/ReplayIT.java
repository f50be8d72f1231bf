package io.gleitzeit.api;

import static io.gleitzeit.testing.ApiTestClient.ok;
import static io.gleitzeit.testing.ApiTestClient.task;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.node.GleitzeitNode;
import io.gleitzeit.testing.ApiTestClient;
import io.gleitzeit.testing.ApiTestClient.Response;
import io.gleitzeit.testing.LocalNode;
import io.gleitzeit.testing.Resources;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Replay and analysis against a real node (SPEC §5, issue 6): {@code state?at_time=} and
 * {@code GET /workflows/{id}/timeline}, for a chain whose first task fails once and is retried.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReplayIT {

  private static final Duration END = Duration.ofSeconds(30);

  private GleitzeitNode node;
  private ApiTestClient api;
  private String id;
  private List<JsonNode> events;

  @BeforeAll
  void runARetriedChain() throws Exception {
    node = LocalNode.start(Files.createTempDirectory("gleitzeit-replay-it-"), null);
    api = new ApiTestClient(node.baseUrl());
    id = "replay-" + UUID.randomUUID();
    api.submitAccepted("{\"id\": \"" + id + "\", \"tasks\": ["
        + "{\"id\": \"a\", \"method\": \"test/flaky\", \"params\": {\"fail_times\": 1, \"value\": 7},"
        + " \"retry\": {\"max_attempts\": 2, \"backoff\": \"fixed\", \"base_delay\": 0.05, \"jitter\": false}},"
        + "{\"id\": \"b\", \"method\": \"test/sleep\", \"params\": {\"ms\": 30}, \"dependencies\": [\"a\"]},"
        + "{\"id\": \"c\", \"method\": \"test/echo\", \"params\": {\"v\": \"${b.result}\"}, \"dependencies\": [\"b\"]}]}");
    assertEquals("completed", api.awaitEnd(id, END).status());
    events = api.events(id);
  }

  @AfterAll
  void stop() {
    Resources.closeAll(api, node);
  }

  // ---- state?at_sequence= ----

  /** The envelope of {@code type} (for {@code taskId}, unless null), the last one when several. */
  private long sequenceOf(String type, String taskId) {
    return events.stream()
        .filter(e -> e.path("event_type").asText().equals(type)
            && (taskId == null || taskId.equals(e.path("task_id").asText())))
        .mapToLong(e -> e.path("sequence_number").asLong()).max()
        .orElseThrow(() -> new AssertionError("no " + type + " of " + taskId + " in " + events));
  }

  private JsonNode atSequence(long sequence) {
    return ok(api.get("/workflows/" + id + "/state?at_sequence=" + sequence));
  }

  @Test
  void atSequenceIsTheStateRightAfterThatEnvelopeAlsoWithinAJournalEventThatYieldsSeveral() {
    JsonNode submitted = atSequence(1);
    assertEquals("running", submitted.path("status").asText());
    for (JsonNode t : submitted.path("tasks")) {
      assertEquals("pending", t.path("state").asText(), "no task was created or made ready yet: " + submitted);
    }
    assertEquals("ready", task(atSequence(sequenceOf("task:ready", "a")), "a").path("state").asText());

    // c's outcome is one journal event: its start (implied), its completion and the workflow's end.
    JsonNode started = atSequence(sequenceOf("task:started", "c"));
    assertEquals("running", task(started, "c").path("state").asText(), started::toString);
    assertTrue(task(started, "c").path("result").isNull(), started::toString);
    assertTrue(task(started, "c").path("completed_at").isNull(), started::toString);
    assertEquals("running", started.path("status").asText());
    JsonNode completed = atSequence(sequenceOf("task:completed", "c"));
    assertEquals("completed", task(completed, "c").path("state").asText());
    assertEquals("running", completed.path("status").asText(), "the workflow's end comes after c's completion");
    assertTrue(completed.path("completed_at").isNull(), completed::toString);
    long end = sequenceOf("workflow:completed", null);
    assertEquals("completed", atSequence(end).path("status").asText());
    assertEquals(api.workflow(id).path("tasks"), atSequence(end).path("tasks"));
  }

  /** SPEC §3: a failed attempt that will be retried goes running → retry_scheduled; failed is final. */
  @Test
  void atSequenceOfAFailureThatWillBeRetriedShowsTheTaskWaitingForItsRetryNotFailed() {
    long failed = sequenceOf("task:failed", "a");
    assertTrue(events.stream().anyMatch(e -> e.path("sequence_number").asLong() == failed
        && e.path("payload").path("will_retry").asBoolean()), () -> "a's failure is retried: " + events);
    JsonNode a = task(atSequence(failed), "a");
    assertEquals("retry_scheduled", a.path("state").asText(), a::toString);
    assertEquals(1, a.path("attempt").asInt(), a::toString);
    assertTrue(a.path("error").isObject(), a::toString);
    assertEquals("retry_scheduled", task(atSequence(sequenceOf("task:retry_scheduled", "a")), "a").path("state")
        .asText());
  }

  @Test
  void atSequenceBeyondTheLastEventIsTheCurrentStateEvenPastTheLargestLong() {
    long last = events.get(events.size() - 1).path("sequence_number").asLong();
    JsonNode current = atSequence(last);
    assertEquals(current, ok(api.get("/workflows/" + id + "/state?at_sequence=" + (last + 1000))));
    assertEquals(current, ok(api.get("/workflows/" + id + "/state?at_sequence=99999999999999999999999")));
  }

  /** What only the running entity knows is part of the current state too: why a ready task is not running. */
  @Test
  void atSequenceBeyondTheLastEventSaysWhatAReadyTaskWaitsFor() {
    String waiting = "replay-waiting-" + UUID.randomUUID();
    api.submitAccepted("{\"id\": \"" + waiting + "\", \"tasks\": [{\"id\": \"w\", \"method\": \"no/one\"}]}");
    JsonNode live = api.awaitWaitingFor(waiting, "w", END);
    assertEquals(live, ok(api.get("/workflows/" + waiting + "/state?at_sequence=999999")));
    assertEquals(202, api.post("/workflows/" + waiting + "/cancel", "application/json", "").status());
  }

  // ---- state?at_time= ----

  @Test
  void atTimeIsTheStateAfterTheLastEnvelopeStampedAtOrBeforeThatTime() {
    // For each distinct envelope time: the state at that time is the state at the highest sequence number
    // stamped at or before it (an implied start is stamped with the time the attempt began, before the
    // envelopes ahead of it in sequence).
    TreeMap<String, Long> lastSequenceAt = new TreeMap<>();
    for (JsonNode e : events) {
      String time = e.path("timestamp").asText();
      long sequence = e.path("sequence_number").asLong();
      lastSequenceAt.merge(time, sequence, Math::max);
    }
    long highest = 0;
    for (Map.Entry<String, Long> at : lastSequenceAt.entrySet()) { // in time order
      highest = Math.max(highest, at.getValue());
      at.setValue(highest);
    }
    assertTrue(lastSequenceAt.size() >= 4, "the run spans several instants: " + lastSequenceAt.keySet());
    lastSequenceAt.forEach((time, sequence) -> {
      JsonNode byTime = ok(api.get("/workflows/" + id + "/state?at_time=" + time));
      JsonNode bySequence = ok(api.get("/workflows/" + id + "/state?at_sequence=" + sequence));
      assertEquals(bySequence, byTime, () -> "at_time=" + time + " vs at_sequence=" + sequence);
    });
  }

  @Test
  void atTimeBetweenEventsIsTheStateOfTheEarlierOne() {
    JsonNode failed = events.stream().filter(e -> e.path("event_type").asText().equals("task:failed"))
        .findFirst().orElseThrow();
    Instant justAfter = Instant.parse(failed.path("timestamp").asText()).plusNanos(500_000);
    JsonNode state = ok(api.get("/workflows/" + id + "/state?at_time=" + justAfter));
    assertEquals("running", state.path("status").asText());
    assertEquals("retry_scheduled", task(state, "a").path("state").asText(), state::toString);
    assertEquals("pending", task(state, "b").path("state").asText());
  }

  @Test
  void atTimeAcceptsAnOffsetAndAFutureTimeIsTheCurrentState() {
    Instant submitted = Instant.parse(events.get(0).path("timestamp").asText());
    String plusTwo = submitted.atOffset(ZoneOffset.ofHours(2)).toString().replace("+", "%2B");
    JsonNode atSubmission = ok(api.get("/workflows/" + id + "/state?at_time=" + plusTwo));
    assertEquals("ready", task(atSubmission, "a").path("state").asText(), atSubmission::toString);

    JsonNode future = ok(api.get("/workflows/" + id + "/state?at_time=2999-01-01T00:00:00Z"));
    long last = events.get(events.size() - 1).path("sequence_number").asLong();
    assertEquals(ok(api.get("/workflows/" + id + "/state?at_sequence=" + last)), future);
    assertEquals("completed", future.path("status").asText());
  }

  @Test
  void atTimeBeforeTheSubmissionIsNotFound() {
    Instant submitted = Instant.parse(events.get(0).path("timestamp").asText());
    Response r = api.get("/workflows/" + id + "/state?at_time=" + submitted.minusMillis(1));
    assertEquals(404, r.status(), r::toString);
    assertEquals("not_found", r.json().path("error").asText());
    assertEquals(404, api.get("/workflows/nope-" + UUID.randomUUID() + "/state?at_time=2026-01-01T00:00:00Z")
        .status());
  }

  @Test
  void badOrConflictingParametersAreInvalidRequestsNamingTheParameter() {
    assertBad("/workflows/" + id + "/state?at_time=yesterday", "at_time");
    assertBad("/workflows/" + id + "/state?at_time=2026-11-26T10:30:00", "at_time"); // no offset
    assertBad("/workflows/" + id + "/state?at_time=", "at_time");
    assertBad("/workflows/" + id + "/state?at_sequence=3&at_time=2026-11-26T10:30:00Z", "at_time");
    assertBad("/workflows/" + id + "/state", "at_sequence");
    assertBad("/workflows/" + id + "/state?at_sequence=0", "at_sequence");
  }

  private void assertBad(String path, String parameter) {
    Response r = api.get(path);
    assertEquals(400, r.status(), () -> path + " -> " + r);
    assertEquals("invalid_request", r.json().path("error").asText(), r::toString);
    assertEquals(parameter, r.json().path("details").path(0).path("path").asText(), r::toString);
  }

  // ---- timeline ----

  @Test
  void theTimelineShowsEachAttemptOfTheRetriedTaskAndTheChain() {
    JsonNode timeline = ok(api.get("/workflows/" + id + "/timeline"));
    assertEquals(id, timeline.path("workflow_id").asText());
    assertEquals("completed", timeline.path("status").asText());
    assertEquals(events.get(0).path("timestamp").asText(), timeline.path("submitted_at").asText());

    JsonNode a = task(timeline, "a");
    assertEquals("test/flaky", a.path("method").asText());
    assertEquals("completed", a.path("state").asText());
    assertEquals(2, a.path("attempts").size(), a::toString);
    JsonNode first = a.path("attempts").path(0);
    JsonNode second = a.path("attempts").path(1);
    assertEquals(1, first.path("attempt").asInt());
    assertEquals("failed", first.path("outcome").asText());
    assertEquals(2, second.path("attempt").asInt());
    assertEquals("completed", second.path("outcome").asText());

    // Every time is the time of the envelope that recorded it.
    assertAttemptMatchesEnvelopes("a", first);
    assertAttemptMatchesEnvelopes("a", second);
    JsonNode b = task(timeline, "b").path("attempts").path(0);
    JsonNode c = task(timeline, "c").path("attempts").path(0);
    assertEquals(1, task(timeline, "b").path("attempts").size());
    assertEquals(1, task(timeline, "c").path("attempts").size());
    assertAttemptMatchesEnvelopes("b", b);
    assertAttemptMatchesEnvelopes("c", c);
    assertEquals(second.path("finished_at"), b.path("ready_at"), "b is ready when a's second attempt completes");
    assertEquals(b.path("finished_at"), c.path("ready_at"));
    assertTrue(b.path("run_ms").asLong() >= 30, "test/sleep 30 ms runs at least 30 ms: " + b);
    for (JsonNode attempt : List.of(first, second, b, c)) {
      assertFalse(attempt.path("provider_id").isNull(), attempt::toString);
    }
  }

  /** ready, assigned, started, finished and the two durations agree with the envelopes of that attempt. */
  private void assertAttemptMatchesEnvelopes(String taskId, JsonNode attempt) {
    int n = attempt.path("attempt").asInt();
    String assigned = envelopeTime(taskId, "task:assigned", n);
    String started = envelopeTime(taskId, "task:started", n);
    String finished = envelopeTime(taskId, "completed".equals(attempt.path("outcome").asText())
        ? "task:completed" : "task:failed", n);
    String ready = events.stream().filter(e -> taskId.equals(e.path("task_id").asText())
            && e.path("event_type").asText().equals("task:ready")
            && e.path("payload").path("attempt").asInt(n) == n)
        .map(e -> e.path("timestamp").asText()).reduce((x, y) -> y).orElseThrow();
    assertEquals(ready, attempt.path("ready_at").asText(), () -> taskId + " " + attempt);
    assertEquals(assigned, attempt.path("assigned_at").asText(), () -> taskId + " " + attempt);
    assertEquals(started, attempt.path("started_at").asText(), () -> taskId + " " + attempt);
    assertEquals(finished, attempt.path("finished_at").asText(), () -> taskId + " " + attempt);
    assertEquals(Duration.between(Instant.parse(ready), Instant.parse(started)).toMillis(),
        attempt.path("wait_ms").asLong(), attempt::toString);
    assertEquals(Duration.between(Instant.parse(started), Instant.parse(finished)).toMillis(),
        attempt.path("run_ms").asLong(), attempt::toString);
  }

  private String envelopeTime(String taskId, String type, int attempt) {
    JsonNode e = events.stream().filter(x -> taskId.equals(x.path("task_id").asText())
            && type.equals(x.path("event_type").asText()) && x.path("payload").path("attempt").asInt() == attempt)
        .findFirst().orElse(null);
    assertNotNull(e, () -> "no " + type + " of " + taskId + " attempt " + attempt);
    return e.path("timestamp").asText();
  }

  @Test
  void theTimelineOfAnUnknownWorkflowIsNotFound() {
    Response r = api.get("/workflows/nope-" + UUID.randomUUID() + "/timeline");
    assertEquals(404, r.status(), r::toString);
    assertEquals("not_found", r.json().path("error").asText());
  }
}
