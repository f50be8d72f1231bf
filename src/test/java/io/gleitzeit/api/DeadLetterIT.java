package io.gleitzeit.api;

import static io.gleitzeit.testing.ApiTestClient.enc;
import static io.gleitzeit.testing.ApiTestClient.task;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.events.WorkflowEnvelopes;
import io.gleitzeit.node.GleitzeitNode;
import io.gleitzeit.node.NodeConfig;
import io.gleitzeit.provider.ProviderCommand;
import io.gleitzeit.provider.ProviderEntity;
import io.gleitzeit.provider.TaskKey;
import io.gleitzeit.testing.ApiTestClient;
import io.gleitzeit.testing.ApiTestClient.Response;
import io.gleitzeit.testing.CliProcess;
import io.gleitzeit.testing.EventWatch;
import io.gleitzeit.testing.Resources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The dead letter queue over HTTP (SPEC §5, §7) against a real node: a task that fails for good is listed
 * with workflow, task, attempt, reason and time; the list filters and pages; a requeue runs the task again
 * and is recorded; a report its provider could not deliver is a dead letter too; the command line lists them.
 * The list is a read model: each check waits until the index has caught up with the journal.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class DeadLetterIT {

  private static final Duration END = Duration.ofSeconds(20);
  /** The index trails the journal by about 200 ms (conf/persistence.conf); the margin is for a loaded machine. */
  private static final Duration INDEX_LAG = Duration.ofSeconds(5);

  private GleitzeitNode node;
  private ApiTestClient api;

  @BeforeAll
  void startNode() throws Exception {
    Path dataDir = Files.createTempDirectory("gleitzeit-dead-letter-it-");
    node = GleitzeitNode.start(NodeConfig.load(0, 0, dataDir, null));
    api = new ApiTestClient(node.baseUrl());
  }

  @AfterAll
  void stopNode() {
    Resources.closeAll(api, node);
  }

  private static String id() {
    return "dl-" + UUID.randomUUID();
  }

  /** Waits until the index holds everything the workflow's journal holds now; its envelopes. */
  private List<JsonNode> indexed(String workflowId) {
    List<JsonNode> events = api.events(workflowId);
    long last = events.get(events.size() - 1).path("sequence_number").asLong();
    try {
      node.eventIndex().awaitWorkflowIndexed(workflowId, last, INDEX_LAG).join();
    } catch (CompletionException e) {
      throw new AssertionError("workflow " + workflowId + " was not indexed up to envelope " + last + " within "
          + INDEX_LAG.toMillis() + " ms", e.getCause());
    }
    return events;
  }

  private JsonNode deadLetters(String query) {
    return ApiTestClient.ok(api.get("/dead-letters?" + query));
  }

  private List<JsonNode> listed(String query) {
    List<JsonNode> out = new ArrayList<>();
    deadLetters(query).path("dead_letters").forEach(out::add);
    return out;
  }

  private static JsonNode only(List<JsonNode> envelopes, String type) {
    List<JsonNode> found = envelopes.stream().filter(EventWatch.type(type)).toList();
    assertEquals(1, found.size(), () -> "exactly one " + type + " in " + envelopes);
    return found.get(0);
  }

  // ---------------------------------------------------------------- a task that fails for good

  @Test
  void aTaskThatFailsForGoodIsListedAndARequeueRunsItAgainOnce() throws Exception {
    String id = id();
    api.submitAccepted("{\"id\": \"" + id + "\", \"tasks\": ["
        + "{\"id\": \"flaky\", \"method\": \"test/flaky\", \"params\": {\"fail_times\": 1, \"value\": 7},"
        + " \"retry\": {\"max_attempts\": 1}},"
        + "{\"id\": \"use\", \"method\": \"test/echo\", \"params\": {\"v\": \"${flaky.result.value}\"},"
        + " \"dependencies\": [\"flaky\"]}]}");
    assertEquals("failed", api.awaitEnd(id, END).status());
    List<JsonNode> history = indexed(id);
    JsonNode added = only(history, "dead_letter:added");

    List<JsonNode> letters = listed("workflow_id=" + enc(id));
    assertEquals(1, letters.size(), letters::toString);
    JsonNode letter = letters.get(0);
    String letterId = WorkflowEnvelopes.deadLetterId(id, "flaky", 1);
    assertEquals(letterId, letter.path("id").asText());
    assertEquals(added.path("payload").path("dead_letter_id").asText(), letterId);
    assertEquals("task", letter.path("kind").asText());
    assertEquals(id, letter.path("workflow_id").asText());
    assertEquals("flaky", letter.path("task_id").asText());
    assertEquals(added.path("provider_id").asText(), letter.path("provider_id").asText());
    assertTrue(letter.path("provider_id").asText().startsWith("test-"), letter::toString);
    assertEquals(1, letter.path("attempt").asInt());
    assertEquals("test/flaky fails attempt 1 of 1", letter.path("reason").asText());
    assertEquals("provider_error", letter.path("error_type").asText());
    assertEquals(added.path("timestamp").asText(), letter.path("added_at").asText());
    assertTrue(ApiTestClient.TIMESTAMP.matcher(letter.path("added_at").asText()).matches(), letter::toString);
    assertEquals("pending", letter.path("status").asText());
    assertTrue(letter.path("requeued_at").isNull());
    assertEquals(List.of(letterId), ids(listed("workflow_id=" + enc(id) + "&status=pending")));
    assertEquals(List.of(), listed("workflow_id=" + enc(id) + "&status=requeued"));

    Response requeued;
    try (EventWatch watch = EventWatch.open(node.baseUrl(), "workflow_id=" + enc(id))) {
      requeued = api.post("/dead-letters/" + letterId + "/requeue", "application/json", "");
      assertEquals(202, requeued.status(), requeued::toString);
      assertEquals("requeued", requeued.json().path("status").asText());
      assertEquals(letterId, requeued.json().path("id").asText());
      assertEquals("running again as attempt 2", requeued.json().path("message").asText());
      watch.await("workflow:completed", EventWatch.type("workflow:completed"), END);
    }
    JsonNode workflow = api.workflow(id);
    assertEquals("completed", workflow.path("status").asText());
    assertEquals(2, task(workflow, "flaky").path("attempt").asInt());
    assertEquals(Json.MAPPER.readTree("{\"attempt\": 2, \"value\": 7}"), task(workflow, "flaky").path("result"));
    assertEquals(7, task(workflow, "use").path("result").path("v").asInt());

    history = indexed(id);
    JsonNode requeuedEvent = only(history, "dead_letter:requeued");
    assertEquals(letterId, requeuedEvent.path("payload").path("dead_letter_id").asText());
    assertEquals(2, requeuedEvent.path("payload").path("attempt").asInt());
    assertEquals(1, history.stream().filter(EventWatch.type("task:completed"))
        .filter(e -> e.path("task_id").asText().equals("flaky")).count(), "the task ran again once");
    JsonNode after = listed("workflow_id=" + enc(id)).get(0);
    assertEquals("requeued", after.path("status").asText());
    assertEquals(requeuedEvent.path("timestamp").asText(), after.path("requeued_at").asText());
    assertEquals(after.path("requeued_at"), requeued.json().path("requeued_at"), "the answer says when, too");
    assertEquals(List.of(), listed("workflow_id=" + enc(id) + "&status=pending"));
    assertEquals(List.of(letterId), ids(listed("workflow_id=" + enc(id) + "&status=requeued")));

    Response again = api.post("/dead-letters/" + letterId + "/requeue", "application/json", "");
    assertEquals(409, again.status(), again::toString);
    assertEquals("conflict", again.json().path("error").asText());
    assertEquals("dead letter '" + letterId + "' was already requeued", again.json().path("message").asText());
    Response unknown = api.post("/dead-letters/" + UUID.randomUUID() + "/requeue", "application/json", "");
    assertEquals(404, unknown.status(), unknown::toString);
    assertEquals("not_found", unknown.json().path("error").asText());

    // scripts/gleitzeit dead-letters: the same list, one line per dead letter, or as JSON.
    CliProcess table = cli("dead-letters", "--workflow", id);
    assertEquals(0, table.exitCode(), table::toString);
    List<String> lines = table.stdout().lines().toList();
    assertEquals(2, lines.size(), table::toString);
    assertTrue(lines.get(0).startsWith("ID "), table::toString);
    assertTrue(lines.get(1).startsWith(letterId + "  task    requeued   " + after.path("added_at").asText()), table::toString);
    assertTrue(lines.get(1).contains(id + " / flaky"), table::toString);
    assertTrue(lines.get(1).endsWith("test/flaky fails attempt 1 of 1"), table::toString);
    CliProcess json = cli("dead-letters", "--workflow", id, "--json");
    assertEquals(0, json.exitCode(), json::toString);
    assertEquals(deadLetters("workflow_id=" + enc(id)), Json.MAPPER.readTree(json.stdout()));
    CliProcess bad = cli("dead-letters", "--status", "lost");
    assertEquals(1, bad.exitCode(), bad::toString);
    assertTrue(bad.stderr().contains("HTTP 400"), bad::toString);
  }

  /** A failed task retried by hand leaves the queue too: its dead letter is requeued by the retry. */
  @Test
  void aManualRetryOfAFailedTaskTakesItsDeadLetterOutOfTheQueue() {
    String id = id();
    api.submitAccepted("{\"id\": \"" + id + "\", \"tasks\": [{\"id\": \"flaky\", \"method\": \"test/flaky\","
        + " \"params\": {\"fail_times\": 1, \"value\": 7}, \"retry\": {\"max_attempts\": 1}}]}");
    assertEquals("failed", api.awaitEnd(id, END).status());
    String letterId = WorkflowEnvelopes.deadLetterId(id, "flaky", 1);

    try (EventWatch watch = EventWatch.open(node.baseUrl(), "workflow_id=" + enc(id))) {
      Response retried = api.post("/workflows/" + enc(id) + "/tasks/flaky/retry", "application/json", "");
      assertEquals(202, retried.status(), retried::toString);
      watch.await("workflow:completed", EventWatch.type("workflow:completed"), END);
    }

    JsonNode requeuedEvent = only(indexed(id), "dead_letter:requeued");
    assertEquals(letterId, requeuedEvent.path("payload").path("dead_letter_id").asText());
    assertEquals(2, requeuedEvent.path("payload").path("attempt").asInt());
    assertEquals(List.of(), listed("workflow_id=" + enc(id) + "&status=pending"));
    assertEquals(List.of(letterId), ids(listed("workflow_id=" + enc(id) + "&status=requeued")));
  }

  // ---------------------------------------------------------------- filters and paging

  @Test
  void theListFiltersPagesAndRefusesBadParameters() {
    String id = id();
    api.submitAccepted("{\"id\": \"" + id + "\", \"error_strategy\": \"continue\", \"tasks\": ["
        + "{\"id\": \"f1\", \"method\": \"test/fail\", \"params\": {\"message\": \"one\", \"retryable\": false}},"
        + "{\"id\": \"f2\", \"method\": \"test/fail\", \"params\": {\"message\": \"two\", \"retryable\": false}},"
        + "{\"id\": \"f3\", \"method\": \"test/fail\", \"params\": {\"message\": \"three\", \"retryable\": false}},"
        + "{\"id\": \"ok\", \"method\": \"test/echo\"}]}");
    assertEquals("failed", api.awaitEnd(id, END).status());
    indexed(id);

    List<JsonNode> all = listed("workflow_id=" + enc(id));
    assertEquals(Set.of("f1", "f2", "f3"), Set.copyOf(all.stream().map(d -> d.path("task_id").asText()).toList()));
    assertEquals(Set.of("one", "two", "three"), Set.copyOf(all.stream().map(d -> d.path("reason").asText()).toList()));

    JsonNode first = deadLetters("workflow_id=" + enc(id) + "&limit=2");
    assertEquals(2, first.path("dead_letters").size(), first::toString);
    assertTrue(first.path("next").isTextual(), first::toString);
    JsonNode second = deadLetters("workflow_id=" + enc(id) + "&limit=2&after=" + enc(first.path("next").asText()));
    assertEquals(1, second.path("dead_letters").size(), second::toString);
    assertTrue(second.path("next").isNull(), second::toString);
    List<String> paged = new ArrayList<>(ids(first.path("dead_letters")));
    paged.addAll(ids(second.path("dead_letters")));
    assertEquals(ids(all), paged, "two pages are the whole list, in its order, no repeat");

    List<JsonNode> f2 = listed("workflow_id=" + enc(id) + "&task_id=f2");
    assertEquals(1, f2.size(), f2::toString);
    assertEquals("two", f2.get(0).path("reason").asText());
    assertTrue(listed("workflow_id=" + enc(id) + "&status=requeued").isEmpty());
    assertEquals(3, listed("workflow_id=" + enc(id) + "&status=pending").size());
    assertTrue(listed("workflow_id=nobody-" + UUID.randomUUID()).isEmpty());

    assertBadRequest("status=lost", "status");
    assertBadRequest("limit=0", "limit");
    assertBadRequest("limit=many", "limit");
    assertBadRequest("after=nonsense", "after");
    assertBadRequest("limit=1&limit=2", "limit");
  }

  private void assertBadRequest(String query, String parameter) {
    Response r = api.get("/dead-letters?" + query);
    assertEquals(400, r.status(), () -> query + ": " + r);
    assertEquals("invalid_request", r.json().path("error").asText(), r::toString);
    assertEquals(parameter, r.json().path("details").path(0).path("path").asText(), r::toString);
  }

  // ---------------------------------------------------------------- a report that could not be delivered

  /**
   * SPEC §7's "an event that could not be delivered after its retries": the provider's runtime gave up
   * delivering an attempt's outcome. The give-up is injected as the runtime sends it (its retries are tested in
   * ProviderRuntimeReportingTest); everything after is the node's own doing.
   */
  @Test
  void aReportItsProviderGaveUpOnIsListedAndItsAttemptRunsAgainByItself() throws Exception {
    String id = id();
    api.submitAccepted("{\"id\": \"" + id + "\", \"tasks\": ["
        + "{\"id\": \"slow\", \"method\": \"test/sleep\", \"params\": {\"ms\": 1000}}]}");
    JsonNode deadLetter;
    try (EventWatch watch = EventWatch.open(node.baseUrl(), "workflow_id=" + enc(id))) {
      JsonNode started = watch.await("task:started", EventWatch.type("task:started"), END);
      String providerId = started.path("provider_id").asText();
      try (EventWatch letters = EventWatch.open(node.baseUrl(), "type=dead_letter:added&provider_id=" + enc(providerId))) {
        ClusterSharding.get(node.system()).entityRefFor(ProviderEntity.ENTITY_KEY, providerId)
            .tell(new ProviderCommand.ReportGivenUp(new TaskKey(id, "slow", 1),
                "simulated: the workflow did not acknowledge the result", 0));
        deadLetter = letters.await("the report's dead letter", EventWatch.type("dead_letter:added"), END);
      }
      JsonNode reassigned = watch.await("task:reassigned", EventWatch.type("task:reassigned"), END);
      assertEquals(1, reassigned.path("payload").path("previous_attempt").asInt(), reassigned::toString);
      assertEquals(2, reassigned.path("payload").path("attempt").asInt(), reassigned::toString);
      watch.await("workflow:completed", EventWatch.type("workflow:completed"), END);
    }
    String providerId = deadLetter.path("provider_id").asText();
    assertEquals(providerId, deadLetter.path("correlation_id").asText(), "it lies in the provider's stream");
    assertEquals(id, deadLetter.path("workflow_id").asText());
    assertEquals("slow", deadLetter.path("task_id").asText());

    List<JsonNode> history = indexed(id);
    assertTrue(history.stream().noneMatch(EventWatch.type("dead_letter:added")),
        "the workflow's own stream does not hold the provider's dead letter");
    JsonNode workflow = api.workflow(id);
    assertEquals("completed", workflow.path("status").asText());
    assertEquals(2, task(workflow, "slow").path("attempt").asInt());
    assertEquals(List.of(2), history.stream().filter(EventWatch.type("task:completed"))
        .map(e -> e.path("payload").path("attempt").asInt()).toList(), "only attempt 2 counted");

    node.eventIndex().awaitProviderIndexed(providerId, deadLetter.path("sequence_number").asLong(), INDEX_LAG).join();
    List<JsonNode> letters = listed("workflow_id=" + enc(id));
    assertEquals(1, letters.size(), letters::toString);
    JsonNode letter = letters.get(0);
    assertEquals(deadLetter.path("payload").path("dead_letter_id").asText(), letter.path("id").asText());
    assertNotEquals(WorkflowEnvelopes.deadLetterId(id, "slow", 1), letter.path("id").asText());
    assertEquals("report", letter.path("kind").asText());
    assertEquals("slow", letter.path("task_id").asText());
    assertEquals(providerId, letter.path("provider_id").asText());
    assertEquals(1, letter.path("attempt").asInt());
    assertEquals("simulated: the workflow did not acknowledge the result", letter.path("reason").asText());
    assertEquals(deadLetter.path("timestamp").asText(), letter.path("added_at").asText());
    assertEquals("pending", letter.path("status").asText());
    JsonNode searched = ApiTestClient.ok(api.get("/events?type=dead_letter:added&workflow_id=" + enc(id)));
    assertEquals(List.of(deadLetter), List.copyOf(toList(searched.path("events"))), "GET /events finds it by workflow");

    Response requeue = api.post("/dead-letters/" + letter.path("id").asText() + "/requeue", "application/json", "");
    assertEquals(409, requeue.status(), requeue::toString);
    String message = requeue.json().path("message").asText();
    assertTrue(message.startsWith("dead letter '" + letter.path("id").asText() + "' is the undelivered outcome of"
        + " attempt 1 of task 'slow'"), message);
    assertTrue(message.endsWith("task 'slow' is completed; only a failed or cancelled task can run again"), message);
  }

  private static List<JsonNode> toList(JsonNode array) {
    List<JsonNode> out = new ArrayList<>();
    array.forEach(out::add);
    return out;
  }

  private static List<String> ids(Iterable<JsonNode> letters) {
    List<String> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (JsonNode d : letters) {
      String letterId = d.path("id").asText();
      assertTrue(seen.add(letterId), "listed twice: " + letterId);
      out.add(letterId);
    }
    return out;
  }

  // ---------------------------------------------------------------- the command line

  private CliProcess cli(String... args) throws IOException, InterruptedException {
    return CliProcess.run(node.baseUrl(), args);
  }
}
