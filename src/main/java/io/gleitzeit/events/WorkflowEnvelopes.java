package io.gleitzeit.events;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.Substitution;
import io.gleitzeit.domain.TaskDefinition;
import io.gleitzeit.domain.WorkflowDefinition;
import io.gleitzeit.workflow.Consequences;
import io.gleitzeit.workflow.TaskError;
import io.gleitzeit.workflow.WorkflowEntity;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Maps one persisted workflow event to the SPEC §4 envelopes it stands for, numbered from the event's
 * {@code firstSequence}. Pure and deterministic: the same event yields the same envelopes, with the same
 * ids, on every read and after every restart.
 */
public final class WorkflowEnvelopes {

  static final String ENGINE = "workflow_engine";
  static final String COORDINATOR = "assignment_coordinator";
  static final String RESOLVER = "parameter_resolver";
  static final String DEPENDENCIES = "dependency_resolver";

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private WorkflowEnvelopes() {}

  /** The id ({@link EventIds}) of envelope {@code sequence}, yielded by a journal event written at {@code at}. */
  public static String eventId(String workflowId, long sequence, java.time.Instant at) {
    return EventIds.of(WorkflowEntity.persistenceIdOf(workflowId).id(), sequence, at);
  }

  public static List<EventEnvelope> of(WorkflowEvent event) {
    Builder b = new Builder(event);
    if (event instanceof WorkflowSubmitted e) {
      submitted(b, e);
    } else if (event instanceof TaskAssigned e) {
      assignment(b, e.taskId(), e.attempt(), e.providerId());
      b.add("parameters:resolved", RESOLVER, e.taskId(), e.providerId(), "info",
          obj().put("attempt", e.attempt()).set("substitutions", substitutions(e.substitutions())));
      b.add("assignment:executed", COORDINATOR, e.taskId(), e.providerId(), "info", obj().put("attempt", e.attempt()));
    } else if (event instanceof TaskResolutionFailed e) {
      assignment(b, e.taskId(), e.attempt(), e.providerId());
      b.add("parameters:resolution_failed", RESOLVER, e.taskId(), e.providerId(), "error", obj()
          .put("attempt", e.attempt()).put("placeholder", e.placeholder()).put("parameter_path", e.parameterPath())
          .put("reason", e.reason()));
      TaskError error = new TaskError("cannot resolve " + e.placeholder() + " in " + e.parameterPath() + ": "
          + e.reason(), false, TaskError.RESOLUTION);
      // duration_ms null, as for every attempt that never reached a provider (README).
      b.add("task:failed", ENGINE, e.taskId(), e.providerId(), "error", obj().put("attempt", e.attempt())
          .put("will_retry", false).put("duration_ms", (Long) null).<ObjectNode>set("error", error(error)));
      deadLetter(b, e.taskId(), e.attempt(), e.providerId(), error);
      consequences(b, e.consequences(), e.taskId());
    } else if (event instanceof TaskStarted e) {
      b.add("task:started", ENGINE, e.taskId(), e.providerId(), "info", obj().put("attempt", e.attempt()));
    } else if (event instanceof TaskCompleted e) {
      completed(b, e);
    } else if (event instanceof TaskFailed e) {
      failed(b, e);
    } else if (event instanceof TaskRetryReady e) {
      b.add("task:ready", ENGINE, e.taskId(), null, "info", obj().put("attempt", e.attempt()));
      if (e.requested()) {
        b.add("assignment:requested", COORDINATOR, e.taskId(), null, "info", obj().put("attempt", e.attempt()));
      }
    } else if (event instanceof TaskReassigned e) {
      b.add("task:reassigned", ENGINE, e.taskId(), e.previousProviderId(), "warning", obj()
          .put("previous_attempt", e.previousAttempt()).put("attempt", e.attempt()).put("reason", e.reason()));
      b.add("task:ready", ENGINE, e.taskId(), null, "info", obj().put("attempt", e.attempt()));
      if (e.requested()) {
        b.add("assignment:requested", COORDINATOR, e.taskId(), null, "info", obj().put("attempt", e.attempt()));
      }
    } else if (event instanceof WorkflowEvent.WorkflowCancelled e) {
      for (String id : e.cancelled()) {
        b.add("task:cancelled", ENGINE, id, e.cancelledOn().get(id), "warning",
            obj().put("reason", "the workflow was cancelled"));
      }
      b.add("workflow:state_changed", ENGINE, null, null, "info", obj().put("from", "running").put("to", "cancelled"));
      b.add("workflow:cancelled", ENGINE, null, null, "warning", obj().put("reason", e.reason()));
    } else if (event instanceof WorkflowEvent.TaskRetriedManually e) {
      retriedManually(b, e);
    } else if (event instanceof ReportRejected e) {
      b.add("assignment:rejected", ENGINE, e.taskId(), e.providerId(), "warning",
          obj().put("attempt", e.attempt()).put("reason", e.reason()));
    }
    if (b.envelopes.size() != event.envelopeCount()) {
      throw new IllegalStateException(event.getClass().getSimpleName() + " yields " + b.envelopes.size()
          + " envelopes but declares " + event.envelopeCount());
    }
    return b.envelopes;
  }

  private static void submitted(Builder b, WorkflowSubmitted e) {
    WorkflowDefinition d = e.definition();
    ObjectNode payload = obj().put("name", d.name()).put("description", d.description())
        .put("priority", d.priority().wire()).put("error_strategy", d.errorStrategy().wire())
        .put("task_count", d.tasks().size());
    payload.put("max_parallel", d.maxParallel());
    payload.put("schedule_to_start_timeout_ms", d.scheduleToStartTimeout() == null ? null
        : d.scheduleToStartTimeout().toMillis());
    payload.set("metadata", d.metadata());
    b.add("workflow:submitted", ENGINE, null, null, "info", payload);
    b.add("workflow:state_changed", ENGINE, null, null, "info", obj().putNull("from").put("to", "running"));
    for (TaskDefinition t : d.tasks()) {
      ObjectNode created = obj().put("name", t.name()).put("method", t.method()).put("priority", t.priority().wire());
      created.set("dependencies", strings(t.dependencies()));
      created.set("params", t.params());
      created.put("timeout_ms", t.timeout() == null ? null : t.timeout().toMillis());
      created.put("provider", t.provider());
      // The retry policy the task got (its own, then defaults.retry, then SPEC §7's), seen nowhere else.
      created.putObject("retry").put("max_attempts", t.retry().maxAttempts()).put("backoff", t.retry().backoff()
          .wire()).put("base_delay_ms", t.retry().baseDelay().toMillis())
          .put("max_delay_ms", t.retry().maxDelay().toMillis()).put("jitter", t.retry().jitter());
      b.add("task:created", ENGINE, t.id(), null, "info", created);
    }
    for (String id : e.readied()) {
      b.add("task:ready", DEPENDENCIES, id, null, "info", obj().put("attempt", 1));
    }
    for (String id : e.requested()) {
      b.add("assignment:requested", COORDINATOR, id, null, "info", requested(d.task(id), 1));
    }
  }

  private static void assignment(Builder b, String taskId, int attempt, String providerId) {
    b.add("assignment:candidate_found", COORDINATOR, taskId, providerId, "info", obj().put("attempt", attempt));
    b.add("assignment:approved", COORDINATOR, taskId, providerId, "info", obj().put("attempt", attempt));
    b.add("task:assigned", ENGINE, taskId, providerId, "info", obj().put("attempt", attempt));
    b.add("parameters:resolve_requested", RESOLVER, taskId, providerId, "info", obj().put("attempt", attempt));
  }

  private static void completed(Builder b, TaskCompleted e) {
    if (e.impliedStart()) {
      b.add("task:started", ENGINE, e.taskId(), e.providerId(), "info", obj().put("attempt", e.attempt()),
          e.impliedStartAt());
    }
    ObjectNode payload = obj().put("attempt", e.attempt()).put("duration_ms", e.durationMs());
    payload.set("result", e.result());
    b.add("task:completed", ENGINE, e.taskId(), e.providerId(), "info", payload);
    for (String dependent : e.satisfiedDependents()) {
      b.add("dependency:satisfied", DEPENDENCIES, dependent, null, "info",
          obj().put("dependency", e.taskId()).put("dependent", dependent));
    }
    // A completion ends a workflow as failed only when another task failed before it.
    consequences(b, e.consequences(), null);
  }

  private static void failed(Builder b, TaskFailed e) {
    if (e.impliedStart()) {
      b.add("task:started", ENGINE, e.taskId(), e.providerId(), "info", obj().put("attempt", e.attempt()),
          e.impliedStartAt());
    }
    boolean willRetry = e.retry() != null;
    ObjectNode payload = obj().put("attempt", e.attempt()).put("will_retry", willRetry)
        .put("duration_ms", e.durationMs());
    payload.set("error", error(e.error()));
    b.add("task:failed", ENGINE, e.taskId(), e.providerId(), willRetry ? "warning" : "error", payload);
    if (willRetry) {
      b.add("task:retry_scheduled", ENGINE, e.taskId(), e.providerId(), "warning", obj()
          .put("attempt", e.attempt()).put("next_attempt", e.retry().nextAttempt())
          .put("delay_ms", e.retry().delayMs()).put("retry_at", Timestamps.format(e.retry().retryAt())));
    } else {
      deadLetter(b, e.taskId(), e.attempt(), e.providerId(), e.error());
    }
    consequences(b, e.consequences(), e.taskId());
  }

  /** The id of the dead letter of a task's attempt that failed for good: stable, derived from the attempt. */
  public static String deadLetterId(String workflowId, String taskId, int attempt) {
    String name = "dead-letter:" + workflowId + "/" + taskId + "#" + attempt;
    return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
  }

  /** SPEC §7: a task that fails for good goes to the dead letter queue, with the reason. */
  private static void deadLetter(Builder b, String taskId, int attempt, String providerId, TaskError error) {
    String workflowId = b.event.workflowId();
    b.add("dead_letter:added", ENGINE, taskId, providerId, "error", obj()
        .put("dead_letter_id", deadLetterId(workflowId, taskId, attempt)).put("kind", "task").put("attempt", attempt)
        .put("reason", error.message()).put("error_type", error.type()));
  }

  private static void retriedManually(Builder b, WorkflowEvent.TaskRetriedManually e) {
    if (e.requeuedDeadLetter() != null) {
      b.add("dead_letter:requeued", ENGINE, e.taskId(), null, "info", obj()
          .put("dead_letter_id", e.requeuedDeadLetter()).put("attempt", e.attempt()));
    }
    ArrayNode pending = NODES.arrayNode();
    if (e.waitsForDependencies()) {
      pending.add(e.taskId());
    }
    e.reopened().stream().filter(r -> !r.ready()).forEach(r -> pending.add(r.taskId()));
    if (e.workflowReopened()) {
      String from = e.reopenedFrom() == null ? "failed" : e.reopenedFrom().wire();
      ObjectNode changed = obj().put("from", from).put("to", "running")
          .put("reason", "task " + e.taskId() + " retried by hand");
      if (e.waitsForDependencies()) {
        // The retried task has no task:ready of its own yet: this envelope says it runs again, and what waits.
        changed.put("retried_task", e.taskId()).put("attempt", e.attempt()).set("reopened_pending", pending);
      }
      b.add("workflow:state_changed", ENGINE, null, null, "info", changed);
    }
    if (!e.waitsForDependencies()) {
      b.add("task:ready", ENGINE, e.taskId(), null, "info", obj().put("attempt", e.attempt())
          .put("manual_retry", true).set("reopened_pending", pending));
    }
    for (WorkflowEvent.TaskRetriedManually.Reopened r : e.reopened()) {
      if (r.ready()) {
        b.add("task:ready", ENGINE, r.taskId(), null, "info", obj().put("attempt", r.attempt()).put("reopened_by",
            e.taskId()));
      }
    }
    Map<String, Integer> attempts = new HashMap<>(Map.of(e.taskId(), e.attempt()));
    e.reopened().forEach(r -> attempts.put(r.taskId(), r.attempt()));
    for (String id : e.requested()) {
      b.add("assignment:requested", COORDINATOR, id, null, "info", obj().put("attempt", attempts.get(id)));
    }
  }

  /** {@code failedTask}: the task whose failure caused these consequences; null when none did. */
  private static void consequences(Builder b, Consequences c, String failedTask) {
    for (String id : c.readied()) {
      b.add("task:ready", DEPENDENCIES, id, null, "info", obj().put("attempt", c.attemptOf(id)));
    }
    for (String id : c.requested()) {
      b.add("assignment:requested", COORDINATOR, id, null, "info", obj().put("attempt", c.attemptOf(id)));
    }
    for (String id : c.skipped()) {
      b.add("task:skipped", ENGINE, id, null, "info", obj().put("reason", "upstream task " + failedTask + " failed"));
    }
    for (String id : c.cancelled()) {
      b.add("task:cancelled", ENGINE, id, c.cancelledOn().get(id), "warning",
          obj().put("reason", "task " + failedTask + " failed and the error strategy is stop"));
    }
    if (c.outcome() != null) {
      String to = c.outcome().wire();
      b.add("workflow:state_changed", ENGINE, null, null, "info", obj().put("from", "running").put("to", to));
      boolean ok = "completed".equals(to);
      b.add("workflow:" + to, ENGINE, null, null, ok ? "info" : "error",
          ok ? obj() : obj().put("reason", failedTask == null ? "a task failed earlier"
              : "task " + failedTask + " failed"));
    }
  }

  private static ObjectNode requested(TaskDefinition t, int attempt) {
    return obj().put("attempt", attempt).put("method", t.method()).put("priority", t.priority().wire())
        .put("provider", t.provider());
  }

  private static ArrayNode substitutions(List<Substitution> audit) {
    ArrayNode list = NODES.arrayNode();
    for (Substitution s : audit) {
      ObjectNode item = list.addObject().put("path", s.parameterPath()).put("placeholder", s.placeholder());
      item.set("value", s.value());
      item.put("truncated", s.truncated());
    }
    return list;
  }

  static ObjectNode error(TaskError error) {
    return obj().put("message", error.message()).put("retryable", error.retryable()).put("type", error.type());
  }

  private static ArrayNode strings(List<String> values) {
    ArrayNode list = NODES.arrayNode();
    values.forEach(list::add);
    return list;
  }

  private static ObjectNode obj() {
    return NODES.objectNode();
  }

  /** Numbers envelopes consecutively from the event's first sequence number. */
  private static final class Builder {
    private final WorkflowEvent event;
    private final String timestamp;
    private final List<EventEnvelope> envelopes;

    Builder(WorkflowEvent event) {
      this.event = event;
      this.timestamp = Timestamps.format(event.at());
      this.envelopes = new ArrayList<>(event.envelopeCount());
    }

    void add(String type, String source, String taskId, String providerId, String severity, ObjectNode payload) {
      add(type, source, taskId, providerId, severity, payload, timestamp);
    }

    /** An envelope of something that happened before the event was written (an attempt's reported start). */
    void add(String type, String source, String taskId, String providerId, String severity, ObjectNode payload,
             java.time.Instant at) {
      add(type, source, taskId, providerId, severity, payload, Timestamps.format(at));
    }

    private void add(String type, String source, String taskId, String providerId, String severity,
                     ObjectNode payload, String timestamp) {
      long seq = event.firstSequence() + envelopes.size();
      String wf = event.workflowId();
      envelopes.add(new EventEnvelope(eventId(wf, seq, event.at()), type, timestamp, seq, source, wf, wf, taskId,
          providerId, severity, payload, obj()));
    }
  }

}
