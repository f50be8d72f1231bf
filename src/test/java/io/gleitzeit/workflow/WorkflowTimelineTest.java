package io.gleitzeit.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.gleitzeit.domain.DefinitionParser;
import io.gleitzeit.domain.Json;
import io.gleitzeit.domain.ParseResult;
import io.gleitzeit.domain.SourceFormat;
import io.gleitzeit.domain.WorkflowDefinition;
import io.gleitzeit.domain.WorkflowStatus;
import io.gleitzeit.workflow.WorkflowEvent.ReportRejected;
import io.gleitzeit.workflow.WorkflowEvent.TaskAssigned;
import io.gleitzeit.workflow.WorkflowEvent.TaskCompleted;
import io.gleitzeit.workflow.WorkflowEvent.TaskFailed;
import io.gleitzeit.workflow.WorkflowEvent.TaskReassigned;
import io.gleitzeit.workflow.WorkflowEvent.TaskRetryReady;
import io.gleitzeit.workflow.WorkflowEvent.TaskStarted;
import io.gleitzeit.workflow.WorkflowEvent.WorkflowCancelled;
import io.gleitzeit.workflow.WorkflowEvent.WorkflowSubmitted;
import io.gleitzeit.workflow.WorkflowTimeline.Attempt;
import io.gleitzeit.workflow.WorkflowTimeline.Outcome;
import io.gleitzeit.workflow.WorkflowTimeline.Timeline;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The timeline fold over journal events: attempts, their times, providers, outcomes and durations. */
class WorkflowTimelineTest {

  private static final Instant T0 = Instant.parse("2026-11-26T10:00:00.000Z");

  private static Instant at(long ms) {
    return T0.plusMillis(ms);
  }

  private static WorkflowDefinition definition(String tasksJson) {
    String json = "{\"id\": \"wf-1\", \"name\": \"t\", \"tasks\": [" + tasksJson + "]}";
    ParseResult r = new DefinitionParser().parse(json.getBytes(StandardCharsets.UTF_8), SourceFormat.JSON);
    return ((ParseResult.Valid) r).definition();
  }

  /** Numbers events consecutively like the entity does. */
  private static final class Journal {
    final List<WorkflowEvent> events = new ArrayList<>();
    long next = 1;

    long seq() {
      return next;
    }

    void add(WorkflowEvent e) {
      events.add(e);
      next = e.lastSequence() + 1;
    }
  }

  @Test
  void shouldRecordEveryAttemptOfARetriedTaskAndTheChainAfterIt() {
    WorkflowDefinition d = definition("{\"id\": \"a\", \"method\": \"test/flaky\", \"retry\": {\"max_attempts\": 3}},"
        + "{\"id\": \"b\", \"method\": \"test/echo\", \"dependencies\": [\"a\"]}");
    Journal j = new Journal();
    j.add(new WorkflowSubmitted("wf-1", d, List.of("a"), List.of("a"), at(0), j.seq()));
    j.add(new TaskAssigned("wf-1", "a", 1, "p1", Json.MAPPER.createObjectNode(), List.of(), at(10), j.seq()));
    j.add(new TaskStarted("wf-1", "a", 1, "p1", at(15), j.seq()));
    j.add(new TaskFailed("wf-1", "a", 1, "p1", TaskError.ofProvider("flaky", true), false, 25,
        new RetryPlan(2, 100, at(140)), Consequences.NONE, at(40), j.seq()));
    j.add(new TaskRetryReady("wf-1", "a", 2, true, at(140), j.seq()));
    j.add(new TaskAssigned("wf-1", "a", 2, "p2", Json.MAPPER.createObjectNode(), List.of(), at(150), j.seq()));
    // The outcome arrived before the start report: the completion records the start too.
    j.add(new TaskCompleted("wf-1", "a", 2, "p2", Json.MAPPER.createObjectNode(), true, 0, List.of("b"),
        new Consequences(List.of("b"), List.of("b"), List.of(), List.of(), null), at(170), j.seq()));
    j.add(new ReportRejected("wf-1", "a", 1, "p1", "attempt 1 is no longer current", at(171), j.seq()));
    j.add(new TaskAssigned("wf-1", "b", 1, "p1", Json.MAPPER.createObjectNode(), List.of(), at(180), j.seq()));
    j.add(new TaskStarted("wf-1", "b", 1, "p1", at(200), j.seq()));
    j.add(new TaskCompleted("wf-1", "b", 1, "p1", Json.MAPPER.createObjectNode(), false, 50, List.of(),
        new Consequences(List.of(), List.of(), List.of(), List.of(), WorkflowStatus.COMPLETED), at(250), j.seq()));

    Timeline t = WorkflowTimeline.of(j.events);

    assertEquals("completed", t.status());
    assertEquals(at(0), t.submittedAt());
    assertEquals(at(250), t.completedAt());
    var a = t.tasks().get(0);
    assertEquals("a", a.id());
    assertEquals("test/flaky", a.method());
    assertEquals("completed", a.state());
    assertEquals(List.of(
        new Attempt(1, "p1", at(0), at(10), at(15), at(40), Outcome.FAILED, "flaky", 1),
        new Attempt(2, "p2", at(140), at(150), at(170), at(170), Outcome.COMPLETED, null, 0)), a.attempts());
    assertEquals(15L, a.attempts().get(0).waitMs());
    assertEquals(25L, a.attempts().get(0).runMs());
    assertEquals(30L, a.attempts().get(1).waitMs());
    assertEquals(0L, a.attempts().get(1).runMs());
    var b = t.tasks().get(1);
    assertEquals(List.of(new Attempt(1, "p1", at(170), at(180), at(200), at(250), Outcome.COMPLETED, null, 0)),
        b.attempts());
    assertEquals(30L, b.attempts().get(0).waitMs());
    assertEquals(50L, b.attempts().get(0).runMs());
  }

  @Test
  void shouldEndAReassignedAttemptAndATimedOutOneAndCancelWhatIsOpen() {
    WorkflowDefinition d = definition("{\"id\": \"a\", \"method\": \"test/sleep\", \"retry\": {\"max_attempts\": 3}},"
        + "{\"id\": \"b\", \"method\": \"test/echo\", \"dependencies\": [\"a\"]}");
    Journal j = new Journal();
    j.add(new WorkflowSubmitted("wf-1", d, List.of("a"), List.of("a"), at(0), j.seq()));
    j.add(new TaskAssigned("wf-1", "a", 1, "p1", Json.MAPPER.createObjectNode(), List.of(), at(5), j.seq()));
    j.add(new TaskStarted("wf-1", "a", 1, "p1", at(6), j.seq()));
    j.add(new TaskReassigned("wf-1", "a", 1, 2, "p1", "provider p1 is unhealthy", true, at(100), j.seq()));
    j.add(new TaskAssigned("wf-1", "a", 2, "p2", Json.MAPPER.createObjectNode(), List.of(), at(110), j.seq()));
    // A timeout decided by the workflow implies no start (WorkflowDecisions.fail): attempt 2 never said it began.
    j.add(new TaskFailed("wf-1", "a", 2, "p2", new TaskError("timed out after 1s", true, TaskError.TIMEOUT), false,
        1000, new RetryPlan(3, 10, at(1120)), Consequences.NONE, at(1110), j.seq()));
    j.add(new TaskRetryReady("wf-1", "a", 3, true, at(1120), j.seq()));
    j.add(new WorkflowCancelled("wf-1", List.of("a", "b"), "by hand", at(1200), j.seq()));

    Timeline t = WorkflowTimeline.of(j.events);

    assertEquals("cancelled", t.status());
    var a = t.tasks().get(0);
    assertEquals("cancelled", a.state());
    assertEquals(List.of(
        new Attempt(1, "p1", at(0), at(5), at(6), at(100), Outcome.REASSIGNED, "provider p1 is unhealthy", 0),
        new Attempt(2, "p2", at(100), at(110), null, at(1110), Outcome.TIMED_OUT, "timed out after 1s", 0),
        new Attempt(3, null, at(1120), null, null, at(1200), Outcome.CANCELLED, null, 0)), a.attempts());
    assertNull(a.attempts().get(1).runMs(), "timed out before it began: no run time (round 18: it was 0)");
    assertNull(a.attempts().get(2).waitMs(), "never started: no wait time");
    assertNull(a.attempts().get(2).runMs());
    var b = t.tasks().get(1);
    assertEquals("cancelled", b.state());
    assertEquals(List.of(), b.attempts(), "a task that never became ready has no attempt");
  }

  @Test
  void shouldBeNullWithoutASubmission() {
    assertNull(WorkflowTimeline.of(List.of()));
  }
}
