package io.gleitzeit.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.workflow.WorkflowEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class WorkflowEnvelopesTest {

  static final List<String> KEYS = List.of("event_id", "event_type", "timestamp", "sequence_number",
      "source_component", "correlation_id", "workflow_id", "task_id", "provider_id", "severity", "payload", "metadata");

  static Stream<Arguments> samples() {
    return SampleEvents.all().entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void shouldYieldAsManyConsecutivelyNumberedEnvelopesAsTheEventDeclares(String name, WorkflowEvent event) {
    List<EventEnvelope> envelopes = WorkflowEnvelopes.of(event);
    assertEquals(event.envelopeCount(), envelopes.size());
    for (int i = 0; i < envelopes.size(); i++) {
      assertEquals(event.firstSequence() + i, envelopes.get(i).sequenceNumber());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void shouldRenderAllTwelveKeysWithMillisecondUtcTimestamps(String name, WorkflowEvent event) {
    for (EventEnvelope envelope : WorkflowEnvelopes.of(event)) {
      JsonNode json = Json.MAPPER.valueToTree(envelope);
      List<String> keys = new ArrayList<>();
      json.fieldNames().forEachRemaining(keys::add);
      assertEquals(KEYS, keys);
      assertEquals("2026-11-26T10:30:00.123Z", json.get("timestamp").asText());
      assertEquals("wf-1", json.get("correlation_id").asText());
      assertTrue(Set.of("debug", "info", "warning", "error").contains(json.get("severity").asText()));
      assertTrue(json.get("event_type").asText().matches("(workflow|task|dependency|assignment|parameters|dead_letter):[a-z_]+"),
          json.get("event_type").asText());
      assertTrue(json.get("payload").isObject());
      assertTrue(json.get("metadata").isObject());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void shouldGiveTheSameEventTheSameIdsOnEveryRead(String name, WorkflowEvent event) {
    List<String> first = WorkflowEnvelopes.of(event).stream().map(EventEnvelope::eventId).toList();
    List<String> second = WorkflowEnvelopes.of(event).stream().map(EventEnvelope::eventId).toList();
    assertEquals(first, second);
    assertEquals(first.size(), new HashSet<>(first).size());
  }

  @Test
  void shouldGiveDifferentWorkflowsDifferentIdsForTheSameSequence() {
    Instant at = Instant.parse("2026-11-26T10:30:00.123Z");
    assertNotEquals(WorkflowEnvelopes.eventId("wf-1", 1, at), WorkflowEnvelopes.eventId("wf-2", 1, at));
  }

  @Test
  void shouldMapASubmissionToTheWorkflowAndTaskEventsInOrder() {
    List<String> types = WorkflowEnvelopes.of(SampleEvents.all().get("WorkflowSubmitted-v1")).stream()
        .map(EventEnvelope::eventType).toList();
    assertEquals(List.of("workflow:submitted", "workflow:state_changed", "task:created", "task:created", "task:ready",
        "assignment:requested"), types);
  }

  /** The retry policy a task got is said where it is created (round 14: it could only be guessed from delays). */
  @Test
  void shouldSayTheRetryPolicyEachTaskGotWhereItIsCreated() {
    List<EventEnvelope> envelopes = WorkflowEnvelopes.of(SampleEvents.all().get("WorkflowSubmitted-v1"));
    assertEquals("{\"max_attempts\":3,\"backoff\":\"exponential\",\"base_delay_ms\":1000,\"max_delay_ms\":60000,"
        + "\"jitter\":true}", io.gleitzeit.domain.Json.compact(envelopes.get(2).payload().get("retry")));
    assertTrue(envelopes.get(0).payload().has("schedule_to_start_timeout_ms"));
  }

  /** Every task:failed has duration_ms; null for an attempt that never reached its provider (round 15). */
  @Test
  void shouldGiveTheFailureOfAResolutionANullDuration() {
    EventEnvelope failed = WorkflowEnvelopes.of(SampleEvents.all().get("TaskResolutionFailed-v1")).stream()
        .filter(e -> e.eventType().equals("task:failed")).findFirst().orElseThrow();
    assertTrue(failed.payload().has("duration_ms") && failed.payload().get("duration_ms").isNull(),
        failed.payload()::toString);
  }

  @Test
  void shouldMapADispatchToApprovalAssignmentAndResolvedParameters() {
    List<EventEnvelope> envelopes = WorkflowEnvelopes.of(SampleEvents.all().get("TaskAssigned-v1"));
    assertEquals(List.of("assignment:candidate_found", "assignment:approved", "task:assigned",
            "parameters:resolve_requested", "parameters:resolved", "assignment:executed"),
        envelopes.stream().map(EventEnvelope::eventType).toList());
    JsonNode substitution = envelopes.get(4).payload().get("substitutions").get(0);
    assertEquals("$.v", substitution.get("path").asText());
    assertEquals("${a.result.x}", substitution.get("placeholder").asText());
    assertEquals(1, substitution.get("value").asInt());
    assertEquals("test-1", envelopes.get(2).providerId());
  }

  /** SPEC §4: provider_id where it applies: a task cancelled while it had an attempt on a provider names it. */
  @Test
  void shouldNameTheProviderOfACancelledTaskThatHadAnAttemptOnOne() {
    List<EventEnvelope> cancelled = WorkflowEnvelopes.of(SampleEvents.all().get("WorkflowCancelledOnAProvider-v2"))
        .stream().filter(e -> e.eventType().equals("task:cancelled")).toList();
    assertEquals(List.of("a", "b"), cancelled.stream().map(EventEnvelope::taskId).toList());
    assertEquals("test-1", cancelled.get(0).providerId());
    assertEquals(null, cancelled.get(1).providerId(), "b had no attempt");

    List<EventEnvelope> stopped = WorkflowEnvelopes.of(SampleEvents.all().get("TaskFailedFinalCancellingOnAProvider-v4"))
        .stream().filter(e -> e.eventType().equals("task:cancelled")).toList();
    assertEquals("test-2", stopped.get(0).providerId());
    assertEquals(null, WorkflowEnvelopes.of(SampleEvents.all().get("WorkflowCancelled-v1")).get(0).providerId(),
        "an event written before providers were named reads as none");
  }

  @Test
  void shouldMarkARetriedFailureAsWarningAndAFinalOneAsError() {
    List<EventEnvelope> retried = WorkflowEnvelopes.of(SampleEvents.all().get("TaskFailed-v1"));
    assertEquals(List.of("task:started", "task:failed", "task:retry_scheduled"),
        retried.stream().map(EventEnvelope::eventType).toList());
    assertEquals("warning", retried.get(1).severity());
    assertTrue(retried.get(1).payload().get("will_retry").asBoolean());
    assertEquals(2, retried.get(2).payload().get("next_attempt").asInt());

    List<EventEnvelope> last = WorkflowEnvelopes.of(SampleEvents.all().get("TaskFailedFinal-v1"));
    assertEquals(List.of("task:failed", "dead_letter:added", "task:cancelled", "workflow:state_changed",
        "workflow:failed"), last.stream().map(EventEnvelope::eventType).toList());
    assertEquals("error", last.get(0).severity());
    assertEquals("error", last.get(1).severity());
    assertEquals(WorkflowEnvelopes.deadLetterId("wf-1", "a", 3), last.get(1).payload().get("dead_letter_id").asText());
    assertEquals("error", last.get(4).severity());
  }

  @Test
  void shouldStampAStartReportedWithItsOutcomeWithTheTimeTheAttemptBegan() {
    java.time.Instant began = java.time.Instant.parse("2026-11-26T10:29:59.900Z");
    java.time.Instant ended = java.time.Instant.parse("2026-11-26T10:30:00.123Z");
    WorkflowEvent completed = new WorkflowEvent.TaskCompleted("wf-1", "a", 1, "test-1",
        Json.MAPPER.createObjectNode(), true, 223, List.of(), io.gleitzeit.workflow.Consequences.NONE, ended, 14,
        began);
    List<EventEnvelope> envelopes = WorkflowEnvelopes.of(completed);
    assertEquals(List.of("task:started", "task:completed"), envelopes.stream().map(EventEnvelope::eventType).toList());
    assertEquals("2026-11-26T10:29:59.900Z", envelopes.get(0).timestamp());
    assertEquals("2026-11-26T10:30:00.123Z", envelopes.get(1).timestamp());
    assertEquals(began, completed.firstAt(), "state?at_time= applies it from its first envelope");
  }
}
