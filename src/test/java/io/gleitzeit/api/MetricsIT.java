package io.gleitzeit.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gleitzeit.node.GleitzeitNode;
import io.gleitzeit.node.NodeConfig;
import io.gleitzeit.testing.ApiTestClient;
import java.nio.file.Files;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** SPEC §5 {@code GET /metrics}: the required meters, in Prometheus text format, moving with the work done. */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricsIT {

  private GleitzeitNode node;
  private ApiTestClient api;

  @BeforeAll
  void start() throws Exception {
    node = GleitzeitNode.start(NodeConfig.load(0, 0, Files.createTempDirectory("gleitzeit-metrics-it-"), null));
    api = new ApiTestClient(node.baseUrl());
  }

  @AfterAll
  void stop() {
    api.close();
    node.close();
  }

  /** The series SPEC §5 lists exist before the first task: no task of this class skips or runs test/sleep. */
  @Test
  void theRequiredSeriesExistBeforeAnyTaskMovesThem() {
    String text = api.get("/metrics").body();
    String provider = "test-" + node.system().address().getPort().orElseThrow();
    assertEquals(0.0, value(text, "gleitzeit_tasks_total{outcome=\"skipped\"}"), text);
    assertEquals(0.0, value(text, "gleitzeit_task_duration_seconds_count{method=\"test/sleep\",provider=\""
        + provider + "\"}"), text);
  }

  @Test
  void metricsCountTheTasksAndEventsOfAFinishedWorkflow() throws Exception {
    String id = api.submitAccepted("{\"error_strategy\": \"continue\", \"tasks\": ["
        + "{\"id\": \"ok\", \"method\": \"test/echo\"},"
        + "{\"id\": \"bad\", \"method\": \"test/fail\", \"params\": {\"retryable\": false}}]}");
    ApiTestClient.Ended ended = api.awaitEnd(id, Duration.ofSeconds(20));
    node.eventIndex().awaitWorkflowIndexed(id, ended.terminal().path("sequence_number").asLong(),
        Duration.ofSeconds(5)).get();

    ApiTestClient.Response r = api.get("/metrics");

    assertEquals(200, r.status());
    assertEquals("text/plain; version=0.0.4; charset=UTF-8", r.contentType());
    String text = r.body();
    String provider = "test-" + node.system().address().getPort().orElseThrow();
    assertTrue(value(text, "gleitzeit_task_duration_seconds_count{method=\"test/echo\",provider=\"" + provider
        + "\"}") >= 1, text);
    assertTrue(text.contains("gleitzeit_task_duration_seconds_bucket{method=\"test/fail\""), text);
    assertTrue(text.contains("gleitzeit_task_duration_seconds_bucket{method=\"test/echo\",provider=\"" + provider
        + "\",le=\"3600.0\"}"), "buckets up to an hour, for tasks that take minutes: " + text);
    assertTrue(value(text, "gleitzeit_tasks_total{outcome=\"completed\"}") >= 1, text);
    assertTrue(value(text, "gleitzeit_tasks_total{outcome=\"failed\"}") >= 1, text);
    assertTrue(value(text, "gleitzeit_workflows{status=\"failed\"}") >= 1, text);
    assertTrue(value(text, "gleitzeit_events_written_total") >= ended.terminal().path("sequence_number").asLong(),
        text);
    assertTrue(text.contains("gleitzeit_provider_health{provider=\"" + provider + "\"}"), text);
    assertTrue(value(text, "gleitzeit_assignment_wait_seconds_count") >= 2, text);
    assertTrue(value(text, "gleitzeit_journal_write_seconds_count") >= 1, text);
    assertTrue(text.contains("gleitzeit_stream_subscribers "), text);
  }

  private static double value(String text, String series) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(text);
    assertTrue(m.find(), () -> "no series " + series + " in\n" + text);
    return Double.parseDouble(m.group(1));
  }
}
