package io.gleitzeit.events;

import io.gleitzeit.domain.DefinitionParser;
import io.gleitzeit.domain.Json;
import io.gleitzeit.domain.ParseResult;
import io.gleitzeit.domain.SourceFormat;
import io.gleitzeit.domain.Substitution;
import io.gleitzeit.domain.WorkflowDefinition;
import io.gleitzeit.domain.WorkflowStatus;
import io.gleitzeit.workflow.Consequences;
import io.gleitzeit.workflow.RetryPlan;
import io.gleitzeit.workflow.TaskError;
import io.gleitzeit.workflow.WorkflowEvent;
import io.gleitzeit.workflow.WorkflowEvent.ReportRejected;
import io.gleitzeit.workflow.WorkflowEvent.TaskAssigned;
import io.gleitzeit.workflow.WorkflowEvent.TaskCompleted;
import io.gleitzeit.workflow.WorkflowEvent.TaskFailed;
import io.gleitzeit.workflow.WorkflowEvent.TaskReassigned;
import io.gleitzeit.workflow.WorkflowEvent.TaskResolutionFailed;
import io.gleitzeit.workflow.WorkflowEvent.TaskRetryReady;
import io.gleitzeit.workflow.WorkflowEvent.TaskStarted;
import io.gleitzeit.workflow.WorkflowEvent.WorkflowSubmitted;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One sample of every persisted workflow event, each version's golden file is made from. */
final class SampleEvents {

  static final Instant AT = Instant.parse("2026-11-26T10:30:00.123Z");

  private SampleEvents() {}

  static WorkflowDefinition definition() {
    String json = "{\"id\": \"wf-1\", \"name\": \"sample\", \"metadata\": {\"team\": \"data\"}, \"tasks\": ["
        + "{\"id\": \"a\", \"method\": \"test/echo\", \"params\": {\"x\": 1}, \"timeout\": 30},"
        + "{\"id\": \"b\", \"method\": \"test/echo\", \"params\": {\"v\": \"${a.result.x}\"}, \"dependencies\": [\"a\"],"
        + " \"retry\": {\"max_attempts\": 2, \"backoff\": \"linear\"}}]}";
    ParseResult result = new DefinitionParser().parse(json.getBytes(StandardCharsets.UTF_8), SourceFormat.JSON);
    return ((ParseResult.Valid) result).definition();
  }

  /** Keyed by the golden file's name: {@code <EventClass>-v1}. */
  static Map<String, WorkflowEvent> all() {
    Map<String, WorkflowEvent> events = new LinkedHashMap<>();
    events.put("WorkflowSubmitted-v1", new WorkflowSubmitted("wf-1", definition(), List.of("a"), List.of("a"), AT, 1));
    events.put("TaskAssigned-v1", new TaskAssigned("wf-1", "b", 1, "test-1",
        Json.MAPPER.createObjectNode().put("v", 1),
        List.of(new Substitution("$.v", "${a.result.x}", Json.MAPPER.getNodeFactory().numberNode(1), false)), AT, 20));
    events.put("TaskResolutionFailed-v1", new TaskResolutionFailed("wf-1", "b", 1, "test-1", "${a.result.y}", "$.v",
        "key 'y' not found", new Consequences(List.of(), List.of(), List.of(), List.of(), WorkflowStatus.FAILED),
        AT, 20));
    events.put("TaskStarted-v1", new TaskStarted("wf-1", "a", 1, "test-1", AT, 13));
    events.put("TaskCompleted-v1", new TaskCompleted("wf-1", "a", 1, "test-1", Json.MAPPER.createObjectNode()
        .put("x", 1), false, 12, List.of("b"),
        new Consequences(List.of("b"), List.of("b"), List.of(), List.of(), null), AT, 14));
    // v2: the outcome carries the attempt's start as the provider reported it (same instant here: every sample
    // envelope has the time AT; WorkflowEnvelopesTest checks a start before the outcome).
    events.put("TaskCompletedWithStart-v2", new TaskCompleted("wf-1", "a", 1, "test-1", Json.MAPPER.createObjectNode()
        .put("x", 1), true, 12, List.of("b"),
        new Consequences(List.of("b"), List.of("b"), List.of(), List.of(), null), AT, 14, AT));
    // v3: consequences name the attempt of a requested task that is not at its first (here a's retry, which
    // max_parallel held back until b completed).
    events.put("TaskCompletedRequestingARetry-v3", new TaskCompleted("wf-1", "b", 1, "test-1",
        Json.MAPPER.createObjectNode(), false, 12, List.of(),
        new Consequences(List.of(), List.of("a"), List.of(), List.of(), null, Map.of("a", 2)), AT, 14));
    events.put("TaskFailedWithStart-v2", new TaskFailed("wf-1", "a", 1, "test-1", TaskError.ofProvider("boom", true),
        true, 5L, new RetryPlan(2, 1000, AT.plusSeconds(1)), Consequences.NONE, AT, 13, AT));
    events.put("TaskFailed-v1", new TaskFailed("wf-1", "a", 1, "test-1", TaskError.ofProvider("boom", true), true, 5,
        new RetryPlan(2, 1000, AT.plusSeconds(1)), Consequences.NONE, AT, 13));
    events.put("TaskFailedFinal-v1", new TaskFailed("wf-1", "a", 3, "test-1", TaskError.ofProvider("boom", false),
        false, 5, null, new Consequences(List.of(), List.of(), List.of(), List.of("b"), WorkflowStatus.FAILED), AT, 30));
    events.put("TaskRetryReady-v1", new TaskRetryReady("wf-1", "a", 2, true, AT, 16));
    events.put("TaskReassigned-v1", new TaskReassigned("wf-1", "a", 1, 2, "test-1", "provider lost", true, AT, 14));
    events.put("WorkflowCancelled-v1", new WorkflowEvent.WorkflowCancelled("wf-1", List.of("a", "b"),
        "cancelled through the API", AT, 20));
    // v2: the cancelled task that had an attempt on a provider names it (task:cancelled's provider_id).
    events.put("WorkflowCancelledOnAProvider-v2", new WorkflowEvent.WorkflowCancelled("wf-1", List.of("a", "b"),
        Map.of("a", "test-1"), "cancelled through the API", AT, 20));
    // v4 of the consequences: the same for tasks a failure cancels under error_strategy stop.
    events.put("TaskFailedFinalCancellingOnAProvider-v4", new TaskFailed("wf-1", "a", 3, "test-1",
        TaskError.ofProvider("boom", false), false, 5, null, new Consequences(List.of(), List.of(), List.of(),
        List.of("b"), WorkflowStatus.FAILED, Map.of(), Map.of("b", "test-2")), AT, 30));
    events.put("TaskRetriedManually-v1", new WorkflowEvent.TaskRetriedManually("wf-1", "a", 2, false,
        List.of(new WorkflowEvent.TaskRetriedManually.Reopened("b", 1, false)), List.of("a"), true,
        "0b1f3c1e-0000-3000-8000-000000000000", null, AT, 25));
    events.put("TaskRetriedManually-v2", new WorkflowEvent.TaskRetriedManually("wf-1", "a", 2, false,
        List.of(new WorkflowEvent.TaskRetriedManually.Reopened("b", 1, true)), List.of("a", "b"), true, null,
        WorkflowStatus.CANCELLED, AT, 25));
    // v3: the retried task waits for a dependency that the retry reopens (d after c, both cancelled).
    events.put("TaskRetriedManuallyWaiting-v3", new WorkflowEvent.TaskRetriedManually("wf-1", "d", 1, true,
        List.of(new WorkflowEvent.TaskRetriedManually.Reopened("c", 2, true)), List.of("c"), true, null,
        WorkflowStatus.CANCELLED, AT, 25));
    events.put("ReportRejected-v1", new ReportRejected("wf-1", "a", 1, "test-1", "attempt 1 is no longer current",
        AT, 17));
    return events;
  }
}
