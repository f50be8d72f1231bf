package io.gleitzeit.workflow;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.TaskState;
import io.gleitzeit.domain.TaskTransitions;
import java.time.Instant;

/**
 * The run-time state of one task (its latest attempt). Mutable, and changed only by
 * {@link WorkflowState#apply}: a workflow of 10,000 tasks must not copy its task map per event.
 */
public final class TaskRun {
  public String id;
  public TaskState state = TaskState.PENDING;
  public int attempt = 1;
  public int reassignments;
  /**
   * Failed attempts that count against {@code max_attempts}: failures and timeouts since the task was
   * created or last retried by hand. Reassignments after a provider loss do not count (SPEC §3).
   */
  public int failures;
  /**
   * Retried by hand while dependencies that the same retry reopened run again: the task waits for those, and then
   * runs on what every other dependency left (one that failed, or stays cancelled), as a retried task always runs
   * (SPEC §3). Cleared once it is ready.
   */
  public boolean retriedWaiting;
  /** A provider has been asked for this ready task and has not answered with a grant yet. */
  public boolean requested;
  /**
   * When a provider was first asked for the current attempt; null before. {@code schedule_to_start_timeout} counts
   * from here (a task that its workflow's max_parallel holds back is not offered yet). Unlike {@link #requested}
   * it stays when the task is cancelled: a grant for this attempt may still come, so running the task again
   * needs a new attempt.
   */
  public Instant askedAt;
  public String providerId;
  /** The parameters as sent to the provider; null until the task is assigned. */
  public ObjectNode params;
  public JsonNode result;
  public TaskError error;
  public Instant readyAt;
  public Instant assignedAt;
  public Instant startedAt;
  public Instant completedAt;
  public Instant retryAt;
  public Long durationMs;
  /** Why a ready task is not running, in words; in memory only (a restarted entity asks again). */
  @JsonIgnore public transient String waitingFor;

  public TaskRun() {}

  TaskRun(String id) {
    this.id = id;
  }

  void moveTo(TaskState next) {
    TaskTransitions.require(state, next);
    state = next;
  }

  /** Assigned or running: a provider holds the current attempt. */
  @JsonIgnore
  public boolean heldByProvider() {
    return state == TaskState.ASSIGNED || state == TaskState.RUNNING;
  }

  /** {@code attempt} is the current attempt and {@code providerId} holds it. */
  public boolean heldBy(String providerId, int attempt) {
    return this.attempt == attempt && heldByProvider() && java.util.Objects.equals(this.providerId, providerId);
  }
}
