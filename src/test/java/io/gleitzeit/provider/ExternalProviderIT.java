package io.gleitzeit.provider;

import static io.gleitzeit.testing.ApiTestClient.ok;
import static io.gleitzeit.testing.ApiTestClient.task;
import static io.gleitzeit.testing.EventWatch.type;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.testing.ApiTestClient;
import io.gleitzeit.testing.EventWatch;
import io.gleitzeit.testing.ExternalWorker;
import io.gleitzeit.testing.NodeProcess;
import io.gleitzeit.testing.WorkerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failover with fencing, with real processes (SPEC §6, issue 3 item 7): a node and two external workers, each
 * its own JVM, serve {@code ext/sleep}; the worker running the task is killed with SIGKILL in the middle of it.
 */
@Tag("integration")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ExternalProviderIT {

  /**
   * The node runs with a heartbeat interval of 1 s instead of the default 5 s, only to keep this test short: a
   * silent provider is unhealthy after 3 intervals, i.e. 3 s.
   */
  private static final Duration HEARTBEAT = Duration.ofSeconds(1);
  private static final int UNHEALTHY_AFTER_MISSED = 3;
  private static final long TASK_MS = 4000;
  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void aKilledWorkersTaskCompletesOnTheOtherWorkerAndItsLateAnswerIsRejected(@TempDir Path tmp) {
    try (NodeProcess node = NodeProcess.builder(tmp.resolve("data"))
            .env("GLEITZEIT_HEARTBEAT_INTERVAL", HEARTBEAT.toMillis() + "ms").start();
         ApiTestClient api = new ApiTestClient(node.baseUrl());
         WorkerProcess a = WorkerProcess.launch(options(node, "ext-a", tmp), "ext-a", tmp);
         WorkerProcess b = WorkerProcess.launch(options(node, "ext-b", tmp), "ext-b", tmp)) {
      a.awaitReady(WAIT);
      b.awaitReady(WAIT);

      String workflowId = api.submitAccepted("""
          {"tasks": [{"id": "nap", "method": "ext/sleep", "params": {"ms": %d}, "retry": {"max_attempts": 1}}]}
          """.formatted(TASK_MS));
      try (EventWatch events = EventWatch.open(node.baseUrl(), "workflow_id=" + workflowId)) {
        JsonNode started = events.await("task:started", type("task:started"), WAIT);
        String killedId = started.path("provider_id").asText();
        WorkerProcess killed = killedId.equals("ext-a") ? a : b;
        WorkerProcess survivor = killed == a ? b : a;
        assertTrue(killedId.equals("ext-a") || killedId.equals("ext-b"), started::toString);
        assertEquals(1, started.path("payload").path("attempt").asInt(), started::toString);

        JsonNode completed;
        Instant killedAt;
        try (EventWatch providerEvents = EventWatch.open(node.baseUrl(), "provider_id=" + killedId)) {
          killedAt = Instant.now();
          killed.kill9();

          completed = events.await("task:completed", type("task:completed"), WAIT);
          JsonNode unhealthy = providerEvents.await("provider:unhealthy", type("provider:unhealthy"), WAIT);
          assertEquals("error", unhealthy.path("severity").asText(), unhealthy::toString);
          assertEquals("unhealthy", ok(api.get("/providers/" + killedId)).path("status").asText());

          // Attempt 1 was handed back and reassigned as attempt 2, which ran on the other worker.
          JsonNode reassigned = events.await("task:reassigned", type("task:reassigned"), WAIT);
          assertEquals(1, reassigned.path("payload").path("previous_attempt").asInt(), reassigned::toString);
          assertEquals(2, reassigned.path("payload").path("attempt").asInt(), reassigned::toString);
          assertEquals(killedId, reassigned.path("provider_id").asText(), reassigned::toString);
          assertEquals(survivor.providerId(), completed.path("provider_id").asText(), completed::toString);
          assertEquals(2, completed.path("payload").path("attempt").asInt(), completed::toString);

          // Within 3 heartbeat intervals (unhealthy) + 1 s (reassignment) + the task's own duration, from the kill.
          Instant completedAt = Instant.parse(completed.path("timestamp").asText());
          Duration failover = Duration.between(killedAt, completedAt);
          Duration bound = HEARTBEAT.multipliedBy(UNHEALTHY_AFTER_MISSED).plusSeconds(1).plusMillis(TASK_MS);
          System.out.println("ExternalProviderIT: failover from kill -9 to task:completed on "
              + survivor.providerId() + " took " + failover.toMillis() + " ms (bound " + bound.toMillis()
              + " ms); unhealthy after " + Duration.between(killedAt,
              Instant.parse(unhealthy.path("timestamp").asText())).toMillis() + " ms");
          assertTrue(failover.compareTo(bound) <= 0, "failover took " + failover.toMillis() + " ms, bound "
              + bound.toMillis() + " ms");
          assertTrue(failover.toMillis() >= TASK_MS, "attempt 2 must have run in full: " + failover.toMillis());

          JsonNode end = events.await("workflow:completed", type("workflow:completed"), WAIT);
          assertEquals(workflowId, end.path("workflow_id").asText());
          JsonNode nap = task(api.workflow(workflowId), "nap");
          assertEquals(2, nap.path("attempt").asInt(), nap::toString);
          assertEquals(survivor.providerId(), nap.path("provider_id").asText(), nap::toString);
          assertEquals(survivor.providerId(), nap.path("result").path("worker").asText(), nap::toString);
          assertTrue(api.events(workflowId).stream().noneMatch(type("assignment:rejected")),
              "nothing was rejected before the replay");

          // The dead worker's late answer for attempt 1, replayed from its recording on a new connection.
          JsonNode execute = ExternalWorker.readRecording(recordFile(tmp, killedId)).stream()
              .filter(r -> r.dir().equals("in")).map(ExternalWorker.Recorded::json)
              .filter(f -> "task:execute".equals(f.path("type").asText()))
              .filter(f -> f.path("attempt").asInt() == 1 && workflowId.equals(f.path("workflow_id").asText()))
              .findFirst().orElseThrow(() -> new AssertionError("the killed worker recorded no task:execute"));
          ObjectNode late = Json.MAPPER.createObjectNode().put("type", "task:completed")
              .put("workflow_id", execute.path("workflow_id").asText())
              .put("task_id", execute.path("task_id").asText()).put("attempt", execute.path("attempt").asInt());
          late.putObject("result").put("slept_ms", TASK_MS).put("worker", killedId).put("late", true);
          try (ExternalWorker reconnected = ExternalWorker.start(new ExternalWorker.Options(node.baseUrl(), killedId)
              .register(false).heartbeats(false))) {
            reconnected.send(late).join();

            JsonNode rejected = events.await("assignment:rejected for attempt 1",
                type("assignment:rejected").and(e -> e.path("payload").path("attempt").asInt() == 1), WAIT);
            assertEquals(killedId, rejected.path("provider_id").asText(), rejected::toString);
            JsonNode after = task(api.workflow(workflowId), "nap");
            assertEquals(2, after.path("attempt").asInt(), after::toString);
            assertEquals(nap.path("result"), after.path("result"), "the late answer must not overwrite attempt 2");
            assertEquals("completed", after.path("state").asText(), after::toString);

            // Heartbeating again, the provider recovers without registering again.
            reconnected.heartbeat().join();
            providerEvents.await("provider:recovered", type("provider:recovered"), WAIT);
            JsonNode view = ok(api.get("/providers/" + killedId));
            assertEquals("available", view.path("status").asText(), view::toString);
          }
        }
        List<String> history = api.events(workflowId).stream().map(e -> e.path("event_type").asText()).toList();
        assertTrue(history.indexOf("task:reassigned") < history.lastIndexOf("task:completed"), history::toString);
        assertNotEquals(-1, history.indexOf("assignment:rejected"), history::toString);
      }
    }
  }

  private static ExternalWorker.Options options(NodeProcess node, String id, Path tmp) {
    return new ExternalWorker.Options(node.baseUrl(), id).methods(List.of("ext/sleep")).maxConcurrency(1)
        .record(recordFile(tmp, id));
  }

  private static Path recordFile(Path tmp, String id) {
    return tmp.resolve(id + ".frames.jsonl");
  }
}
