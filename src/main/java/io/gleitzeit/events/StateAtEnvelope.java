package io.gleitzeit.events;

import io.gleitzeit.workflow.WorkflowEvent;
import io.gleitzeit.workflow.WorkflowState;
import io.gleitzeit.workflow.WorkflowView;
import io.gleitzeit.workflow.WorkflowView.TaskView;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * SPEC §4 {@code state?at_sequence=N}: the workflow right after envelope N. N numbers envelopes, and one
 * journal event yields several (an outcome: the implied start, the completion, the dependents made ready, the
 * workflow's end). Every journal event up to the one holding N applies whole; within that one, what its
 * envelopes after N say has not happened yet: the tasks they move, and the workflow's status, are shown as
 * they were before it.
 */
public final class StateAtEnvelope {

  /** The task state each task envelope type moves its task to; types not listed move no task by themselves. */
  private static final Map<String, String> TASK_STATES = Map.of(
      "task:created", "pending", "task:ready", "ready", "task:assigned", "assigned",
      "task:started", "running", "task:completed", "completed", "task:failed", "failed",
      "task:retry_scheduled", "retry_scheduled", "task:cancelled", "cancelled", "task:skipped", "skipped",
      // The lost attempt is over at the reassignment; the new one is ready (its task:ready follows).
      "task:reassigned", "ready");

  private StateAtEnvelope() {
  }

  /** The view after envelope {@code n} of the workflow whose journal events are {@code events}; null before it. */
  public static WorkflowView of(List<WorkflowEvent> events, long n) {
    WorkflowState state = WorkflowState.empty();
    for (WorkflowEvent e : events) {
      if (e.firstSequence() > n) {
        break;
      }
      if (e.lastSequence() <= n) {
        state.apply(e);
        continue;
      }
      WorkflowView before = state.exists() ? WorkflowView.of(state, Map.of()) : null;
      state.apply(e);
      return partly(before, WorkflowView.of(state, Map.of()), WorkflowEnvelopes.of(e), n);
    }
    return state.exists() ? WorkflowView.of(state, Map.of()) : null;
  }

  /** The highest sequence number among the envelopes at or before {@code time}; 0 when there is none. */
  public static long lastSequenceAt(List<WorkflowEvent> events, Instant time) {
    long last = 0;
    for (WorkflowEvent e : events) {
      for (EventEnvelope envelope : WorkflowEnvelopes.of(e)) {
        if (!Instant.parse(envelope.timestamp()).isAfter(time)) {
          last = Math.max(last, envelope.sequenceNumber());
        }
      }
    }
    return last;
  }

  /** {@code after}, with what the envelopes of its last event after {@code n} did undone from {@code before}. */
  private static WorkflowView partly(WorkflowView before, WorkflowView after, List<EventEnvelope> envelopes, long n) {
    Map<String, String> doneState = new HashMap<>();
    Set<String> moreToCome = new HashSet<>();
    Set<String> retryTimeToCome = new HashSet<>();
    Set<String> paramsToCome = new HashSet<>();
    boolean statusToCome = false;
    for (EventEnvelope envelope : envelopes) {
      boolean done = envelope.sequenceNumber() <= n;
      String taskState = envelope.taskId() == null ? null : TASK_STATES.get(envelope.eventType());
      if ("task:failed".equals(envelope.eventType()) && envelope.payload().path("will_retry").asBoolean(false)) {
        taskState = "retry_scheduled"; // SPEC §3: failed is final; a failure that is retried waits for its retry
      }
      if (!done && "task:retry_scheduled".equals(envelope.eventType())) {
        retryTimeToCome.add(envelope.taskId()); // its task:failed says a retry comes, this one says when
      }
      if (!done && "parameters:resolved".equals(envelope.eventType())) {
        paramsToCome.add(envelope.taskId()); // assigned, but its params are substituted only at this envelope
      }
      if (taskState != null) {
        if (done) {
          doneState.put(envelope.taskId(), taskState);
        } else {
          moreToCome.add(envelope.taskId());
        }
      } else if (!done && "workflow:state_changed".equals(envelope.eventType())) {
        statusToCome = true;
      }
      // A manual retry lists the tasks it reopens that cannot run yet (they get no envelope of their own) in its
      // task:ready, or in its workflow:state_changed when the retried task waits as well.
      if (!done) {
        envelope.payload().path("reopened_pending").forEach(id -> moreToCome.add(id.asText()));
      }
    }
    Map<String, TaskView> earlier = new HashMap<>();
    if (before != null) {
      before.tasks().forEach(t -> earlier.put(t.id(), t));
    }
    List<TaskView> tasks = new ArrayList<>(after.tasks().size());
    for (TaskView t : after.tasks()) {
      if (paramsToCome.contains(t.id()) && earlier.containsKey(t.id())) {
        t = withParams(t, earlier.get(t.id()).params());
      }
      if (!moreToCome.contains(t.id())) {
        tasks.add(t);
      } else if (doneState.containsKey(t.id())) {
        tasks.add(midway(t, doneState.get(t.id()), !retryTimeToCome.contains(t.id())));
      } else {
        tasks.add(earlier.getOrDefault(t.id(), midway(t, "pending", false)));
      }
    }
    boolean keepStatus = statusToCome && before != null;
    return new WorkflowView(after.workflowId(), after.name(), after.description(),
        keepStatus ? before.status() : after.status(), after.errorStrategy(), after.priority(),
        after.maxParallel(), after.submittedAt(), keepStatus ? before.completedAt() : after.completedAt(),
        after.metadata(), n, List.copyOf(tasks));
  }

  private static TaskView withParams(TaskView t, com.fasterxml.jackson.databind.node.ObjectNode params) {
    return new TaskView(t.id(), t.name(), t.method(), t.state(), t.attempt(), t.providerId(), t.dependencies(), params,
        t.result(), t.error(), t.readyAt(), t.assignedAt(), t.startedAt(), t.completedAt(), t.durationMs(),
        t.retryAt(), t.waitingFor());
  }

  /**
   * The task as its event's later envelopes left it, shown in {@code state}: what comes after is cleared, the time
   * of a scheduled retry too unless {@code retryTimeSaid}.
   */
  private static TaskView midway(TaskView t, String state, boolean retryTimeSaid) {
    boolean queued = state.equals("pending") || state.equals("ready");
    boolean ended = !queued && !state.equals("assigned") && !state.equals("running");
    return new TaskView(t.id(), t.name(), t.method(), state, t.attempt(), queued ? null : t.providerId(),
        t.dependencies(), t.params(), ended ? t.result() : null, ended ? t.error() : null,
        state.equals("pending") ? null : t.readyAt(), queued ? null : t.assignedAt(),
        queued ? null : t.startedAt(), ended ? t.completedAt() : null, ended ? t.durationMs() : null,
        state.equals("retry_scheduled") && retryTimeSaid ? t.retryAt() : null, null);
  }
}
