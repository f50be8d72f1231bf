package io.gleitzeit.api;

import static io.gleitzeit.testing.ApiTestClient.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.events.WorkflowJournal;
import io.gleitzeit.node.GleitzeitNode;
import io.gleitzeit.testing.ApiTestClient;
import io.gleitzeit.testing.EventWatch;
import io.gleitzeit.testing.LocalNode;
import io.gleitzeit.testing.Resources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Retention against a real node whose limit is zero (every finished workflow is old enough): one look of the
 * cluster's retention job removes the finished workflows — journal, index rows, list entry, dead letters —
 * and leaves a running one alone.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RetentionIT {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private GleitzeitNode node;
  private ApiTestClient api;

  @BeforeAll
  void start() throws Exception {
    Path dir = Files.createTempDirectory("gleitzeit-retention-it-");
    Path conf = dir.resolve("retention-now.conf");
    // The timer would look only after an hour: the test asks for each look itself.
    Files.writeString(conf, "gleitzeit.retention { finished-older-than = 0s, interval = 1 hour }\n");
    node = LocalNode.start(dir.resolve("data"), conf);
    api = new ApiTestClient(node.baseUrl());
  }

  @AfterAll
  void stop() {
    Resources.closeAll(api, node);
  }

  private String submit(String prefix, String tasks) {
    String id = prefix + "-" + UUID.randomUUID();
    api.submitAccepted("{\"id\": \"" + id + "\", \"tasks\": [" + tasks + "]}");
    return id;
  }

  private void awaitIndexed(String id) {
    List<JsonNode> events = api.events(id);
    node.eventIndex().awaitWorkflowIndexed(id, events.get(events.size() - 1).path("sequence_number").asLong(), WAIT)
        .join();
  }

  private int indexed(String workflowId) {
    return ok(api.get("/events?limit=1000&workflow_id=" + workflowId)).path("events").size();
  }

  private Set<String> listed() {
    java.util.Set<String> ids = new java.util.HashSet<>();
    ok(api.get("/workflows?limit=1000")).path("workflows").forEach(w -> ids.add(w.path("workflow_id").asText()));
    return ids;
  }

  @Test
  void removesFinishedWorkflowsCompletelyAndNeverARunningOne() throws Exception {
    String completed = submit("done", "{\"id\": \"a\", \"method\": \"test/echo\"},"
        + "{\"id\": \"b\", \"method\": \"test/echo\", \"dependencies\": [\"a\"]}");
    String failed = submit("failed", "{\"id\": \"boom\", \"method\": \"test/fail\","
        + " \"params\": {\"message\": \"no\", \"retryable\": false}}");
    String running;
    assertEquals("completed", api.awaitEnd(completed, WAIT).status());
    assertEquals("failed", api.awaitEnd(failed, WAIT).status());
    try (EventWatch watch = EventWatch.open(node.baseUrl(), "type=task:started")) {
      running = submit("running", "{\"id\": \"slow\", \"method\": \"test/sleep\", \"params\": {\"ms\": 600000}}");
      String id = running;
      watch.await("task:started of " + running, e -> id.equals(e.path("workflow_id").asText()), WAIT);
    }
    for (String id : List.of(completed, failed, running)) {
      awaitIndexed(id);
    }
    int runningEvents = api.events(running).size();
    assertTrue(indexed(completed) > 0);
    assertEquals(1, ok(api.get("/dead-letters?workflow_id=" + failed)).path("dead_letters").size());
    assertTrue(listed().containsAll(List.of(completed, failed, running)));

    List<String> removed = node.retention().sweepNow().toCompletableFuture().get(60, TimeUnit.SECONDS);

    assertEquals(Set.of(completed, failed), Set.copyOf(removed), "the finished ones, and only those");
    WorkflowJournal journal = new WorkflowJournal(node.system());
    for (String id : List.of(completed, failed)) {
      assertEquals(404, api.get("/workflows/" + id).status(), id);
      assertEquals(404, api.get("/workflows/" + id + "/events").status(), id);
      assertEquals(404, api.get("/workflows/" + id + "/timeline").status(), id);
      assertEquals(404, api.get("/workflows/" + id + "/state?at_sequence=1").status(), id);
      assertEquals(List.of(), journal.events(id).toCompletableFuture().get(10, TimeUnit.SECONDS),
          "no journal event of " + id + " is left");
      assertEquals(0, indexed(id), "no index row of " + id + " is left");
      assertFalse(listed().contains(id), id + " is gone from GET /workflows");
    }
    assertEquals(0, ok(api.get("/dead-letters?workflow_id=" + failed)).path("dead_letters").size());
    assertEquals(404, api.post("/workflows/" + failed + "/tasks/boom/retry", "application/json", "").status());

    // The running workflow is untouched.
    assertEquals("running", ok(api.get("/workflows/" + running)).path("status").asText());
    assertEquals(runningEvents, api.events(running).size());
    assertEquals(runningEvents, indexed(running));
    assertTrue(listed().contains(running));

    // A second look finds nothing more to do.
    assertEquals(List.of(), node.retention().sweepNow().toCompletableFuture().get(60, TimeUnit.SECONDS));
    assertEquals("running", ok(api.get("/workflows/" + running)).path("status").asText());
  }

  /** An open stream of a workflow that retention removes follows a new workflow under the same id too. */
  @Test
  void aWorkflowStreamOpenAcrossRemovalGetsTheEventsOfANewWorkflowUnderTheSameId() throws Exception {
    String id = "reused-" + UUID.randomUUID();
    String definition = "{\"id\": \"" + id + "\", \"tasks\": [{\"id\": \"a\", \"method\": \"test/echo\"}]}";
    api.submitAccepted(definition);
    assertEquals("completed", api.awaitEnd(id, WAIT).status());
    awaitIndexed(id);
    int firstRun = api.events(id).size();
    try (EventWatch watch = EventWatch.open(node.baseUrl(), "workflow_id=" + id)) {
      watch.await("the first run's end", EventWatch.type("workflow:completed"), WAIT);
      assertTrue(node.retention().sweepNow().toCompletableFuture().get(60, TimeUnit.SECONDS).contains(id));
      assertEquals(404, api.get("/workflows/" + id).status());

      api.submitAccepted(definition);
      assertEquals("completed", api.awaitEnd(id, WAIT).status());
      List<JsonNode> secondRun = api.events(id);
      // The new workflow's first attempt runs as such (round 18: the coordinator answered it from its memory of
      // the first run's grant, and the provider, which had released that slot, handed it back: attempt 2).
      assertEquals(1, api.workflow(id).path("tasks").get(0).path("attempt").asInt(), () -> secondRun.toString());
      assertTrue(secondRun.stream().noneMatch(e -> "task:reassigned".equals(e.path("event_type").asText())),
          () -> secondRun.toString());
      watch.await("the second run's end", e -> e.path("event_id").asText()
          .equals(secondRun.get(secondRun.size() - 1).path("event_id").asText()), WAIT);
      List<String> received = watch.received().stream().map(e -> e.path("event_id").asText()).toList();
      assertEquals(firstRun + secondRun.size(), received.size(), "both runs' events, each once: " + received);
      assertEquals(secondRun.stream().map(e -> e.path("event_id").asText()).toList(),
          received.subList(firstRun, received.size()));
    }
    // Leaves nothing finished behind for the other test's look.
    awaitIndexed(id);
    assertEquals(List.of(id), node.retention().sweepNow().toCompletableFuture().get(60, TimeUnit.SECONDS));
  }
}
