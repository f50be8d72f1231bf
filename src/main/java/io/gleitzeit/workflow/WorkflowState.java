package io.gleitzeit.workflow;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.gleitzeit.domain.Dag;
import io.gleitzeit.domain.TaskDefinition;
import io.gleitzeit.domain.TaskState;
import io.gleitzeit.domain.WorkflowDefinition;
import io.gleitzeit.domain.WorkflowStatus;
import io.gleitzeit.serialization.JsonSerializable;
import io.gleitzeit.workflow.WorkflowEvent.TaskAssigned;
import io.gleitzeit.workflow.WorkflowEvent.TaskCompleted;
import io.gleitzeit.workflow.WorkflowEvent.TaskFailed;
import io.gleitzeit.workflow.WorkflowEvent.TaskReassigned;
import io.gleitzeit.workflow.WorkflowEvent.TaskResolutionFailed;
import io.gleitzeit.workflow.WorkflowEvent.TaskRetryReady;
import io.gleitzeit.workflow.WorkflowEvent.TaskStarted;
import io.gleitzeit.workflow.WorkflowEvent.WorkflowSubmitted;
import io.gleitzeit.workflow.WorkflowEvent.ReportRejected;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;

/**
 * A workflow's state, rebuilt by applying its events in order. {@link #apply} is pure: no clock, no
 * messages, no logging — it also runs during replay and for {@code state?at_sequence=N}.
 */
public final class WorkflowState implements JsonSerializable {
  public WorkflowDefinition definition;
  public WorkflowStatus status;
  public Instant submittedAt;
  public Instant completedAt;
  /** Sequence number of the last envelope of the last applied event. */
  public long lastSequence;
  public final LinkedHashMap<String, TaskRun> tasks = new LinkedHashMap<>();
  /** Tasks not in a terminal state, and tasks failed: kept as counts so a completion need not scan every task. */
  public int openTasks;
  public int failedTasks;
  /**
   * The dead letters a requeue took out of the queue: a second requeue of one is refused here, where requests
   * that passed the queue's own check at the same moment meet one at a time.
   */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public final LinkedHashSet<String> requeuedDeadLetters = new LinkedHashSet<>();
  @JsonIgnore private transient Dag dag;

  public static WorkflowState empty() {
    return new WorkflowState();
  }

  /** A deep copy, through the same JSON form a snapshot is stored in. */
  public WorkflowState copy() {
    return io.gleitzeit.domain.Json.MAPPER.convertValue(this, WorkflowState.class);
  }

  @JsonIgnore
  public boolean exists() {
    return definition != null;
  }

  @JsonIgnore
  public String workflowId() {
    return definition == null ? null : definition.id();
  }

  @JsonIgnore
  public Dag dag() {
    if (dag == null && definition != null) {
      dag = Dag.of(definition.tasks());
    }
    return dag;
  }

  public TaskRun task(String taskId) {
    return tasks.get(taskId);
  }

  public TaskDefinition definitionOf(String taskId) {
    return definition.task(taskId);
  }

  @JsonIgnore
  public Collection<TaskRun> taskRuns() {
    return tasks.values();
  }

  /** Tasks of this workflow that hold or wait for a provider slot: requested, assigned or running. */
  @JsonIgnore
  public int inFlight() {
    int n = 0;
    for (TaskRun t : tasks.values()) {
      if (t.requested || t.heldByProvider()) {
        n++;
      }
    }
    return n;
  }

  public WorkflowState apply(WorkflowEvent event) {
    // Java 17 has no pattern switch; the chain is exhaustive over the sealed WorkflowEvent.
    if (event instanceof WorkflowSubmitted e) {
      onSubmitted(e);
    } else if (event instanceof TaskAssigned e) {
      onAssigned(e);
    } else if (event instanceof TaskResolutionFailed e) {
      onResolutionFailed(e);
    } else if (event instanceof TaskStarted e) {
      onStarted(e);
    } else if (event instanceof TaskCompleted e) {
      onCompleted(e);
    } else if (event instanceof TaskFailed e) {
      onFailed(e);
    } else if (event instanceof TaskRetryReady e) {
      onRetryReady(e);
    } else if (event instanceof TaskReassigned e) {
      onReassigned(e);
    } else if (event instanceof WorkflowEvent.WorkflowCancelled e) {
      onCancelled(e);
    } else if (event instanceof WorkflowEvent.TaskRetriedManually e) {
      onRetriedManually(e);
    } else if (!(event instanceof ReportRejected)) {
      throw new IllegalArgumentException("unknown workflow event " + event.getClass().getName());
    }
    lastSequence = event.lastSequence();
    return this;
  }

  private void onSubmitted(WorkflowSubmitted e) {
    definition = e.definition();
    status = WorkflowStatus.RUNNING;
    submittedAt = e.at();
    for (TaskDefinition t : definition.tasks()) {
      tasks.put(t.id(), new TaskRun(t.id()));
    }
    openTasks = tasks.size();
    for (String id : e.readied()) {
      markReady(tasks.get(id), e.at());
    }
    markRequested(e.requested(), e.at());
  }

  private void onAssigned(TaskAssigned e) {
    TaskRun t = tasks.get(e.taskId());
    move(t, TaskState.ASSIGNED);
    t.requested = false;
    t.waitingFor = null;
    t.providerId = e.providerId();
    t.params = e.params();
    t.assignedAt = e.at();
  }

  private void onResolutionFailed(TaskResolutionFailed e) {
    TaskRun t = tasks.get(e.taskId());
    move(t, TaskState.ASSIGNED);
    t.requested = false;
    t.waitingFor = null;
    t.providerId = e.providerId();
    t.assignedAt = e.at();
    move(t, TaskState.FAILED);
    t.error = new TaskError(
        "cannot resolve " + e.placeholder() + " in " + e.parameterPath() + ": " + e.reason(), false, TaskError.RESOLUTION);
    t.completedAt = e.at();
    applyConsequences(e.consequences(), e.at());
  }

  private void onStarted(TaskStarted e) {
    TaskRun t = tasks.get(e.taskId());
    move(t, TaskState.RUNNING);
    t.startedAt = e.at();
  }

  private void onCompleted(TaskCompleted e) {
    TaskRun t = tasks.get(e.taskId());
    if (e.impliedStart()) {
      move(t, TaskState.RUNNING);
      t.startedAt = e.impliedStartAt();
    }
    move(t, TaskState.COMPLETED);
    t.result = e.result();
    t.error = null;
    t.completedAt = e.at();
    t.durationMs = e.durationMs();
    applyConsequences(e.consequences(), e.at());
  }

  private void onFailed(TaskFailed e) {
    TaskRun t = tasks.get(e.taskId());
    if (e.impliedStart()) {
      move(t, TaskState.RUNNING);
      t.startedAt = e.impliedStartAt();
    }
    t.error = e.error();
    t.durationMs = e.durationMs();
    t.completedAt = e.at();
    if (!TaskError.REASSIGNMENTS.equals(e.error().type())) {
      t.failures++;
    }
    if (e.retry() != null) {
      move(t, TaskState.RETRY_SCHEDULED);
      t.retryAt = e.retry().retryAt();
    } else {
      move(t, TaskState.FAILED);
    }
    applyConsequences(e.consequences(), e.at());
  }

  private void onRetryReady(TaskRetryReady e) {
    TaskRun t = tasks.get(e.taskId());
    startNewAttempt(t, e.attempt(), e.at());
    t.retryAt = null;
    markRequested(t, e.requested(), e.at());
  }

  private void onReassigned(TaskReassigned e) {
    TaskRun t = tasks.get(e.taskId());
    startNewAttempt(t, e.attempt(), e.at());
    t.reassignments++;
    markRequested(t, e.requested(), e.at());
  }

  private void onCancelled(WorkflowEvent.WorkflowCancelled e) {
    for (String id : e.cancelled()) {
      TaskRun t = tasks.get(id);
      move(t, TaskState.CANCELLED);
      t.requested = false;
      t.retryAt = null;
    }
    status = WorkflowStatus.CANCELLED;
    completedAt = e.at();
  }

  private void onRetriedManually(WorkflowEvent.TaskRetriedManually e) {
    if (e.requeuedDeadLetter() != null) {
      requeuedDeadLetters.add(e.requeuedDeadLetter());
    }
    reopen(tasks.get(e.taskId()), e.attempt(), !e.waitsForDependencies(), e.at());
    tasks.get(e.taskId()).retriedWaiting = e.waitsForDependencies();
    for (WorkflowEvent.TaskRetriedManually.Reopened r : e.reopened()) {
      reopen(tasks.get(r.taskId()), r.attempt(), r.ready(), e.at());
    }
    markRequested(e.requested(), e.at());
    if (e.workflowReopened()) {
      status = WorkflowStatus.RUNNING;
      completedAt = null;
    }
  }

  /** A task a manual retry runs again: ready at its new attempt, or pending until its dependencies finish. */
  private void reopen(TaskRun t, int attempt, boolean ready, Instant at) {
    if (ready) {
      startNewAttempt(t, attempt, at);
    } else {
      move(t, TaskState.PENDING);
      forgetAttempt(t, attempt);
      t.readyAt = null;
    }
    t.failures = 0;
    t.reassignments = 0; // the reassignment limit, like max_attempts, counts since the last manual retry
    t.error = null;
    t.retriedWaiting = false;
  }

  private void startNewAttempt(TaskRun t, int attempt, Instant at) {
    markReady(t, at);
    forgetAttempt(t, attempt);
  }

  /** The task's fields describe its latest attempt (SPEC §4): a new one starts with nothing of the last. */
  private static void forgetAttempt(TaskRun t, int attempt) {
    t.attempt = attempt;
    t.askedAt = null;
    t.providerId = null;
    t.params = null;
    t.result = null;
    t.error = null; // the task's fields describe its latest attempt (SPEC §4); the failed one's error is in its event
    t.assignedAt = null;
    t.startedAt = null;
    t.completedAt = null;
    t.durationMs = null;
  }

  private void applyConsequences(Consequences c, Instant at) {
    for (String id : c.readied()) {
      markReady(tasks.get(id), at);
    }
    markRequested(c.requested(), at);
    for (String id : c.skipped()) {
      move(tasks.get(id), TaskState.SKIPPED);
    }
    for (String id : c.cancelled()) {
      TaskRun t = tasks.get(id);
      move(t, TaskState.CANCELLED);
      t.requested = false;
      t.retryAt = null;
    }
    if (c.outcome() != null) {
      status = c.outcome();
      completedAt = at;
    }
  }

  /** Every task transition goes through here, so the counts stay true. */
  private void move(TaskRun t, TaskState next) {
    boolean wasOpen = !t.state.terminal();
    boolean wasFailed = t.state == TaskState.FAILED;
    t.moveTo(next);
    if (next.terminal()) {
      // A ready task asked for and never assigned (its schedule-to-start timeout, a cancellation) no longer takes
      // one of max_parallel's slots: it did for good, and the workflow's other ready tasks were never asked for.
      t.requested = false;
    }
    openTasks += (next.terminal() ? 0 : 1) - (wasOpen ? 1 : 0);
    failedTasks += (next == TaskState.FAILED ? 1 : 0) - (wasFailed ? 1 : 0);
  }

  private void markReady(TaskRun t, Instant at) {
    move(t, TaskState.READY);
    t.readyAt = at;
    t.retriedWaiting = false;
  }

  private void markRequested(Iterable<String> ids, Instant at) {
    for (String id : ids) {
      markRequested(tasks.get(id), true, at);
    }
  }

  private static void markRequested(TaskRun t, boolean requested, Instant at) {
    t.requested = requested;
    if (requested && t.askedAt == null) {
      t.askedAt = at;
    }
  }

  /** Read-only view of the task map for envelope mapping and views. */
  public Map<String, TaskRun> taskMap() {
    return tasks;
  }
}
