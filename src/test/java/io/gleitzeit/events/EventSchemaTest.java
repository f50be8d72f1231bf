package io.gleitzeit.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.Json;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The envelope schema (src/main/resources/schema/event-envelope.schema.json) against SPEC §4, and every envelope
 * the envelope mappers make from one sample of each persisted event (and a heartbeat) against the schema.
 */
class EventSchemaTest {

  /** SPEC §4's event types, verbatim. */
  static final Set<String> SPEC_TYPES = Set.of(
      "workflow:submitted", "workflow:state_changed", "workflow:completed", "workflow:failed", "workflow:cancelled",
      "task:created", "task:ready", "task:assigned", "task:started", "task:completed", "task:failed",
      "task:retry_scheduled", "task:cancelled", "task:skipped", "task:reassigned", "task:progress",
      "dependency:satisfied",
      "assignment:requested", "assignment:candidate_found", "assignment:approved", "assignment:rejected",
      "assignment:executed",
      "parameters:resolve_requested", "parameters:resolved", "parameters:resolution_failed",
      "provider:registered", "provider:available", "provider:busy", "provider:heartbeat", "provider:unhealthy",
      "provider:recovered", "provider:deregistered",
      "dead_letter:added", "dead_letter:requeued");

  private final JsonSchemaCheck schema = JsonSchemaCheck.envelopeSchema();

  @Test
  void shouldFilterByExactlyTheSpecsTypesAndTheirGroups() {
    assertEquals(new TreeSet<>(SPEC_TYPES), new TreeSet<>(EventTypes.ALL));
    assertEquals(new TreeSet<>(List.of("assignment:*", "dead_letter:*", "dependency:*", "parameters:*", "provider:*",
        "task:*", "workflow:*")), new TreeSet<>(EventTypes.GROUPS));
  }

  @Test
  void shouldListExactlyTheSpecsTypesSeveritiesAndTwelveKeys() {
    Set<String> types = new TreeSet<>();
    schema.schema().path("properties").path("event_type").path("enum").forEach(t -> types.add(t.asText()));
    assertEquals(new TreeSet<>(SPEC_TYPES), types);
    List<String> required = new ArrayList<>();
    schema.schema().path("required").forEach(k -> required.add(k.asText()));
    assertEquals(List.of("event_id", "event_type", "timestamp", "sequence_number", "source_component",
        "correlation_id", "workflow_id", "task_id", "provider_id", "severity", "payload", "metadata"), required);
    assertEquals(Json.MAPPER.valueToTree(List.of("debug", "info", "warning", "error")),
        schema.schema().path("properties").path("severity").path("enum"));
  }

  private static List<JsonNode> sampleEnvelopes() {
    List<JsonNode> all = new ArrayList<>();
    SampleEvents.all().values().forEach(e -> WorkflowEnvelopes.of(e).forEach(x -> all.add(Json.MAPPER.valueToTree(x))));
    SampleProviderEvents.all().values().forEach(e ->
        ProviderEnvelopes.of(e).forEach(x -> all.add(Json.MAPPER.valueToTree(x))));
    all.add(Json.MAPPER.valueToTree(ProviderEnvelopes.heartbeat("ollama-1", Instant.parse("2026-11-26T10:30:00.123Z"),
        "available", 2)));
    return all;
  }

  @Test
  void shouldAcceptEveryEnvelopeMadeFromEverySampleEvent() {
    List<JsonNode> envelopes = sampleEnvelopes();
    Set<String> seen = new TreeSet<>();
    for (JsonNode e : envelopes) {
      assertEquals(List.of(), schema.problems(e), e::toString);
      seen.add(e.path("event_type").asText());
    }
    assertTrue(seen.size() >= 25, "the samples cover most types: " + seen);
  }

  private ObjectNode valid() {
    return (ObjectNode) sampleEnvelopes().stream().filter(e -> e.path("event_type").asText().equals("task:completed"))
        .findFirst().orElseThrow().deepCopy();
  }

  private void assertRejected(Consumer<ObjectNode> damage, String expectedProblem) {
    ObjectNode e = valid();
    assertEquals(List.of(), schema.problems(e));
    damage.accept(e);
    List<String> problems = schema.problems(e);
    assertFalse(problems.isEmpty(), () -> "accepted " + e);
    assertTrue(problems.stream().anyMatch(p -> p.contains(expectedProblem)), () -> problems + " for " + e);
  }

  @ParameterizedTest
  @ValueSource(strings = {"event_id", "timestamp", "sequence_number", "payload", "metadata", "task_id"})
  void shouldRejectAnEnvelopeLackingAKey(String key) {
    assertRejected(e -> e.remove(key), "lacks '" + key + "'");
  }

  @Test
  void shouldRejectMalformedValues() {
    assertRejected(e -> e.put("extra", 1), "unexpected key 'extra'");
    assertRejected(e -> e.put("event_type", "task:exploded"), "is not one of");
    assertRejected(e -> e.put("severity", "fatal"), "is not one of");
    assertRejected(e -> e.put("timestamp", "2026-11-26T10:30:00Z"), "does not match");
    assertRejected(e -> e.put("timestamp", "2026-11-26T10:30:00.123+01:00"), "does not match");
    assertRejected(e -> e.put("event_id", "not-a-uuid"), "does not match");
    assertRejected(e -> e.putNull("sequence_number"), "$.sequence_number: expected \"integer\"");
    assertRejected(e -> e.put("sequence_number", 0), "< 1");
    assertRejected(e -> e.put("sequence_number", "3"), "$.sequence_number");
    assertRejected(e -> e.putNull("workflow_id"), "$.workflow_id");
    assertRejected(e -> e.putArray("payload"), "$.payload");
    assertRejected(e -> e.put("event_type", "provider:heartbeat"), "$.sequence_number: expected \"null\"");
  }
}
