package io.gleitzeit.api;

import static io.gleitzeit.testing.ApiTestClient.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.events.EventIndexSettings;
import io.gleitzeit.node.GleitzeitNode;
import io.gleitzeit.testing.ApiTestClient;
import io.gleitzeit.testing.ApiTestClient.Response;
import io.gleitzeit.testing.EventWatch;
import io.gleitzeit.testing.LocalNode;
import io.gleitzeit.testing.Resources;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * {@code GET /events/stream} without {@code workflow_id}, resumed with {@code Last-Event-ID} (SPEC §5): a client
 * consumes some events, disconnects, more workflows run, and on reconnecting it receives exactly the persisted
 * events it missed, in the order they were written, then live ones — no gap, no duplicate.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StreamResumeIT {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private GleitzeitNode node;
  private ApiTestClient api;

  @BeforeAll
  void start() throws Exception {
    node = LocalNode.start(Files.createTempDirectory("gleitzeit-stream-resume-it-"), null);
    api = new ApiTestClient(node.baseUrl());
  }

  @AfterAll
  void stop() {
    Resources.closeAll(api, node);
  }

  private String chain(String prefix) {
    String id = prefix + "-" + UUID.randomUUID();
    api.submitAccepted("{\"id\": \"" + id + "\", \"tasks\": ["
        + "{\"id\": \"a\", \"method\": \"test/flaky\", \"params\": {\"fail_times\": 1, \"value\": 1},"
        + " \"retry\": {\"max_attempts\": 2, \"backoff\": \"fixed\", \"base_delay\": 0.02, \"jitter\": false}},"
        + "{\"id\": \"b\", \"method\": \"test/echo\", \"dependencies\": [\"a\"]},"
        + "{\"id\": \"c\", \"method\": \"test/fail\", \"params\": {\"message\": \"no\", \"retryable\": false},"
        + " \"dependencies\": [\"a\"]}]}");
    return id;
  }

  private static Predicate<JsonNode> endOf(String workflowId) {
    return e -> workflowId.equals(e.path("workflow_id").asText())
        && ApiTestClient.WORKFLOW_ENDS.contains(e.path("event_type").asText());
  }

  /**
   * The stream's event ids up to {@code last}: a workflow's end is not always its last event (a late report of a
   * task the failure cancelled is rejected after it), and one that arrives after the test read the events is not
   * expected.
   */
  private static List<String> upTo(List<String> ids, String last) {
    int end = ids.indexOf(last);
    return end < 0 ? ids : ids.subList(0, end + 1);
  }

  private static String last(List<String> ids) {
    return ids.get(ids.size() - 1);
  }

  private static Predicate<JsonNode> withId(String eventId) {
    return e -> eventId.equals(e.path("event_id").asText());
  }

  private static List<JsonNode> persisted(List<JsonNode> envelopes) {
    return envelopes.stream().filter(e -> !e.path("sequence_number").isNull()).toList();
  }

  private static List<String> ids(List<JsonNode> envelopes) {
    return envelopes.stream().map(e -> e.path("event_id").asText()).toList();
  }

  /** Every indexed envelope after {@code eventId}, in index order, once the index holds the workflows completely. */
  private List<JsonNode> indexAfter(String eventId, List<String> workflows) {
    for (String id : workflows) {
      List<JsonNode> events = api.events(id);
      node.eventIndex().awaitWorkflowIndexed(id, events.get(events.size() - 1).path("sequence_number").asLong(),
          WAIT).join();
    }
    List<JsonNode> all = new ArrayList<>();
    String after = null;
    do {
      JsonNode page = ok(api.get("/events?limit=1000" + (after == null ? "" : "&after=" + after)));
      page.path("events").forEach(all::add);
      after = page.path("next").isNull() ? null : page.path("next").asText();
    } while (after != null);
    int at = ids(all).indexOf(eventId);
    assertTrue(at >= 0, "the index holds " + eventId);
    return all.subList(at + 1, all.size());
  }

  @Test
  void aReconnectWithLastEventIdReceivesExactlyTheMissedPersistedEventsInOrderThenLiveOnes() {
    // Consume some events, then disconnect.
    String first = chain("before");
    String lastSeen;
    try (EventWatch watch = EventWatch.open(node.baseUrl(), "")) {
      assertEquals("failed", api.awaitEnd(first, WAIT).status());
      watch.await("the end of " + first, endOf(first), WAIT);
      List<JsonNode> seen = persisted(watch.received());
      lastSeen = seen.get(seen.size() - 1).path("event_id").asText();
    }

    // While disconnected, more workflows run; reconnect at once (the index may still trail the journal).
    String missed1 = chain("missed");
    String missed2 = chain("missed");
    api.awaitEnd(missed1, WAIT);
    api.awaitEnd(missed2, WAIT);
    try (EventWatch all = EventWatch.open(node.baseUrl(), "", lastSeen);
         EventWatch tasks = EventWatch.open(node.baseUrl(), "type=task:*&severity=error", lastSeen);
         EventWatch ends = EventWatch.open(node.baseUrl(), "type=workflow:failed", lastSeen)) {
      // Then one more runs while connected: its events arrive live, after the missed ones.
      String after = chain("after");
      all.await("the end of " + after, endOf(after), WAIT);
      ends.await("the end of " + after, endOf(after), WAIT);
      tasks.await("the failure of " + after + "/c", e -> after.equals(e.path("workflow_id").asText())
          && e.path("event_type").asText().equals("task:failed"), WAIT);

      List<String> workflows = List.of(first, missed1, missed2, after);
      List<JsonNode> expected = indexAfter(lastSeen, workflows);
      List<JsonNode> received = persisted(all.received());
      assertEquals(ids(expected), ids(received), "exactly the events after Last-Event-ID, in the order written");
      assertEquals(received.size(), new HashSet<>(ids(received)).size(), "no duplicate");
      assertTrue(ids(received).containsAll(ids(api.events(missed1))), "every event of a missed workflow");
      assertFalse(ids(received).contains(lastSeen));
      // Each persisted event carries its event_id as the SSE id.
      for (int i = 0; i < all.received().size(); i++) {
        JsonNode e = all.received().get(i);
        Optional<String> sseId = all.sseIds().get(i);
        assertEquals(e.path("sequence_number").isNull() ? Optional.empty() : Optional.of(e.path("event_id").asText()),
            sseId, e::toString);
      }

      // The stream's filters apply to the replayed part too.
      assertEquals(ids(expected.stream().filter(e -> e.path("event_type").asText().startsWith("task:")
          && e.path("severity").asText().equals("error")).toList()), ids(persisted(tasks.received())));
      List<JsonNode> failedEnds = expected.stream()
          .filter(e -> e.path("event_type").asText().equals("workflow:failed")).toList();
      List<String> endedIds = failedEnds.stream().map(e -> e.path("workflow_id").asText()).toList();
      // The two missed workflows ran side by side, so either may have ended first; "after" ended last.
      assertEquals(3, endedIds.size(), endedIds::toString);
      assertEquals(java.util.Set.of(missed1, missed2), java.util.Set.copyOf(endedIds.subList(0, 2)));
      assertEquals(after, endedIds.get(2));
      assertEquals(ids(failedEnds), ids(ends.received()));
    }
  }

  /**
   * The resume's replay and the events that keep coming meanwhile (a reconnect in the middle of a run): each
   * missed event once, in the index's order. (Before, a live event the stream pulled while the replay was still
   * being read slipped past the duplicate check: 3 of 4 such reconnects had duplicates.)
   */
  @Test
  void aReconnectWhileWorkflowsRunGetsEachMissedEventOnceInOrder() {
    StringBuilder tasks = new StringBuilder();
    for (int i = 1; i <= 6; i++) {
      tasks.append(i == 1 ? "" : ", ").append("{\"id\": \"s").append(i)
          .append("\", \"method\": \"test/sleep\", \"params\": {\"ms\": ").append(150 * i).append("}}");
    }
    List<String> workflows = new ArrayList<>();
    String lastSeen;
    try (EventWatch first = EventWatch.open(node.baseUrl(), "type=task:*")) {
      for (int i = 0; i < 10; i++) {
        workflows.add(api.submitAccepted("{\"id\": \"busy-" + UUID.randomUUID() + "\", \"tasks\": [" + tasks + "]}"));
      }
      java.util.concurrent.atomic.AtomicInteger started = new java.util.concurrent.atomic.AtomicInteger();
      first.await("ten task:started", e -> e.path("event_type").asText().equals("task:started")
          && started.incrementAndGet() == 10, WAIT);
      List<JsonNode> seen = persisted(first.received());
      lastSeen = seen.get(seen.size() - 1).path("event_id").asText();
    }
    try (EventWatch resumed = EventWatch.open(node.baseUrl(), "type=task:*", lastSeen)) {
      for (String id : workflows) {
        assertEquals("completed", api.awaitEnd(id, WAIT).status());
        resumed.await("the last task of " + id, e -> id.equals(e.path("workflow_id").asText())
            && e.path("task_id").asText().equals("s6") && e.path("event_type").asText().equals("task:completed"), WAIT);
      }
      List<JsonNode> expected = indexAfter(lastSeen, workflows).stream()
          .filter(e -> e.path("event_type").asText().startsWith("task:")).toList();
      List<JsonNode> received = persisted(resumed.received());
      assertEquals(ids(expected), ids(received), "each missed event, once, in the order written");
    }
  }

  /**
   * A client that reconnects again and again while large workflows and small ones run at once gets, over all its
   * connections, exactly the events of a query of the index, in its order: a resumed stream follows the index. It
   * followed the live topic after its replay, in the order envelopes were published, which across workflows differs
   * from the index's by as much as a large workflow's journal write: the next Last-Event-ID then lost (or repeated)
   * hundreds of other workflows' events (QA round 10: 774 lost in one reconnect).
   */
  @Test
  void manyReconnectsDuringABurstOfWorkflowsGetEveryEventOnceInIndexOrder() {
    StringBuilder wideTasks = new StringBuilder();
    for (int i = 0; i < 300; i++) {
      wideTasks.append(i == 0 ? "" : ", ").append("{\"id\": \"t").append(i).append("\", \"method\": \"test/echo\"}");
    }
    String anchor = chain("anchor");
    api.awaitEnd(anchor, WAIT);
    List<JsonNode> anchorEvents = api.events(anchor);
    String lastSeen = anchorEvents.get(anchorEvents.size() - 1).path("event_id").asText();
    node.eventIndex().awaitWorkflowIndexed(anchor, anchorEvents.get(anchorEvents.size() - 1)
        .path("sequence_number").asLong(), WAIT).join();
    List<String> workflows = new ArrayList<>(List.of(anchor));
    // Beside the reconnecting client, one that stays connected: it gets the same events in the same order.
    EventWatch whole = EventWatch.open(node.baseUrl(), "type=task:*", lastSeen);
    for (int i = 0; i < 16; i++) {
      workflows.add(i % 8 == 0
          ? api.submitAccepted("{\"id\": \"wide-" + UUID.randomUUID() + "\", \"tasks\": [" + wideTasks + "]}")
          : chain("small"));
    }
    List<JsonNode> received = new ArrayList<>();
    String last = workflows.get(workflows.size() - 1);
    boolean ended = false;
    for (int connection = 0; !ended; connection++) {
      assertTrue(connection < 500, "the burst ends within 500 reconnects");
      try (EventWatch watch = EventWatch.open(node.baseUrl(), "type=task:*", lastSeen)) {
        java.util.concurrent.atomic.AtomicInteger count = new java.util.concurrent.atomic.AtomicInteger();
        // A reconnect every 60 events, or at the end of the last workflow's last task.
        JsonNode stop = watch.await("60 events or the end", e -> count.incrementAndGet() == 60
            || (last.equals(e.path("workflow_id").asText()) && e.path("task_id").asText().equals("c")
                && e.path("event_type").asText().equals("task:failed")), WAIT);
        List<JsonNode> got = persisted(watch.received());
        int upToStop = ids(got).indexOf(stop.path("event_id").asText());
        received.addAll(got.subList(0, upToStop + 1));
        lastSeen = last(ids(received));
        ended = count.get() != 60 || last.equals(stop.path("workflow_id").asText())
            && stop.path("event_type").asText().equals("task:failed");
      }
    }
    for (String id : workflows) {
      api.awaitEnd(id, WAIT);
    }
    List<JsonNode> expected = indexAfter(last(ids(api.events(anchor))), workflows).stream()
        .filter(e -> e.path("event_type").asText().startsWith("task:")).toList();
    List<String> expectedIds = upTo(ids(expected), last(ids(received)));
    assertEquals(expectedIds, ids(received), "every event once, in the index's order, over all connections");
    try (whole) {
      whole.await("the reconnecting client's last event", withId(last(expectedIds)), WAIT);
      assertEquals(expectedIds, upTo(ids(persisted(whole.received())), last(expectedIds)),
          "a client that stayed connected: the same events in the same order");
    }
  }

  /**
   * A resume whose index is slow to catch up (its writers held for more than the 5 s Pekko gives a publisher nobody
   * has subscribed to yet) while more journal events than a subscriber may fall behind stream by, nearly none of
   * them matching its filter, still gets what it asked for; one of those events, a submission, yields more
   * envelopes that match than that (one task:created per task). Each of the three cut such a stream off before
   * it sent anything (seventh black-box round: a 200, then a reset connection).
   */
  @Test
  void aResumeWaitingForASlowIndexThroughABurstOfOtherEventsGetsItsEvents() throws Exception {
    String before = api.submitAccepted("{\"id\": \"slow-index-" + UUID.randomUUID() + "\", \"tasks\": ["
        + "{\"id\": \"a\", \"method\": \"test/echo\"}]}");
    api.awaitEnd(before, WAIT);
    JsonNode lastBefore = api.events(before).get(api.events(before).size() - 1);
    node.eventIndex().awaitWorkflowIndexed(before, lastBefore.path("sequence_number").asLong(), WAIT).join();
    StringBuilder tasks = new StringBuilder();
    for (int i = 0; i < 4_500; i++) { // 9,000 journal events and 4,500 task:created: over the stream buffer (4,096)
      tasks.append(i == 0 ? "" : ", ").append("{\"id\": \"t").append(i).append("\", \"method\": \"test/echo\"}");
    }
    String wide = "wide-" + UUID.randomUUID();
    EventIndexSettings index = EventIndexSettings.from(node.system().settings().config());
    try (Connection writers = DriverManager.getConnection(index.url(), index.user(), index.password())) {
      writers.setAutoCommit(false);
      try (Statement s = writers.createStatement();
           ResultSet rs = s.executeQuery("SELECT id FROM gleitzeit_event_index_writer WHERE id = 1 FOR UPDATE")) {
        assertTrue(rs.next(), "the index writers' lock");
      }
      // Journaled and not indexed when the resume starts: it has to wait for the index.
      String behind = api.submitAccepted("{\"id\": \"behind-" + UUID.randomUUID() + "\", \"tasks\": ["
          + "{\"id\": \"a\", \"method\": \"test/echo\"}]}");
      api.awaitEnd(behind, WAIT);
      long resumedAt = System.nanoTime();
      CompletableFuture<EventWatch> resuming = CompletableFuture.supplyAsync(
          () -> EventWatch.open(node.baseUrl(), "type=task:created", lastBefore.path("event_id").asText()));
      api.submitAccepted("{\"id\": \"" + wide + "\", \"tasks\": [" + tasks + "]}");
      // The scenario, not a synchronisation: the index stays 7 s behind the resume, which waits for it up to 10 s.
      Thread.sleep(Math.max(0, 7_000 - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - resumedAt)));
      writers.commit();
      try (EventWatch end = EventWatch.open(node.baseUrl(), "workflow_id=" + wide + "&type=workflow:*")) {
        end.await("the wide workflow's end", endOf(wide), WAIT);
      }
      assertEquals("completed", api.workflow(wide).path("status").asText());
      try (EventWatch resumed = resuming.get(30, TimeUnit.SECONDS)) {
        resumed.await("the wide workflow's last task:created", e -> wide.equals(e.path("workflow_id").asText())
            && e.path("task_id").asText().equals("t4499"), WAIT);
        for (String id : List.of(behind, wide)) {
          List<String> expected = ids(api.events(id).stream()
              .filter(e -> e.path("event_type").asText().equals("task:created")).toList());
          assertEquals(expected, ids(resumed.received().stream()
              .filter(e -> id.equals(e.path("workflow_id").asText())).toList()), id);
        }
      }
    }
  }

  @Test
  void aWorkflowsStreamRefusesALastEventIdThatIsNotOneOfItsEvents() {
    String id = chain("known");
    api.awaitEnd(id, WAIT);
    Response r = api.send(HttpRequest.newBuilder(api.uri("/events/stream?workflow_id=" + id))
        .header("Accept", "text/event-stream").header("Last-Event-ID", UUID.randomUUID().toString()).GET());
    assertEquals(400, r.status(), r::toString);
    assertEquals("Last-Event-ID", r.json().path("details").path(0).path("path").asText());
    Response huge = api.send(HttpRequest.newBuilder(api.uri("/events/stream?workflow_id=" + id))
        .header("Accept", "text/event-stream").header("Last-Event-ID", "x".repeat(5000)).GET());
    assertEquals(400, huge.status(), huge::toString);
    assertTrue(huge.body().length() < 1000, "named, not echoed in full (twice): " + huge.body().length());

    // One of its events, in upper case (a UUID is read without regard to case): the rest of its history, then live.
    List<JsonNode> events = api.events(id);
    try (EventWatch rest = EventWatch.open(node.baseUrl(), "workflow_id=" + id,
        ids(events).get(2).toUpperCase(java.util.Locale.ROOT))) {
      List<String> expected = ids(events.subList(3, events.size()));
      rest.await("its last event", withId(last(expected)), WAIT);
      assertEquals(expected, upTo(ids(persisted(rest.received())), last(expected)));
    }
  }

  @Test
  void sinceAndUntilFilterTheStreamAsTheyFilterTheQuery() {
    String id = chain("window");
    api.awaitEnd(id, WAIT);
    List<JsonNode> events = api.events(id);
    String from = events.get(events.size() / 2).path("timestamp").asText();
    try (EventWatch windowed = EventWatch.open(node.baseUrl(), "workflow_id=" + id + "&since=" + from)) {
      List<String> expected = ids(events.stream().filter(e -> e.path("timestamp").asText().compareTo(from) >= 0)
          .toList());
      windowed.await("its last event", withId(last(expected)), WAIT);
      assertEquals(expected, upTo(ids(persisted(windowed.received())), last(expected)));
    }
    for (String bad : List.of("since=yesterday", "until=2026-13-01T00:00:00Z")) {
      Response r = api.send(HttpRequest.newBuilder(api.uri("/events/stream?" + bad))
          .header("Accept", "text/event-stream").GET());
      assertEquals(400, r.status(), r::toString);
      assertEquals(bad.substring(0, bad.indexOf('=')), r.json().path("details").path(0).path("path").asText());
    }
  }

  @Test
  void anUnknownLastEventIdIsAnInvalidRequest() {
    Response r = api.send(HttpRequest.newBuilder(api.uri("/events/stream")).header("Accept", "text/event-stream")
        .header("Last-Event-ID", UUID.randomUUID().toString()).GET());
    assertEquals(400, r.status(), r::toString);
    assertEquals("invalid_request", r.json().path("error").asText());
    assertEquals("Last-Event-ID", r.json().path("details").path(0).path("path").asText());
  }
}
