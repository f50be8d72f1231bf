package io.gleitzeit.provider;

import static io.gleitzeit.testing.ApiTestClient.ok;
import static io.gleitzeit.testing.EventWatch.type;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.node.GleitzeitNode;
import io.gleitzeit.testing.ApiTestClient;
import io.gleitzeit.testing.EventWatch;
import io.gleitzeit.testing.ExternalWorker;
import io.gleitzeit.testing.ExternalWorker.Execution;
import io.gleitzeit.testing.LocalNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Load spreads across external providers by capacity, no provider ever runs more than its
 * {@code max_concurrency}, and an unhealthy provider gets nothing (SPEC §6, issue 3 items 2, 3 and 7).
 */
@Tag("integration")
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ExternalLoadSpreadIT {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void loadSpreadsByCapacityAndAnUnhealthyProviderGetsNothing(@TempDir Path tmp) throws Exception {
    // A 1 s heartbeat interval (default 5 s) only keeps the wait for "unhealthy" (3 intervals) short.
    Path conf = Files.writeString(tmp.resolve("fast-heartbeat.conf"), "gleitzeit.providers.heartbeat-interval = 1s\n");
    GleitzeitNode node = LocalNode.start(tmp.resolve("data"), conf);
    try (node; ApiTestClient api = new ApiTestClient(node.baseUrl());
         ExternalWorker small = ExternalWorker.start(new ExternalWorker.Options(node.baseUrl(), "ext-small")
             .methods(List.of("ext/sleep")).maxConcurrency(2));
         ExternalWorker large = ExternalWorker.start(new ExternalWorker.Options(node.baseUrl(), "ext-large")
             .methods(List.of("ext/sleep")).maxConcurrency(4))) {

      // 12 independent tasks at once, for 6 slots in all.
      String first = api.submitAccepted(sleepers("s", 12, 500));
      assertEquals("completed", api.awaitEnd(first, WAIT).status());

      Map<String, Long> byProvider = countByProvider(api.workflow(first));
      assertEquals(12, byProvider.values().stream().mapToLong(Long::longValue).sum(), byProvider::toString);
      assertTrue(byProvider.getOrDefault("ext-small", 0L) > 0 && byProvider.getOrDefault("ext-large", 0L) > 0,
          "both providers get work: " + byProvider);
      assertEquals(byProvider.get("ext-small"), (long) small.executions().size(), "one execution per task");
      assertEquals(byProvider.get("ext-large"), (long) large.executions().size(), "one execution per task");
      assertTrue(small.peakConcurrency() <= 2, "ext-small ran " + small.peakConcurrency() + " at once (max 2)");
      assertTrue(large.peakConcurrency() <= 4, "ext-large ran " + large.peakConcurrency() + " at once (max 4)");
      assertTrue(overlap(small.executions(), large.executions()),
          "the two providers worked at the same time: " + small.executions() + " / " + large.executions());
      System.out.println("ExternalLoadSpreadIT: tasks per provider " + byProvider + ", peak concurrency small="
          + small.peakConcurrency() + " large=" + large.peakConcurrency());

      // ext-small goes silent (its socket closed): once it is unhealthy, every new task goes to ext-large, even
      // though that means waiting for ext-large's slots.
      try (EventWatch smallEvents = EventWatch.open(node.baseUrl(), "provider_id=ext-small")) {
        small.close();
        smallEvents.await("provider:unhealthy", type("provider:unhealthy"), WAIT);
      }
      assertEquals("unhealthy", ok(api.get("/providers/ext-small")).path("status").asText());
      int smallBefore = small.executions().size();

      String second = api.submitAccepted(sleepers("t", 6, 200));
      assertEquals("completed", api.awaitEnd(second, WAIT).status());
      Map<String, Long> afterward = countByProvider(api.workflow(second));
      assertEquals(Map.of("ext-large", 6L), afterward, "an unhealthy provider gets nothing");
      assertEquals(smallBefore, small.executions().size());
      assertTrue(large.peakConcurrency() <= 4, "ext-large ran " + large.peakConcurrency() + " at once (max 4)");
    }
  }

  private static String sleepers(String prefix, int n, int ms) {
    return "{\"tasks\": [" + IntStream.rangeClosed(1, n)
        .mapToObj(i -> "{\"id\": \"" + prefix + i + "\", \"method\": \"ext/sleep\", \"params\": {\"ms\": " + ms + "}}")
        .collect(Collectors.joining(", ")) + "]}";
  }

  private static Map<String, Long> countByProvider(JsonNode workflow) {
    return java.util.stream.StreamSupport.stream(workflow.path("tasks").spliterator(), false)
        .collect(Collectors.groupingBy(t -> t.path("provider_id").asText(), Collectors.counting()));
  }

  /** Some execution of one list ran while some execution of the other did. */
  private static boolean overlap(List<Execution> a, List<Execution> b) {
    return a.stream().anyMatch(x -> b.stream().anyMatch(y -> x.startNanos() < y.endNanos()
        && y.startNanos() < x.endNanos()));
  }
}
