package io.gleitzeit.node;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.testing.ApiTestClient;
import io.gleitzeit.testing.EventWatch;
import io.gleitzeit.testing.NodeProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A retry survives a crash (issue 5, SPEC §3 and §7): a node is killed with SIGKILL while a failed attempt
 * waits for its retry; a new node process on the same data directory (the same H2 journal) resumes the
 * workflow by itself and runs the retry exactly once, not before its {@code retry_at}, and the workflow
 * completes. Followed over the SSE stream only: nothing touches the workflow after the restart.
 */
@Tag("integration")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RetryCrashIT {

  private static final String ID = "retry-crash";
  /**
   * The retry waits this long: longer than a node restart here (about 2.5 s), so that the restarted node
   * normally re-arms the timer for the time left; were the restart slower, the overdue retry runs on recovery,
   * and every assertion below holds just the same.
   */
  private static final int RETRY_DELAY_SECONDS = 6;
  private static final String WORKFLOW = """
      {"id": "%s", "tasks": [
        {"id": "flaky", "method": "test/flaky", "params": {"fail_times": 1, "value": 42},
         "retry": {"max_attempts": 3, "backoff": "fixed", "base_delay": %d, "jitter": false}}
      ]}
      """.formatted(ID, RETRY_DELAY_SECONDS);

  @Test
  void killNineDuringARetryWaitRunsTheRetryExactlyOnceAfterTheRestart() throws Exception {
    Path data = Files.createDirectories(Path.of("target", "it-nodes", "retry-crash-"
        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS")))).toAbsolutePath()
        .resolve("data");
    Instant retryAt;
    Instant killedAt;
    List<JsonNode> seenBeforeKill;
    try (NodeProcess first = NodeProcess.start(data); ApiTestClient api = new ApiTestClient(first.baseUrl())) {
      api.submitAccepted(WORKFLOW);
      try (EventWatch watch = EventWatch.open(first.baseUrl(), "workflow_id=" + ID)) {
        JsonNode scheduled = watch.await("task:retry_scheduled", EventWatch.type("task:retry_scheduled"),
            Duration.ofSeconds(30));
        first.kill9();
        killedAt = Instant.now();
        seenBeforeKill = watch.received();
        JsonNode plan = scheduled.path("payload");
        assertEquals(2, plan.path("next_attempt").asInt(), scheduled::toString);
        assertEquals(RETRY_DELAY_SECONDS * 1000L, plan.path("delay_ms").asLong(), scheduled::toString);
        retryAt = Instant.parse(plan.path("retry_at").asText());
      }
    }
    assertTrue(killedAt.isBefore(retryAt), "the kill must land in the retry wait: killed at " + killedAt
        + ", retry due at " + retryAt);
    assertTrue(seenBeforeKill.stream().noneMatch(readyFor(2)), "attempt 2 had not started before the kill: "
        + types(seenBeforeKill));

    try (NodeProcess second = NodeProcess.start(data); ApiTestClient api = new ApiTestClient(second.baseUrl())) {
      Instant readyAt = Instant.now();
      ApiTestClient.Ended ended = api.awaitEnd(ID, Duration.ofSeconds(45));
      List<JsonNode> history = api.events(ID);
      JsonNode workflow = api.workflow(ID);
      JsonNode task = ApiTestClient.task(workflow, "flaky");
      List<JsonNode> retries = history.stream().filter(readyFor(2)).toList();
      String evidence = "\nhistory: " + types(history) + "\nworkflow: " + workflow + "\nnode stderr: "
          + second.stderrFile();
      System.out.printf("[RetryCrashIT] killed %d ms before retry_at; new node ready %d ms %s retry_at; attempt 2"
              + " ready at %s (retry_at %s)%n", Duration.between(killedAt, retryAt).toMillis(),
          Math.abs(Duration.between(readyAt, retryAt).toMillis()), readyAt.isBefore(retryAt) ? "before" : "after",
          retries.isEmpty() ? "-" : retries.get(0).path("timestamp").asText(), retryAt);

      assertAll("the retry after kill -9 and restart",
          () -> assertEquals("completed", ended.status(), "the workflow ended completed" + evidence),
          () -> assertEquals(1, retries.size(), "exactly one task:ready for attempt 2" + evidence),
          () -> {
            Instant retried = Instant.parse(retries.get(0).path("timestamp").asText());
            assertFalse(retried.isBefore(retryAt), "attempt 2 became ready at " + retried + ", before its retry_at "
                + retryAt);
            assertFalse(retried.isBefore(killedAt.minusMillis(1)), "attempt 2 became ready at " + retried
                + ", before the kill at " + killedAt);
          },
          () -> assertEquals(1, count(history, "task:retry_scheduled"), "one retry scheduled" + evidence),
          () -> assertEquals(1, count(history, "task:failed"), "only attempt 1 failed" + evidence),
          () -> assertEquals(List.of(2), attempts(history, "task:completed"), "attempt 2 completed, once" + evidence),
          () -> assertEquals(List.of(1, 2), attempts(history, "task:assigned"), "attempts 1 and 2 assigned" + evidence),
          () -> assertTrue(history.stream().noneMatch(e -> e.path("payload").path("attempt").asInt() >= 3),
              "no attempt 3" + evidence),
          () -> assertEquals("completed", task.path("state").asText(), evidence),
          () -> assertEquals(2, task.path("attempt").asInt(), evidence),
          () -> assertEquals(Json.MAPPER.readTree("{\"attempt\": 2, \"value\": 42}"), task.path("result"), evidence),
          () -> assertEquals("test-" + second.remotePort(), task.path("provider_id").asText(),
              "attempt 2 ran on the new node's provider" + evidence));
    }
  }

  private static Predicate<JsonNode> readyFor(int attempt) {
    return e -> "task:ready".equals(e.path("event_type").asText())
        && e.path("payload").path("attempt").asInt() == attempt;
  }

  private static long count(List<JsonNode> history, String type) {
    return history.stream().filter(EventWatch.type(type)).count();
  }

  private static List<Integer> attempts(List<JsonNode> history, String type) {
    return history.stream().filter(EventWatch.type(type)).map(e -> e.path("payload").path("attempt").asInt()).toList();
  }

  private static List<String> types(List<JsonNode> envelopes) {
    return envelopes.stream().map(e -> e.path("sequence_number").asText() + ":" + e.path("event_type").asText()
        + e.path("payload").path("attempt").asText("")).toList();
  }
}
