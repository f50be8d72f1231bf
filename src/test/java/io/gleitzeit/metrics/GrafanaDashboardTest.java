package io.gleitzeit.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.domain.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** conf/grafana-dashboard.json queries only series that GET /metrics exposes. */
class GrafanaDashboardTest {

  private static final Pattern SERIES = Pattern.compile("gleitzeit_[a-z_]+");

  @Test
  void everySeriesTheDashboardQueriesIsExposedAndEveryRequiredSeriesIsShown() throws Exception {
    JsonNode dashboard = Json.MAPPER.readTree(Files.readString(Path.of("conf/grafana-dashboard.json")));
    Set<String> queried = new TreeSet<>();
    for (JsonNode panel : dashboard.path("panels")) {
      assertFalse(panel.path("targets").isEmpty(), panel::toString);
      for (JsonNode target : panel.path("targets")) {
        Matcher m = SERIES.matcher(target.path("expr").asText());
        while (m.find()) {
          queried.add(m.group());
        }
      }
    }
    EngineMetrics metrics = new EngineMetrics();
    metrics.taskExecuted("test/echo", "test-1", Duration.ofMillis(12));
    metrics.taskOutcome("completed");
    metrics.eventsWritten(3);
    metrics.workflows(Map.of("running", 1L));
    metrics.provider("test-1", 1.0, 2);
    Set<String> exposed = new TreeSet<>();
    Matcher m = Pattern.compile("(?m)^(gleitzeit_[a-z_]+)").matcher(metrics.scrape());
    while (m.find()) {
      exposed.add(m.group(1));
    }
    assertTrue(exposed.containsAll(queried), () -> "queried " + queried + ", exposed " + exposed);
    assertEquals(Set.of(), difference(Set.of("gleitzeit_task_duration_seconds_bucket", "gleitzeit_tasks_total",
        "gleitzeit_workflows", "gleitzeit_provider_health", "gleitzeit_provider_load",
        "gleitzeit_events_written_total"), queried), "series the dashboard must show");
  }

  private static Set<String> difference(Set<String> a, Set<String> b) {
    Set<String> out = new TreeSet<>(a);
    out.removeAll(b);
    return out;
  }
}
