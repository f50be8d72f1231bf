package io.gleitzeit.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.provider.ProviderEvent;
import io.gleitzeit.provider.ProviderStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Provider events as the envelopes of a provider's stream (SPEC §4): types, severities, numbering, ids, keys. */
class ProviderEnvelopesTest {

  /** Each sample's envelopes as (type, severity) pairs, in order. */
  private static final Map<String, List<List<String>>> EXPECTED = Map.ofEntries(
      Map.entry("ProviderRegistered-v1", List.of(List.of("provider:registered", "info"),
          List.of("provider:available", "info"))),
      Map.entry("ProviderRegisteredUpdate-v1", List.of(List.of("provider:registered", "info"))),
      Map.entry("TaskAcquired-v1", List.of()),
      Map.entry("TaskAcquiredBusy-v1", List.of(List.of("provider:busy", "warning"))),
      Map.entry("TaskReleasedAvailable-v1", List.of(List.of("provider:available", "info"))),
      Map.entry("TaskReleased-v1", List.of()),
      Map.entry("ProviderMarkedUnhealthy-v1", List.of(List.of("provider:unhealthy", "error"))),
      Map.entry("ProviderRecovered-v1", List.of(List.of("provider:recovered", "info"),
          List.of("provider:available", "info"))),
      Map.entry("ProviderDeregistered-v1", List.of(List.of("provider:deregistered", "info"))),
      Map.entry("ReportUndeliverable-v1", List.of(List.of("dead_letter:added", "error"))),
      Map.entry("SlotsChanged-v1", List.of(List.of("provider:available", "info"),
          List.of("provider:busy", "warning"))),
      Map.entry("ProviderRegisteredUpdateTurnedBusy-v2", List.of(List.of("provider:registered", "info"),
          List.of("provider:busy", "warning"))));

  static Stream<Arguments> samples() {
    return SampleProviderEvents.all().entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
  }

  @Test
  void shouldCoverEverySampleAndEveryPersistedEventClass() {
    assertEquals(EXPECTED.keySet(), SampleProviderEvents.all().keySet());
    Set<Class<?>> sampled = new HashSet<>();
    SampleProviderEvents.all().values().forEach(e -> sampled.add(e.getClass()));
    assertEquals(Set.of(ProviderEvent.class.getPermittedSubclasses()), sampled);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void shouldYieldTheDeclaredEnvelopesWithTheirTypesAndSeverities(String name, ProviderEvent event) {
    List<EventEnvelope> envelopes = ProviderEnvelopes.of(event);
    assertEquals(event.envelopeCount(), envelopes.size());
    List<List<String>> typesAndSeverities = envelopes.stream()
        .map(e -> List.of(e.eventType(), e.severity())).toList();
    assertEquals(EXPECTED.get(name), typesAndSeverities);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void shouldNumberEnvelopesConsecutivelyFromTheEventsFirstSequence(String name, ProviderEvent event) {
    List<EventEnvelope> envelopes = ProviderEnvelopes.of(event);
    for (int i = 0; i < envelopes.size(); i++) {
      assertEquals(event.firstSequence() + i, envelopes.get(i).sequenceNumber());
    }
    if (!envelopes.isEmpty()) {
      assertEquals(event.lastSequence(), envelopes.get(envelopes.size() - 1).sequenceNumber());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void shouldRenderAllTwelveKeysWithTheProviderAsCorrelation(String name, ProviderEvent event) {
    for (EventEnvelope envelope : ProviderEnvelopes.of(event)) {
      JsonNode json = Json.MAPPER.valueToTree(envelope);
      List<String> keys = new ArrayList<>();
      json.fieldNames().forEachRemaining(keys::add);
      assertEquals(WorkflowEnvelopesTest.KEYS, keys);
      assertEquals("2026-11-26T10:30:00.123Z", json.get("timestamp").asText());
      assertEquals(SampleProviderEvents.PROVIDER, json.get("correlation_id").asText());
      assertEquals(SampleProviderEvents.PROVIDER, json.get("provider_id").asText());
      if (event instanceof ProviderEvent.ReportUndeliverable undeliverable) {
        // A report dead letter names the attempt's workflow and task, so that the dead letter queue lists it.
        assertEquals(undeliverable.key().workflowId(), json.get("workflow_id").asText());
        assertEquals(undeliverable.key().taskId(), json.get("task_id").asText());
      } else {
        assertTrue(json.get("workflow_id").isNull());
        assertTrue(json.get("task_id").isNull());
      }
      assertEquals("provider_supervisor", json.get("source_component").asText());
      assertTrue(json.get("payload").isObject());
      assertTrue(json.get("metadata").isObject());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void shouldGiveTheSameEventTheSameIdsOnEveryRead(String name, ProviderEvent event) {
    List<String> first = ProviderEnvelopes.of(event).stream().map(EventEnvelope::eventId).toList();
    List<String> second = ProviderEnvelopes.of(event).stream().map(EventEnvelope::eventId).toList();
    assertEquals(first, second);
    assertEquals(first.size(), new HashSet<>(first).size());
    for (int i = 0; i < first.size(); i++) {
      assertEquals(ProviderEnvelopes.eventId(event.providerId(), event.firstSequence() + i, event.at()),
          first.get(i));
    }
  }

  @Test
  void shouldNeverGiveTwoEnvelopesOfAStreamTheSameIdOrSequence() {
    List<EventEnvelope> all = SampleProviderEvents.all().values().stream()
        .flatMap(e -> ProviderEnvelopes.of(e).stream()).toList();
    // The samples continue one stream, so their envelopes number 1..n with no gap and no repeat.
    List<Long> sequences = all.stream().map(EventEnvelope::sequenceNumber).toList();
    assertEquals(Stream.iterate(1L, n -> n + 1).limit(all.size()).toList(), sequences);
    assertEquals(all.size(), all.stream().map(EventEnvelope::eventId).distinct().count());
  }

  @Test
  void shouldKeepProviderIdsApartFromOtherProvidersAndFromWorkflows() {
    Instant at = Instant.parse("2026-11-26T10:30:00.123Z");
    assertNotEquals(ProviderEnvelopes.eventId("p-1", 1, at), ProviderEnvelopes.eventId("p-2", 1, at));
    assertNotEquals(ProviderEnvelopes.eventId("p-1", 1, at), ProviderEnvelopes.eventId("p-1", 2, at));
    assertNotEquals(ProviderEnvelopes.eventId("x", 1, at), WorkflowEnvelopes.eventId("x", 1, at));
  }

  @Test
  void shouldDescribeTheRegistrationAndTheHandedBackAttemptsInThePayload() {
    Map<String, ProviderEvent> samples = SampleProviderEvents.all();
    JsonNode registered = ProviderEnvelopes.of(samples.get("ProviderRegistered-v1")).get(0).payload();
    assertEquals("external", registered.get("type").asText());
    assertEquals(2, registered.get("max_concurrency").asInt());
    assertEquals(Json.MAPPER.valueToTree(List.of("llm/generate", "mcp/tool.*")), registered.get("methods"));
    assertEquals("a100", registered.get("labels").get("gpu").asText());
    assertEquals(false, registered.get("update").asBoolean());
    assertEquals(true, ProviderEnvelopes.of(samples.get("ProviderRegisteredUpdate-v1")).get(0).payload()
        .get("update").asBoolean());

    JsonNode unhealthy = ProviderEnvelopes.of(samples.get("ProviderMarkedUnhealthy-v1")).get(0).payload();
    assertEquals(3, unhealthy.get("missed_heartbeats").asInt());
    assertEquals(Json.MAPPER.createArrayNode()
            .add(Json.MAPPER.createObjectNode().put("workflow_id", "wf-1").put("task_id", "analyze").put("attempt", 1))
            .add(Json.MAPPER.createObjectNode().put("workflow_id", "wf-2").put("task_id", "summarize")
                .put("attempt", 3)),
        unhealthy.get("handed_back"));
    JsonNode deregistered = ProviderEnvelopes.of(samples.get("ProviderDeregistered-v1")).get(0).payload();
    assertEquals(1, deregistered.get("handed_back").size());

    JsonNode busy = ProviderEnvelopes.of(samples.get("TaskAcquiredBusy-v1")).get(0).payload();
    assertEquals("wf-2", busy.get("workflow_id").asText());
    assertEquals("summarize", busy.get("task_id").asText());
    assertEquals(3, busy.get("attempt").asInt());
    assertEquals("succeeded", ProviderEnvelopes.of(samples.get("TaskReleasedAvailable-v1")).get(0).payload()
        .get("outcome").asText());
  }

  @Test
  void shouldRecordAnUndeliverableReportAsADeadLetterOfItsAttempt() {
    ProviderEvent.ReportUndeliverable event =
        (ProviderEvent.ReportUndeliverable) SampleProviderEvents.all().get("ReportUndeliverable-v1");
    EventEnvelope envelope = ProviderEnvelopes.of(event).get(0);

    assertEquals("dead_letter:added", envelope.eventType());
    assertEquals(10, envelope.sequenceNumber());
    assertEquals("wf-2", envelope.workflowId());
    assertEquals("summarize", envelope.taskId());
    assertEquals(SampleProviderEvents.PROVIDER, envelope.correlationId(), "it lies in the provider's stream");
    JsonNode payload = envelope.payload();
    assertEquals(ProviderEnvelopes.deadLetterId(SampleProviderEvents.PROVIDER, 10), payload.get("dead_letter_id").asText());
    assertEquals("report", payload.get("kind").asText());
    assertEquals(3, payload.get("attempt").asInt());
    assertEquals(event.reason(), payload.get("reason").asText());
    assertEquals("report_undeliverable", payload.get("error_type").asText());
    assertNotEquals(ProviderEnvelopes.deadLetterId(SampleProviderEvents.PROVIDER, 10),
        ProviderEnvelopes.deadLetterId(SampleProviderEvents.PROVIDER, 11), "every report dead letter has its own id");
    assertNotEquals(ProviderEnvelopes.deadLetterId("wf-2", 10), WorkflowEnvelopes.deadLetterId("wf-2", "summarize", 3));
  }

  @Test
  void shouldMakeHeartbeatsLiveOnlyWithoutASequenceNumber() {
    Instant at = Instant.parse("2026-11-26T10:30:00.123456Z");
    EventEnvelope first = ProviderEnvelopes.heartbeat("p-1", at, ProviderStatus.BUSY, 4);
    EventEnvelope second = ProviderEnvelopes.heartbeat("p-1", at, ProviderStatus.BUSY, 4);

    assertEquals("provider:heartbeat", first.eventType());
    assertNull(first.sequenceNumber());
    assertEquals("debug", first.severity());
    assertEquals("2026-11-26T10:30:00.123Z", first.timestamp());
    assertEquals("p-1", first.correlationId());
    assertEquals("p-1", first.providerId());
    assertEquals("busy", first.payload().get("status").asText());
    assertEquals(4, first.payload().get("load").asInt());
    assertNotEquals(first.eventId(), second.eventId(), "every heartbeat is a new live event");
    JsonNode json = Json.MAPPER.valueToTree(first);
    List<String> keys = new ArrayList<>();
    json.fieldNames().forEachRemaining(keys::add);
    assertEquals(WorkflowEnvelopesTest.KEYS, keys);
    assertTrue(json.get("sequence_number").isNull());
  }
}
