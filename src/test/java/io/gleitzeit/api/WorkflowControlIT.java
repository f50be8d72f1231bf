package io.gleitzeit.api;

import static io.gleitzeit.testing.ApiTestClient.task;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.node.GleitzeitNode;
import io.gleitzeit.node.NodeConfig;
import io.gleitzeit.testing.ApiTestClient;
import io.gleitzeit.testing.ApiTestClient.Response;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** Cancelling a workflow and retrying a task by hand over HTTP (SPEC §3, §5), against a real node. */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WorkflowControlIT {

  private static final Duration END = Duration.ofSeconds(20);

  private GleitzeitNode node;
  private ApiTestClient api;

  @BeforeAll
  void startNode() throws Exception {
    Path dataDir = Files.createTempDirectory("gleitzeit-control-it-");
    node = GleitzeitNode.start(NodeConfig.load(0, 0, dataDir, null));
    api = new ApiTestClient(node.baseUrl());
  }

  @AfterAll
  void stopNode() {
    api.close();
    node.close();
  }

  private static String id() {
    return "ctl-" + UUID.randomUUID();
  }

  /** A workflow whose task slow (30 s) has started, and after waits for it. */
  private String slowThenAfterStarted() throws Exception {
    String id = id();
    api.submitAccepted("{\"id\": \"" + id + "\", \"tasks\": ["
        + "{\"id\": \"slow\", \"method\": \"test/sleep\", \"params\": {\"ms\": 30000}},"
        + "{\"id\": \"after\", \"method\": \"test/echo\", \"dependencies\": [\"slow\"]}]}");
    awaitEvent(id, "task:started", 0);
    return id;
  }

  @Test
  void cancellingARunningWorkflowCancelsItsTasksOnceAndRefusesFinishedOnes() throws Exception {
    String id = slowThenAfterStarted();

    Response cancelled = api.post("/workflows/" + id + "/cancel", "application/json", "");
    assertEquals(202, cancelled.status(), cancelled::toString);
    assertEquals("cancelled", cancelled.json().path("status").asText());
    assertEquals(202, api.post("/workflows/" + id + "/cancel", "application/json", "").status(), "idempotent");

    JsonNode workflow = api.workflow(id);
    assertEquals("cancelled", workflow.path("status").asText());
    assertEquals("cancelled", task(workflow, "slow").path("state").asText());
    assertEquals("cancelled", task(workflow, "after").path("state").asText());
    List<String> types = api.events(id).stream().map(e -> e.path("event_type").asText()).toList();
    assertEquals(1, types.stream().filter("workflow:cancelled"::equals).count(), types::toString);
    assertEquals(2, types.stream().filter("task:cancelled"::equals).count(), types::toString);

    String done = id();
    api.runToEnd("{\"id\": \"" + done + "\", \"tasks\": [{\"id\": \"a\", \"method\": \"test/echo\"}]}", END);
    Response refused = api.post("/workflows/" + done + "/cancel", "application/json", "");
    assertEquals(409, refused.status(), refused::toString);
    assertEquals("conflict", refused.json().path("error").asText());
    assertEquals(404, api.post("/workflows/nope-" + UUID.randomUUID() + "/cancel", "application/json", "").status());
  }

  @Test
  void retryingAFailedTaskByHandRunsItAgainAndTheWorkflowFinishes() throws Exception {
    String id = id();
    api.submitAccepted("{\"id\": \"" + id + "\", \"error_strategy\": \"continue\", \"tasks\": ["
        + "{\"id\": \"flaky\", \"method\": \"test/flaky\", \"params\": {\"fail_times\": 1, \"value\": 7},"
        + " \"retry\": {\"max_attempts\": 1}},"
        + "{\"id\": \"use\", \"method\": \"test/echo\", \"params\": {\"v\": \"${flaky.result.value}\"},"
        + " \"dependencies\": [\"flaky\"]}]}");
    JsonNode failed = awaitEvent(id, "workflow:failed", 0);
    JsonNode before = api.workflow(id);
    assertEquals("failed", task(before, "flaky").path("state").asText());
    assertEquals("skipped", task(before, "use").path("state").asText());

    Response retried = api.post("/workflows/" + id + "/tasks/flaky/retry", "application/json", "");
    assertEquals(202, retried.status(), retried::toString);
    assertEquals("running", retried.json().path("status").asText());

    awaitEvent(id, "workflow:completed", failed.path("sequence_number").asLong());
    JsonNode after = api.workflow(id);
    assertEquals("completed", after.path("status").asText());
    assertEquals(2, task(after, "flaky").path("attempt").asInt());
    assertEquals(Json.MAPPER.readTree("{\"attempt\":2,\"value\":7}"), task(after, "flaky").path("result"));
    assertEquals(7, task(after, "use").path("result").path("v").asInt());

    Response again = api.post("/workflows/" + id + "/tasks/flaky/retry", "application/json", "");
    assertEquals(409, again.status(), "a completed task cannot be retried: " + again);
    assertEquals(404, api.post("/workflows/" + id + "/tasks/nope/retry", "application/json", "").status());
  }

  @Test
  void retryingATaskOfACancelledWorkflowRunsItAndWhatTheCancellationStoppedAgain() throws Exception {
    String id = slowThenAfterStarted();
    assertEquals(202, api.post("/workflows/" + id + "/cancel", "application/json", "").status());
    JsonNode cancelled = awaitEvent(id, "workflow:cancelled", 0);

    // SPEC §5: a cancelled task runs again (202); the workflow the cancellation ended runs again with it.
    Response retried = api.post("/workflows/" + id + "/tasks/slow/retry", "application/json", "");
    assertEquals(202, retried.status(), retried::toString);
    assertEquals("running", retried.json().path("status").asText());
    JsonNode reopened = awaitEvent(id, "workflow:state_changed", cancelled.path("sequence_number").asLong());
    assertEquals("cancelled", reopened.path("payload").path("from").asText(), reopened::toString);
    assertEquals("running", reopened.path("payload").path("to").asText(), reopened::toString);
    JsonNode running = api.workflow(id);
    assertEquals(2, task(running, "slow").path("attempt").asInt(), "slow ran an attempt before it was cancelled");
    assertEquals("pending", task(running, "after").path("state").asText(), "reopened, waiting for slow");
    assertEquals(1, task(running, "after").path("attempt").asInt(), "after never ran: its first attempt");
  }

  /** Follows the workflow's event stream until an event of the type after {@code afterSequence}. */
  private JsonNode awaitEvent(String workflowId, String type, long afterSequence) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(api.uri("/events/stream?workflow_id=" + workflowId)).GET().build();
    HttpResponse<Stream<String>> response = api.http().send(request, HttpResponse.BodyHandlers.ofLines());
    CompletableFuture<JsonNode> found = CompletableFuture.supplyAsync(() -> {
      try (Stream<String> lines = response.body()) {
        for (Iterator<String> it = lines.iterator(); it.hasNext(); ) {
          String line = it.next();
          if (line.startsWith("data:") && line.length() > 6) {
            JsonNode e = Json.MAPPER.readTree(line.substring(5).trim());
            if (type.equals(e.path("event_type").asText()) && e.path("sequence_number").asLong() > afterSequence) {
              return e;
            }
          }
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      throw new AssertionError("stream of " + workflowId + " ended without " + type);
    });
    try {
      return found.get(END.toMillis(), TimeUnit.MILLISECONDS);
    } finally {
      response.body().close();
    }
  }
}
