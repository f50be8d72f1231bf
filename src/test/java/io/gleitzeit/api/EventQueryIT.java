package io.gleitzeit.api;

import static io.gleitzeit.testing.ApiTestClient.enc;
import static io.gleitzeit.testing.ApiTestClient.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.node.GleitzeitNode;
import io.gleitzeit.node.NodeConfig;
import io.gleitzeit.testing.ApiTestClient;
import io.gleitzeit.testing.ApiTestClient.Response;
import io.gleitzeit.testing.Resources;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Base64;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code GET /events} and {@code GET /workflows} (SPEC §5) against a real node: the event index and the
 * workflow list that the projections build from the journal. Workflows of every outcome run one after the
 * other in {@link #runWorkflows}, so the order in which their events were written is known; the tests only
 * read. Every answer is compared with the journal as {@code GET /workflows/{id}/events} shows it.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EventQueryIT {

  private static final Duration END = Duration.ofSeconds(30);
  /**
   * How long the index may trail the journal in these tests. The configured polling bounds it to about
   * 200 ms (conf/persistence.conf); the margin is for a loaded build machine.
   */
  private static final Duration INDEX_LAG = Duration.ofSeconds(2);

  private GleitzeitNode node;
  private ApiTestClient api;
  /** Workflow id to its purpose, in submission order. */
  private final Map<String, String> workflows = new LinkedHashMap<>();
  /** Every envelope of every workflow, from the per-workflow endpoint, in the order they were written. */
  private final List<JsonNode> journal = new ArrayList<>();
  private String providerId;
  private final List<Long> journalToIndexLags = new ArrayList<>();

  @BeforeAll
  void startNodeAndRunWorkflows() throws Exception {
    Path dataDir = Files.createTempDirectory("gleitzeit-event-query-it-");
    node = GleitzeitNode.start(NodeConfig.load(0, 0, dataDir, null));
    api = new ApiTestClient(node.baseUrl());
    runWorkflows();
  }

  @AfterAll
  void stopNode() {
    Resources.closeAll(api, node);
  }

  private void runWorkflows() throws Exception {
    List<Long> lags = new ArrayList<>();
    StringBuilder fanOut = new StringBuilder("{\"id\": \"root\", \"method\": \"test/echo\", \"params\": {\"n\": 1}}");
    for (int i = 1; i <= 10; i++) {
      fanOut.append(", {\"id\": \"leaf").append(i).append("\", \"method\": \"test/echo\", \"dependencies\": [\"root\"]}");
    }
    fanOut.append(", {\"id\": \"join\", \"method\": \"test/sleep\", \"params\": {\"ms\": 20}, \"dependencies\": [");
    for (int i = 1; i <= 10; i++) {
      fanOut.append(i == 1 ? "" : ", ").append("\"leaf").append(i).append('"');
    }
    fanOut.append("]}");
    lags.add(runToEnd("fan-out", "completed", "{\"name\": \"Fan out\", \"tasks\": [" + fanOut + "]}"));
    lags.add(runToEnd("retried", "completed", "{\"name\": \"Retried once\", \"tasks\": ["
        + "{\"id\": \"flaky\", \"method\": \"test/flaky\", \"params\": {\"fail_times\": 1, \"value\": 3},"
        + " \"retry\": {\"max_attempts\": 2, \"backoff\": \"fixed\", \"base_delay\": 0.02, \"jitter\": false}}]}"));
    lags.add(runToEnd("failed", "failed", "{\"name\": \"Fails\", \"tasks\": ["
        + "{\"id\": \"boom\", \"method\": \"test/fail\", \"params\": {\"message\": \"no\", \"retryable\": false}},"
        + "{\"id\": \"after\", \"method\": \"test/echo\", \"dependencies\": [\"boom\"]}]}"));

    String cancelled = submit("cancelled", "{\"name\": \"Cancelled\", \"tasks\": ["
        + "{\"id\": \"slow\", \"method\": \"test/sleep\", \"params\": {\"ms\": 600000}}]}");
    awaitEvent(cancelled, "task:started");
    assertEquals(202, api.post("/workflows/" + cancelled + "/cancel", "application/json", "").status());
    lags.add(awaitEndAndIndex(cancelled, "cancelled"));

    String reopened = submit("retried by hand", "{\"name\": \"Retried by hand\", \"tasks\": ["
        + "{\"id\": \"flaky\", \"method\": \"test/flaky\", \"params\": {\"fail_times\": 1, \"value\": 5},"
        + " \"retry\": {\"max_attempts\": 1}}]}");
    awaitEvent(reopened, "workflow:failed");
    assertEquals(202, api.post("/workflows/" + reopened + "/tasks/flaky/retry", "application/json", "").status());
    awaitEvent(reopened, "workflow:completed");
    lags.add(awaitIndexed(reopened, Instant.now()));

    String running = submit("running", "{\"name\": \"Still running\", \"tasks\": ["
        + "{\"id\": \"slow\", \"method\": \"test/sleep\", \"params\": {\"ms\": 600000}}]}");
    awaitEvent(running, "task:started");
    lags.add(awaitIndexed(running, Instant.now()));

    for (String id : workflows.keySet()) {
      journal.addAll(api.events(id));
    }
    providerId = journal.stream().map(e -> e.path("provider_id").asText(null)).filter(p -> p != null)
        .findFirst().orElseThrow();
    System.out.printf("[EventQueryIT] index lag per workflow: its end seen on the SSE stream to its index commit %s ms;"
        + " its last journal write to its index commit %s ms%n", lags, journalToIndexLags);
    assertTrue(journal.size() > 100, "enough envelopes to page through the default limit: " + journal.size());
  }

  private long runToEnd(String purpose, String status, String definition) {
    String id = submit(purpose, definition);
    return awaitEndAndIndex(id, status);
  }

  private String submit(String purpose, String definition) {
    String id = "q-" + UUID.randomUUID();
    api.submitAccepted("{\"id\": \"" + id + "\", " + definition.substring(1));
    workflows.put(id, purpose);
    return id;
  }

  private long awaitEndAndIndex(String id, String status) {
    ApiTestClient.Ended ended = api.awaitEnd(id, END);
    Instant endSeen = Instant.now();
    assertEquals(status, ended.status(), () -> "workflow " + workflows.get(id));
    return awaitIndexed(id, endSeen);
  }

  /** Waits until the index holds every envelope the journal has for the workflow; the lag in ms. */
  private long awaitIndexed(String id, Instant since) {
    List<JsonNode> events = api.events(id);
    long last = events.get(events.size() - 1).path("sequence_number").asLong();
    try {
      node.eventIndex().awaitWorkflowIndexed(id, last, INDEX_LAG).join();
    } catch (CompletionException e) {
      throw new AssertionError("workflow " + workflows.get(id) + " was not indexed up to envelope " + last
          + " within " + INDEX_LAG.toMillis() + " ms", e.getCause());
    }
    journalToIndexLags.add(node.eventIndex().lastLagMillis());
    return Duration.between(since, Instant.now()).toMillis();
  }

  // ---- GET /events/stream ----

  /**
   * An idle stream is kept open with an SSE comment (":"), not an empty "data:" line, which an EventSource would
   * deliver as a message with empty data. Waits for the first keep-alive (15 s).
   */
  @Test
  void anIdleStreamIsKeptAliveWithACommentNotAnEmptyMessage() throws Exception {
    HttpRequest request = HttpRequest.newBuilder(api.uri("/events/stream?type=dead_letter:requeued&workflow_id="
        + enc("nobody-" + UUID.randomUUID()))).GET().build();
    HttpResponse<Stream<String>> response = api.http().send(request, HttpResponse.BodyHandlers.ofLines());
    assertEquals("text/event-stream", response.headers().firstValue("Content-Type").orElse(""));
    CompletableFuture<List<String>> untilKeepAlive = CompletableFuture.supplyAsync(() -> {
      List<String> lines = new ArrayList<>();
      try (Stream<String> body = response.body()) {
        for (Iterator<String> it = body.iterator(); it.hasNext(); ) {
          String line = it.next();
          lines.add(line);
          if (line.startsWith(":")) {
            return lines;
          }
        }
      }
      throw new AssertionError("the stream ended without a keep-alive: " + lines);
    });
    try {
      assertEquals(List.of(":"), untilKeepAlive.get(30, TimeUnit.SECONDS), "a comment, and nothing before it");
    } finally {
      response.body().close();
    }
  }

  // ---- GET /events ----

  @Test
  void withoutFiltersTheIndexHoldsEveryEnvelopeOfTheJournalInTheOrderWritten() {
    Page all = events("limit=1000");
    assertNull(all.next(), "everything fits one page of 1000");
    assertEquals(journal, withoutProviderEvents(all.events()));
    assertTrue(all.events().stream().anyMatch(e -> e.path("event_type").asText().equals("provider:registered")),
        "provider events are indexed too: " + all.events().size());
  }

  @Test
  void eachEnvelopeIsByteForByteTheOneOfThePerWorkflowEndpoint() {
    for (String id : workflows.keySet()) {
      String perWorkflow = api.get("/workflows/" + id + "/events").body();
      Response indexed = api.get("/events?workflow_id=" + enc(id) + "&limit=1000");
      assertEquals(200, indexed.status(), indexed::toString);
      assertEquals(perWorkflow.substring(0, perWorkflow.length() - 1) + ",\"next\":null}", indexed.body(),
          () -> "workflow " + workflows.get(id));
    }
  }

  @Test
  void typeFiltersAnExactTypeOrAGroup() {
    for (String type : List.of("task:completed", "task:failed", "workflow:state_changed", "dependency:satisfied",
        "assignment:requested", "parameters:resolved", "task:cancelled", "dead_letter:added")) {
      assertFiltered("type=" + enc(type), e -> e.path("event_type").asText().equals(type));
    }
    for (String group : List.of("task", "workflow", "assignment", "parameters", "dependency", "dead_letter")) {
      assertFiltered("type=" + enc(group + ":*"), e -> e.path("event_type").asText().startsWith(group + ":"));
    }
    List<JsonNode> providerEvents = events("type=" + enc("provider:*") + "&limit=1000").events();
    assertFalse(providerEvents.isEmpty());
    assertTrue(providerEvents.stream().allMatch(e -> e.path("event_type").asText().startsWith("provider:")));
  }

  @Test
  void workflowTaskProviderAndSeverityFilterExactly() {
    for (String id : workflows.keySet()) {
      assertFiltered("workflow_id=" + enc(id), e -> id.equals(e.path("workflow_id").asText(null)));
    }
    for (String task : List.of("root", "leaf7", "flaky", "slow", "after")) {
      assertFiltered("task_id=" + task, e -> task.equals(e.path("task_id").asText(null)));
    }
    assertFiltered("provider_id=" + enc(providerId), e -> providerId.equals(e.path("provider_id").asText(null)));
    List<JsonNode> ofProvider = events("provider_id=" + enc(providerId) + "&limit=1000").events();
    assertTrue(ofProvider.stream().anyMatch(e -> e.path("event_type").asText().equals("provider:registered")),
        "the provider's own events carry its id");
    for (String severity : List.of("info", "warning", "error")) {
      assertFiltered("severity=" + severity, e -> severity.equals(e.path("severity").asText()));
    }
    assertTrue(events("severity=debug").events().isEmpty(), "nothing persisted is debug");
    assertFiltered("workflow_id=" + enc(first("failed")) + "&severity=error&type=" + enc("task:*"),
        e -> first("failed").equals(e.path("workflow_id").asText()) && e.path("severity").asText().equals("error")
            && e.path("event_type").asText().startsWith("task:"));
  }

  @Test
  void sinceIsInclusiveAndUntilExclusiveToTheMillisecond() {
    List<Instant> times = journal.stream().map(e -> Instant.parse(e.path("timestamp").asText())).distinct()
        .sorted().toList();
    assertTrue(times.size() >= 4, "the workflows ran over several milliseconds: " + times);
    Instant since = times.get(times.size() / 4);
    Instant until = times.get(3 * times.size() / 4);
    assertFiltered("since=" + since, e -> !time(e).isBefore(since));
    assertFiltered("until=" + until, e -> time(e).isBefore(until));
    assertFiltered("since=" + since + "&until=" + until, e -> !time(e).isBefore(since) && time(e).isBefore(until));
    assertFiltered("since=" + since + "&until=" + since, e -> false);

    // A bound between two milliseconds: events at the millisecond before it are before it.
    Instant halfPast = since.plusNanos(500_000);
    assertFiltered("since=" + halfPast, e -> time(e).isAfter(since));
    assertFiltered("until=" + halfPast, e -> !time(e).isAfter(since));

    // Any offset, not only Z (with '+' encoded, and also as a form-encoded space).
    String plusTwo = since.atOffset(ZoneOffset.ofHours(2)).toString();
    assertFiltered("since=" + enc(plusTwo), e -> !time(e).isBefore(since));
    assertFiltered("since=" + plusTwo.replace("+", "%20"), e -> !time(e).isBefore(since));
  }

  @Test
  void pagingWalksTheWholeSetWithNoGapAndNoDuplicate() {
    for (String filter : List.of("", "type=" + enc("task:*"), "workflow_id=" + enc(first("fan-out")),
        "severity=warning")) {
      List<JsonNode> whole = events(filter + "&limit=1000").events();
      for (int limit : List.of(1, 7, 50)) {
        List<JsonNode> walked = new ArrayList<>();
        Page page = events(filter + "&limit=" + limit);
        while (page.next() != null) {
          assertEquals(limit, page.events().size(), "a page with a next cursor is full");
          walked.addAll(page.events());
          page = events(filter + "&limit=" + limit + "&after=" + enc(page.next()));
        }
        assertFalse(page.events().isEmpty(), "the last page is not empty when there are envelopes");
        walked.addAll(page.events());
        assertEquals(whole, walked, "filter '" + filter + "', limit " + limit);
        Set<String> ids = new HashSet<>();
        walked.forEach(e -> assertTrue(ids.add(e.path("event_id").asText()), "duplicate " + e));
      }
    }
  }

  @Test
  void theDefaultLimitIs100AndTheLastPageSaysThereIsNoMore() {
    Page first = events("");
    assertEquals(100, first.events().size());
    assertNotNull(first.next());
    assertEquals(events("limit=1000").events().subList(0, 100), first.events());
    Page last = events("workflow_id=" + enc(first("retried")) + "&limit=1000");
    assertNull(last.next());
    Page exact = events("workflow_id=" + enc(first("retried")) + "&limit=" + last.events().size());
    assertNull(exact.next(), "a page that ends exactly at the last envelope has no next");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "type=task|type",
      "type=TASK:completed|type",
      "type=task:*:*|type",
      "type=foo:bar|type",
      "type=task:nope|type",
      "type=foo:*|type",
      "severity=fatal|severity",
      "since=yesterday|since",
      "since=2026-11-26T10:30:00|since",
      "until=2026-13-01T00:00:00Z|until",
      "since=2026-11-27T00:00:00Z&until=2026-11-26T00:00:00Z|until",
      "limit=0|limit",
      "limit=1001|limit",
      "limit=-1|limit",
      "limit=ten|limit",
      "limit=99999999999|limit",
      "after=!!!|after",
      "after=ZXZlbnRzOng|after",
      "after=d29ya2Zsb3dzOjU|after",
      "limit=5&limit=6|limit",
      "type=task:completed&type=task:failed|type",
  })
  void aBadParameterOfEventsIs400NamingIt(String query, String parameter) {
    assertBadRequest("/events?" + query, parameter);
  }

  /** Empty segments name no parameter, and a blank value counts as absent, also beside a given one (round 15). */
  @Test
  void emptySegmentsAndBlankRepeatsAreNoParameter() {
    assertEquals(2, events("&limit=2&&").events().size());
    assertEquals(3, events("limit=&limit=3").events().size());
    ok(api.get("/workflows?&&limit=1&"));
  }

  @Test
  void cursorsAreOpaqueButOnlyFitTheirEndpoint() {
    String eventsCursor = events("limit=1").next();
    assertNotNull(eventsCursor);
    assertBadRequest("/workflows?after=" + enc(eventsCursor), "after");
    String workflowsCursor = workflowsPage("limit=1").next();
    assertNotNull(workflowsCursor);
    assertBadRequest("/events?after=" + enc(workflowsCursor), "after");
    // The fixtures above: base64 of "events:x" and of "workflows:5".
    assertEquals("events:x", new String(Base64.getUrlDecoder().decode("ZXZlbnRzOng"), StandardCharsets.US_ASCII));
    assertEquals("workflows:5", new String(Base64.getUrlDecoder().decode("d29ya2Zsb3dzOjU"),
        StandardCharsets.US_ASCII));
  }

  // ---- GET /workflows ----

  @Test
  void workflowsAreListedNewestFirstWithTheFieldsOfTheWorkflowItself() {
    WorkflowsPage page = workflowsPage("limit=1000");
    assertNull(page.next());
    List<String> newestFirst = new ArrayList<>(workflows.keySet());
    Collections.reverse(newestFirst);
    assertEquals(newestFirst, ids(page.workflows()));
    for (JsonNode row : page.workflows()) {
      JsonNode full = api.workflow(row.path("workflow_id").asText());
      for (String field : List.of("workflow_id", "name", "status", "submitted_at", "completed_at")) {
        assertEquals(full.path(field), row.path(field), field + " of " + row);
      }
      assertEquals(full.path("tasks").size(), row.path("task_count").asInt(), "task_count of " + row);
    }
    Map<String, String> statuses = new LinkedHashMap<>();
    page.workflows().forEach(w -> statuses.put(workflows.get(w.path("workflow_id").asText()),
        w.path("status").asText()));
    assertEquals(Map.of("fan-out", "completed", "retried", "completed", "failed", "failed", "cancelled", "cancelled",
        "retried by hand", "completed", "running", "running"), statuses);
    assertTrue(page.workflows().get(0).path("completed_at").isNull(), "the running workflow has not completed");
  }

  @Test
  void workflowsFilterByStatusAndPageWithNoGapAndNoDuplicate() {
    List<String> all = ids(workflowsPage("limit=1000").workflows());
    for (String status : List.of("running", "completed", "failed", "cancelled")) {
      List<JsonNode> rows = workflowsPage("status=" + status).workflows();
      assertFalse(rows.isEmpty(), status);
      assertTrue(rows.stream().allMatch(w -> status.equals(w.path("status").asText())), status + ": " + rows);
      List<String> expected = all.stream().filter(id -> status.equals(api.workflow(id).path("status").asText()))
          .toList();
      assertEquals(expected, ids(rows), status);
    }
    for (String filter : List.of("", "status=completed&")) {
      List<String> whole = ids(workflowsPage(filter + "limit=1000").workflows());
      for (int limit : List.of(1, 2, 4)) {
        List<String> walked = new ArrayList<>();
        WorkflowsPage page = workflowsPage(filter + "limit=" + limit);
        while (page.next() != null) {
          assertEquals(limit, page.workflows().size());
          walked.addAll(ids(page.workflows()));
          page = workflowsPage(filter + "limit=" + limit + "&after=" + enc(page.next()));
        }
        walked.addAll(ids(page.workflows()));
        assertEquals(whole, walked, "filter '" + filter + "', limit " + limit);
      }
    }
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "status=done|status",
      "status=RUNNING|status",
      "limit=0|limit",
      "limit=1001|limit",
      "limit=x|limit",
      "after=garbage|after",
      "status=failed&status=completed|status",
  })
  void aBadParameterOfWorkflowsIs400NamingIt(String query, String parameter) {
    assertBadRequest("/workflows?" + query, parameter);
  }

  // ---- helpers ----

  private record Page(List<JsonNode> events, String next) {}

  private record WorkflowsPage(List<JsonNode> workflows, String next) {}

  private Page events(String query) {
    JsonNode body = ok(api.get("/events?" + query));
    List<JsonNode> list = new ArrayList<>();
    body.path("events").forEach(list::add);
    assertTrue(body.has("next"), "next is always present: " + body);
    return new Page(list, body.path("next").isNull() ? null : body.path("next").asText());
  }

  private WorkflowsPage workflowsPage(String query) {
    JsonNode body = ok(api.get("/workflows?" + query));
    List<JsonNode> list = new ArrayList<>();
    body.path("workflows").forEach(list::add);
    assertTrue(body.has("next"), "next is always present: " + body);
    return new WorkflowsPage(list, body.path("next").isNull() ? null : body.path("next").asText());
  }

  /** The index answers exactly the journal's envelopes that match, in order (provider events aside). */
  private void assertFiltered(String query, Predicate<JsonNode> matches) {
    Page page = events(query + "&limit=1000");
    assertNull(page.next(), query);
    List<JsonNode> expected = journal.stream().filter(matches).toList();
    assertEquals(expected, withoutProviderEvents(page.events()), query);
    assertTrue(page.events().stream().allMatch(matches), query + ": every provider event matches too");
  }

  private void assertBadRequest(String pathAndQuery, String parameter) {
    Response r = api.get(pathAndQuery);
    assertEquals(400, r.status(), () -> pathAndQuery + ": " + r);
    assertEquals("invalid_request", r.json().path("error").asText(), r::toString);
    assertEquals(parameter, r.json().path("details").path(0).path("path").asText(), r::toString);
    assertTrue(r.json().path("message").asText().contains(parameter), r::toString);
  }

  private static List<JsonNode> withoutProviderEvents(List<JsonNode> events) {
    return events.stream().filter(e -> !e.path("event_type").asText().startsWith("provider:")).toList();
  }

  private static List<String> ids(List<JsonNode> rows) {
    return rows.stream().map(w -> w.path("workflow_id").asText()).toList();
  }

  private static Instant time(JsonNode e) {
    return Instant.parse(e.path("timestamp").asText());
  }

  private String first(String purpose) {
    return workflows.entrySet().stream().filter(e -> e.getValue().equals(purpose)).findFirst().orElseThrow()
        .getKey();
  }

  /**
   * Follows the workflow's event stream (history, then live) until an envelope of the type arrives. The stream
   * ignores {@code limit} and {@code after}, values no query would take included (README): it goes past one event.
   */
  private void awaitEvent(String workflowId, String type) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(api.uri("/events/stream?workflow_id=" + enc(workflowId)
        + "&limit=1&after=not-a-cursor")).GET().build();
    HttpResponse<Stream<String>> response = api.http().send(request, HttpResponse.BodyHandlers.ofLines());
    CompletableFuture<Void> found = CompletableFuture.runAsync(() -> {
      try (Stream<String> lines = response.body()) {
        for (Iterator<String> it = lines.iterator(); it.hasNext(); ) {
          String line = it.next();
          if (line.startsWith("data:") && ApiTestClient.parse(line.substring(5).trim()).path("event_type").asText()
              .equals(type)) {
            return;
          }
        }
      }
      throw new AssertionError("the stream of " + workflowId + " ended without " + type);
    });
    try {
      found.get(END.toMillis(), TimeUnit.MILLISECONDS);
    } finally {
      response.body().close();
    }
  }
}
