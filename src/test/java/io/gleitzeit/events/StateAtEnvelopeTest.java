package io.gleitzeit.events;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gleitzeit.domain.DefinitionParser;
import io.gleitzeit.domain.ParameterResolver;
import io.gleitzeit.domain.ParseResult;
import io.gleitzeit.domain.SourceFormat;
import io.gleitzeit.workflow.TaskError;
import io.gleitzeit.workflow.WorkflowDecisions;
import io.gleitzeit.workflow.WorkflowEvent;
import io.gleitzeit.workflow.WorkflowState;
import io.gleitzeit.workflow.WorkflowView;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * {@code state?at_sequence=N} within the journal event of a manual retry, a failure that is retried, a dispatch and a
 * reassignment.
 */
class StateAtEnvelopeTest {

  private static final Instant T0 = Instant.parse("2026-11-27T10:00:00.000Z");

  private final WorkflowDecisions decisions = new WorkflowDecisions(new ParameterResolver(1024), 10, () -> 0.5);
  private final WorkflowState state = WorkflowState.empty();
  private final List<WorkflowEvent> events = new ArrayList<>();

  private WorkflowEvent apply(Function<WorkflowState, WorkflowEvent> decision) {
    WorkflowEvent event = decision.apply(state);
    state.apply(event);
    events.add(event);
    return event;
  }

  /** Submits {@code json}, a definition that must be valid. */
  private void submit(String json) {
    ParseResult parsed = new DefinitionParser().parse(json.getBytes(StandardCharsets.UTF_8), SourceFormat.JSON);
    apply(s -> decisions.submit(((ParseResult.Valid) parsed).definition(), T0));
  }

  private static String stateOf(WorkflowView view, String taskId) {
    return view.tasks().stream().filter(t -> t.id().equals(taskId)).findFirst().orElseThrow().state();
  }

  @Test
  void aTaskAManualRetryReopensAsPendingIsShownAsItWasUntilTheEnvelopeThatSaysSo() {
    submit("{\"id\": \"wf\", \"tasks\": [{\"id\": \"a\", \"method\": "
        + "\"test/fail\", \"retry\": {\"max_attempts\": 1}}, {\"id\": \"b\", \"method\": \"test/echo\", "
        + "\"dependencies\": [\"a\"]}]}");
    apply(s -> decisions.assign(s, "a", "test-1", T0));
    apply(s -> decisions.fail(s, "a", TaskError.ofProvider("boom", false), T0));
    assertEquals("cancelled", state.task("b").state.wire(), "stop: the failure cancelled b");
    WorkflowEvent retried = apply(s -> decisions.retryByHand(s, "a", null, T0));

    List<EventEnvelope> envelopes = WorkflowEnvelopes.of(retried);
    long reopening = envelopes.stream().filter(e -> e.eventType().equals("task:ready") && "a".equals(e.taskId()))
        .findFirst().orElseThrow().sequenceNumber();
    WorkflowView justBefore = StateAtEnvelope.of(events, reopening - 1);
    assertEquals("workflow:state_changed", envelopes.get(0).eventType());
    assertEquals("running", justBefore.status(), "the status change is envelope " + (reopening - 1));
    assertEquals("failed", stateOf(justBefore, "a"));
    assertEquals("cancelled", stateOf(justBefore, "b"), "b is reopened by a's task:ready, not before");

    WorkflowView at = StateAtEnvelope.of(events, reopening);
    assertEquals("ready", stateOf(at, "a"));
    assertEquals("pending", stateOf(at, "b"));
  }

  @Test
  void aRetriedTaskThatWaitsForADependencyItReopensIsPendingFromTheStatusChange() {
    submit("{\"id\": \"wf\", \"tasks\": [{\"id\": \"c\", \"method\": "
        + "\"test/sleep\"}, {\"id\": \"d\", \"method\": \"test/echo\", \"dependencies\": [\"c\"]}]}");
    apply(s -> decisions.assign(s, "c", "test-1", T0));
    apply(s -> decisions.cancel(s, "by hand", T0));
    WorkflowEvent retried = apply(s -> decisions.retryByHand(s, "d", null, T0));

    List<EventEnvelope> envelopes = WorkflowEnvelopes.of(retried);
    assertEquals(List.of("workflow:state_changed", "task:ready", "assignment:requested"),
        envelopes.stream().map(EventEnvelope::eventType).toList(), "no task:ready for d: it waits for c");
    assertEquals("c", envelopes.get(1).taskId());
    long changed = envelopes.get(0).sequenceNumber();
    assertEquals("cancelled", stateOf(StateAtEnvelope.of(events, changed - 1), "d"));
    WorkflowView at = StateAtEnvelope.of(events, changed);
    assertEquals("running", at.status());
    assertEquals("pending", stateOf(at, "d"));
    assertEquals("cancelled", stateOf(at, "c"), "c is reopened by its own task:ready");
    assertEquals("ready", stateOf(StateAtEnvelope.of(events, changed + 1), "c"));
  }

  @Test
  void aRetriedFailureShowsItsRetryTimeFromTheEnvelopeThatSaysIt() {
    submit("{\"id\": \"wf\", \"tasks\": [{\"id\": \"a\", \"method\": "
        + "\"test/flaky\", \"retry\": {\"max_attempts\": 3}}]}");
    apply(s -> decisions.assign(s, "a", "test-1", T0));
    WorkflowEvent failed = apply(s -> decisions.fail(s, "a", TaskError.ofProvider("flaky", true), T0));

    List<EventEnvelope> envelopes = WorkflowEnvelopes.of(failed);
    long failure = envelopes.stream().filter(e -> e.eventType().equals("task:failed")).findFirst().orElseThrow()
        .sequenceNumber();
    long scheduled = envelopes.stream().filter(e -> e.eventType().equals("task:retry_scheduled")).findFirst()
        .orElseThrow().sequenceNumber();
    assertEquals(failure + 1, scheduled);
    WorkflowView atFailure = StateAtEnvelope.of(events, failure);
    WorkflowView atSchedule = StateAtEnvelope.of(events, scheduled);
    assertEquals("retry_scheduled", stateOf(atFailure, "a"), "a failure that is retried is not final (SPEC §3)");
    assertEquals(null, task(atFailure, "a").retryAt(), "when: said by the next envelope");
    assertEquals("retry_scheduled", stateOf(atSchedule, "a"));
    assertEquals(state.task("a").retryAt, task(atSchedule, "a").retryAt());
  }

  /** Params are shown substituted from parameters:resolved on, not from task:assigned (black-box round 15). */
  @Test
  void aDispatchShowsTheSubstitutedParamsFromTheEnvelopeThatRecordsThem() {
    submit("{\"id\": \"wf\", \"tasks\": [{\"id\": \"a\", \"method\": "
        + "\"test/echo\"}, {\"id\": \"b\", \"method\": \"test/echo\", \"params\": {\"v\": \"${a.result.v}\"}, "
        + "\"dependencies\": [\"a\"]}]}");
    apply(s -> decisions.assign(s, "a", "test-1", T0));
    apply(s -> decisions.complete(s, "a", io.gleitzeit.domain.Json.MAPPER.createObjectNode().put("v", 7), T0));
    WorkflowEvent dispatched = apply(s -> decisions.assign(s, "b", "test-1", T0));

    List<EventEnvelope> envelopes = WorkflowEnvelopes.of(dispatched);
    long assigned = sequenceOf(envelopes, "task:assigned");
    long resolved = sequenceOf(envelopes, "parameters:resolved");
    WorkflowView.TaskView atAssigned = task(StateAtEnvelope.of(events, assigned), "b");
    assertEquals("assigned", atAssigned.state());
    assertEquals("${a.result.v}", atAssigned.params().path("v").asText(), "substituted only at " + resolved);
    assertEquals(7, task(StateAtEnvelope.of(events, resolved), "b").params().path("v").asInt());
  }

  /** At task:reassigned the lost attempt is over: the task is ready again, on its new attempt (round 15). */
  @Test
  void aReassignmentShowsTheNewAttemptReadyFromItsOwnEnvelope() {
    submit("{\"id\": \"wf\", \"tasks\": [{\"id\": \"a\", \"method\": \"test/echo\"}]}");
    apply(s -> decisions.assign(s, "a", "test-1", T0));
    WorkflowEvent reassigned = apply(s -> decisions.reassign(s, "a", "lost", T0));

    WorkflowView.TaskView at = task(StateAtEnvelope.of(events, sequenceOf(WorkflowEnvelopes.of(reassigned),
        "task:reassigned")), "a");
    assertEquals("ready", at.state());
    assertEquals(2, at.attempt());
    assertEquals(null, at.providerId());
  }

  private static long sequenceOf(List<EventEnvelope> envelopes, String type) {
    return envelopes.stream().filter(e -> e.eventType().equals(type)).findFirst().orElseThrow().sequenceNumber();
  }

  private static WorkflowView.TaskView task(WorkflowView view, String taskId) {
    return view.tasks().stream().filter(t -> t.id().equals(taskId)).findFirst().orElseThrow();
  }
}
