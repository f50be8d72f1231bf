package io.gleitzeit.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.node.IntNode;
import io.gleitzeit.domain.DefinitionParser;
import io.gleitzeit.domain.ParameterResolver;
import io.gleitzeit.domain.ParseResult;
import io.gleitzeit.domain.SourceFormat;
import io.gleitzeit.events.EventEnvelope;
import io.gleitzeit.events.WorkflowEnvelopes;
import io.gleitzeit.workflow.WorkflowEvent.TaskCompleted;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** A task's fields describe its latest attempt (SPEC §4); what a workflow's end says about why it failed. */
class AttemptFieldsDecisionsTest {

  private static final Instant T0 = Instant.parse("2026-11-26T10:00:00.000Z");

  private final WorkflowDecisions decisions = new WorkflowDecisions(new ParameterResolver(1024), 10, () -> 0.5);

  private WorkflowState submitted(String json) {
    ParseResult parsed = new DefinitionParser().parse(json.replace('\'', '"').getBytes(StandardCharsets.UTF_8),
        SourceFormat.JSON);
    WorkflowState state = WorkflowState.empty();
    state.apply(decisions.submit(((ParseResult.Valid) parsed).definition(), T0));
    return state;
  }

  @Test
  void shouldMeasureAnImpliedStartsDurationFromTheStartItRecords() {
    WorkflowState state = submitted("{'id': 'wf-1', 'tasks': [{'id': 'a', 'method': 'test/echo'}]}");
    state.apply(decisions.assign(state, "a", "test-1", T0));

    TaskCompleted reported = decisions.complete(state, "a", IntNode.valueOf(1), T0.plusMillis(20), T0.plusMillis(15));
    assertEquals(T0.plusMillis(15), reported.impliedStartAt());
    assertEquals(5, reported.durationMs(), "completed_at - started_at, not from the assignment");

    // An external worker that answers without task:started or a time: from the dispatch (it was 0, round 17).
    TaskCompleted unreported = decisions.complete(state, "a", IntNode.valueOf(1), T0.plusMillis(20), null);
    assertEquals(T0, unreported.impliedStartAt());
    assertEquals(20, unreported.durationMs());
  }

  /**
   * SPEC §7's k is the failed attempt's number: after attempt 1 was lost with its provider, a failed attempt 2
   * waits base × 2 (round 18: k counted failures, so it waited base, as after attempt 1).
   */
  @Test
  void shouldBackOffByTheFailedAttemptsNumberAlsoAfterAReassignment() {
    WorkflowState state = submitted("{'id': 'wf-1', 'tasks': [{'id': 'a', 'method': 'test/flaky',"
        + " 'retry': {'max_attempts': 3, 'backoff': 'exponential', 'base_delay': 1, 'jitter': false}}]}");
    state.apply(decisions.assign(state, "a", "test-1", T0));
    state.apply(decisions.reassign(state, "a", "provider test-1 missed 3 heartbeats", T0.plusSeconds(1)));
    state.apply(decisions.assign(state, "a", "test-2", T0.plusSeconds(2)));

    var failed = decisions.fail(state, "a", TaskError.ofProvider("flaky", true), T0.plusSeconds(3));

    assertEquals(new RetryPlan(3, 2_000, T0.plusSeconds(5)), failed.retry(), "after failed attempt 2: 1 s × 2^1");
  }

  @Test
  void shouldNotShowTheFailedAttemptsErrorOnTheNextAttempt() {
    WorkflowState state = submitted("{'id': 'wf-1', 'tasks': [{'id': 'a', 'method': 'test/flaky',"
        + " 'retry': {'max_attempts': 2, 'backoff': 'fixed', 'base_delay': 1, 'jitter': false}}]}");
    state.apply(decisions.assign(state, "a", "test-1", T0));
    state.apply(decisions.fail(state, "a", TaskError.ofProvider("first", true), T0.plusMillis(5)));
    assertNotNull(state.task("a").error, "while the retry is scheduled, the error is the latest attempt's");

    state.apply(decisions.retryReady(state, "a", T0.plusSeconds(1)));
    assertEquals(2, state.task("a").attempt);
    assertNull(state.task("a").error);
  }

  @Test
  void shouldNotNameACompletedTaskAsTheReasonAWorkflowFailed() {
    WorkflowState state = submitted("{'id': 'wf-1', 'error_strategy': 'continue', 'tasks': ["
        + "{'id': 'x', 'method': 'test/fail'}, {'id': 'y', 'method': 'test/echo'}]}");
    state.apply(decisions.assign(state, "x", "test-1", T0));
    state.apply(decisions.assign(state, "y", "test-1", T0));
    state.apply(decisions.fail(state, "x", TaskError.ofProvider("no", false), T0.plusMillis(1)));

    TaskCompleted last = decisions.complete(state, "y", IntNode.valueOf(1), T0.plusMillis(2));
    EventEnvelope failed = WorkflowEnvelopes.of(last).stream()
        .filter(e -> e.eventType().equals("workflow:failed")).findFirst().orElseThrow();
    assertEquals("a task failed earlier", failed.payload().path("reason").asText());
  }
}
