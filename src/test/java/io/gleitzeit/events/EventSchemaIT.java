package io.gleitzeit.events;

import static io.gleitzeit.testing.ApiTestClient.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.node.GleitzeitNode;
import io.gleitzeit.testing.ApiTestClient;
import io.gleitzeit.testing.EventWatch;
import io.gleitzeit.testing.LocalNode;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every envelope that leaves a real node — on the live stream (heartbeats included), from {@code GET /events}
 * and from {@code GET /workflows/{id}/events} — passes the envelope schema, for workflows of every outcome and
 * for a provider's whole life.
 */
@Tag("integration")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EventSchemaIT {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void everyEnvelopeTheNodeEmitsPassesTheSchema() throws Exception {
    Path dir = Files.createTempDirectory("gleitzeit-event-schema-it-");
    Path conf = dir.resolve("fast-heartbeats.conf");
    Files.writeString(conf, "gleitzeit.providers.heartbeat-interval = 200ms\n");
    JsonSchemaCheck schema = JsonSchemaCheck.envelopeSchema();
    GleitzeitNode node = LocalNode.start(dir.resolve("data"), conf);
    try (node; ApiTestClient api = new ApiTestClient(node.baseUrl());
         EventWatch watch = EventWatch.open(node.baseUrl(), "")) {
      List<String> ids = new ArrayList<>();
      ids.add(run(api, "{\"tasks\": [{\"id\": \"a\", \"method\": \"test/echo\", \"params\": {\"x\": 1}},"
          + "{\"id\": \"b\", \"method\": \"test/echo\", \"params\": {\"v\": \"${a.result.x}\"}, \"dependencies\": [\"a\"]},"
          + "{\"id\": \"c\", \"method\": \"test/flaky\", \"params\": {\"fail_times\": 1, \"value\": 2},"
          + " \"retry\": {\"max_attempts\": 2, \"backoff\": \"fixed\", \"base_delay\": 0.02, \"jitter\": false}}]}",
          "completed"));
      ids.add(run(api, "{\"error_strategy\": \"continue\", \"tasks\": [{\"id\": \"boom\", \"method\": \"test/fail\","
          + " \"params\": {\"message\": \"no\", \"retryable\": false}},"
          + "{\"id\": \"after\", \"method\": \"test/echo\", \"dependencies\": [\"boom\"]},"
          + "{\"id\": \"other\", \"method\": \"test/echo\"}]}", "failed"));
      ids.add(run(api, "{\"tasks\": [{\"id\": \"boom\", \"method\": \"test/fail\","
          + " \"params\": {\"message\": \"no\", \"retryable\": false}},"
          + "{\"id\": \"slow\", \"method\": \"test/sleep\", \"params\": {\"ms\": 600000}}]}", "failed"));
      ids.add(run(api, "{\"tasks\": [{\"id\": \"a\", \"method\": \"test/echo\"},"
          + "{\"id\": \"b\", \"method\": \"test/echo\", \"params\": {\"v\": \"${a.result.nope}\"},"
          + " \"dependencies\": [\"a\"]}]}", "failed"));

      // Cancelled while running.
      String cancelled = "schema-" + UUID.randomUUID();
      api.submitAccepted("{\"id\": \"" + cancelled + "\", \"tasks\": [{\"id\": \"slow\", \"method\": \"test/sleep\","
          + " \"params\": {\"ms\": 600000}}]}");
      watch.await("task:started of " + cancelled, e -> cancelled.equals(e.path("workflow_id").asText())
          && e.path("event_type").asText().equals("task:started"), WAIT);
      assertEquals(202, api.post("/workflows/" + cancelled + "/cancel", "application/json", "").status());
      api.awaitEnd(cancelled, WAIT);
      ids.add(cancelled);

      // A dead letter requeued: the flaky task fails for good once, then runs again by hand.
      String requeued = "schema-" + UUID.randomUUID();
      api.submitAccepted("{\"id\": \"" + requeued + "\", \"tasks\": [{\"id\": \"f\", \"method\": \"test/flaky\","
          + " \"params\": {\"fail_times\": 1, \"value\": 3}, \"retry\": {\"max_attempts\": 1}}]}");
      assertEquals("failed", api.awaitEnd(requeued, WAIT).status());
      JsonNode added = watch.await("dead_letter:added of " + requeued, e -> requeued.equals(e.path("workflow_id")
          .asText()) && e.path("event_type").asText().equals("dead_letter:added"), WAIT);
      // The dead letter queue is a read model of the index: requeue once the index holds it.
      node.eventIndex().awaitWorkflowIndexed(requeued, added.path("sequence_number").asLong(), WAIT).join();
      assertEquals(202, api.post("/dead-letters/" + added.path("payload").path("dead_letter_id").asText()
          + "/requeue", "application/json", "").status());
      watch.await("workflow:completed of " + requeued, e -> requeued.equals(e.path("workflow_id").asText())
          && e.path("event_type").asText().equals("workflow:completed"), WAIT);
      ids.add(requeued);

      // A provider's life: registered, never connects, unhealthy after three missed heartbeats, deregistered.
      String provider = "schema-ext-" + UUID.randomUUID().toString().substring(0, 8);
      assertEquals(201, api.post("/providers", "application/json", "{\"id\": \"" + provider
          + "\", \"type\": \"external\", \"methods\": [\"test/echo\"], \"max_concurrency\": 1}").status());
      watch.await("provider:unhealthy of " + provider, e -> provider.equals(e.path("provider_id").asText())
          && e.path("event_type").asText().equals("provider:unhealthy"), WAIT);
      assertEquals(200, api.send(HttpRequest.newBuilder(api.uri("/providers/" + provider)).DELETE()).status());
      watch.await("provider:deregistered of " + provider, e -> provider.equals(e.path("provider_id").asText())
          && e.path("event_type").asText().equals("provider:deregistered"), WAIT);
      watch.await("a heartbeat", e -> e.path("event_type").asText().equals("provider:heartbeat"), WAIT);

      List<JsonNode> all = new ArrayList<>(watch.received());
      for (String id : ids) {
        List<JsonNode> events = api.events(id);
        all.addAll(events);
        node.eventIndex().awaitWorkflowIndexed(id, events.get(events.size() - 1).path("sequence_number").asLong(),
            WAIT).join();
      }
      String after = null;
      do {
        JsonNode page = ok(api.get("/events?limit=1000" + (after == null ? "" : "&after=" + after)));
        page.path("events").forEach(all::add);
        after = page.path("next").isNull() ? null : page.path("next").asText();
      } while (after != null);

      Set<String> types = new TreeSet<>();
      for (JsonNode e : all) {
        assertEquals(List.of(), schema.problems(e), e::toString);
        types.add(e.path("event_type").asText());
      }
      Set<String> missing = new TreeSet<>(EventSchemaTest.SPEC_TYPES);
      missing.removeAll(types);
      System.out.println("[EventSchemaIT] " + all.size() + " envelopes of " + types.size()
          + " types passed the schema; not emitted in this run: " + missing);
      assertTrue(types.containsAll(Set.of("workflow:submitted", "workflow:state_changed", "workflow:completed",
          "workflow:failed", "workflow:cancelled", "task:created", "task:ready", "task:assigned", "task:started",
          "task:completed", "task:failed", "task:retry_scheduled", "task:cancelled", "task:skipped",
          "dependency:satisfied", "assignment:requested", "assignment:candidate_found", "assignment:approved",
          "assignment:executed", "parameters:resolve_requested", "parameters:resolved",
          "parameters:resolution_failed", "provider:registered", "provider:available", "provider:heartbeat",
          "provider:unhealthy", "provider:deregistered", "dead_letter:added", "dead_letter:requeued")),
          () -> "types seen: " + types);
    }
  }

  private static String run(ApiTestClient api, String definition, String status) {
    String id = "schema-" + UUID.randomUUID();
    api.submitAccepted("{\"id\": \"" + id + "\", " + definition.substring(1));
    assertEquals(status, api.awaitEnd(id, WAIT).status(), id);
    return id;
  }
}
