package io.gleitzeit.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.domain.WorkflowDefinition;
import io.gleitzeit.serialization.JsonSerializable;
import java.time.Instant;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;

/** What a workflow entity is told or asked. */
public sealed interface WorkflowCommand extends JsonSerializable {

  record SubmitWorkflow(WorkflowDefinition definition, ActorRef<SubmitReply> replyTo) implements WorkflowCommand {}

  sealed interface SubmitReply extends JsonSerializable {}

  record Accepted(String workflowId) implements SubmitReply {}

  record AlreadyExists(String workflowId) implements SubmitReply {}

  /**
   * The journal rejected or failed the write of the submission: nothing was stored and the entity stops (its
   * shard starts it again). {@code reason} says so for the caller, who may submit again.
   */
  record SubmitRefused(String workflowId, String reason) implements SubmitReply {}

  record GetWorkflow(ActorRef<WorkflowReply> replyTo) implements WorkflowCommand {}

  /** {@code view} is null when no workflow has this id. */
  record WorkflowReply(WorkflowView view) implements JsonSerializable {}

  /** The coordinator found a provider for the attempt. */
  record AssignmentGranted(String taskId, int attempt, String providerId) implements WorkflowCommand {}

  /** The coordinator has no provider for the attempt yet; {@code reason} says why, for {@code waiting_for}. */
  record AssignmentWaiting(String taskId, int attempt, String reason) implements WorkflowCommand {}

  /** The attempt began at its provider at {@code startedAt} (the provider's clock; null: when this arrives). */
  record ReportTaskStarted(String taskId, int attempt, String providerId, Instant startedAt)
      implements WorkflowCommand {
    public ReportTaskStarted(String taskId, int attempt, String providerId) {
      this(taskId, attempt, providerId, null);
    }
  }

  /**
   * An attempt's outcome: {@code error} null means success with {@code result}. Acknowledged once recorded.
   * {@code startedAt} is when the attempt began at its provider: a quick attempt reports its start only with
   * its outcome (one journal write instead of two), and task:started still carries the real start time.
   */
  record ReportTaskResult(String taskId, int attempt, String providerId, JsonNode result, TaskError error,
                          ActorRef<Done> replyTo, Instant startedAt) implements WorkflowCommand {
    public ReportTaskResult(String taskId, int attempt, String providerId, JsonNode result, TaskError error,
                            ActorRef<Done> replyTo) {
      this(taskId, attempt, providerId, result, error, replyTo, null);
    }
  }

  /**
   * From the attempt's provider: whether it still holds the attempt. {@code held} false (with a reason) hands
   * the attempt back — the provider turned unhealthy, was deregistered, or lost it — and it is reassigned.
   */
  record ReattachAnswer(String taskId, int attempt, String providerId, boolean held, String reason)
      implements WorkflowCommand {}

  /**
   * From a provider that holds a slot for this attempt without knowing that anyone still wants it: it
   * restarted with the slot taken in its journal (a slot is freed by a write of its own after the attempt's
   * outcome, so a crash in between leaves it taken), or the attempt was never dispatched (its grant was
   * lost). The workflow frees the slot unless the attempt is still its current one on that provider.
   */
  record SlotHeld(String taskId, int attempt, String providerId) implements WorkflowCommand {}

  /** SPEC §5: cancel the workflow. Idempotent. */
  record CancelWorkflow(String reason, ActorRef<ControlReply> replyTo) implements WorkflowCommand {}

  /** SPEC §5: run a failed or cancelled task again as a new attempt. */
  record RetryTask(String taskId, ActorRef<ControlReply> replyTo) implements WorkflowCommand {}

  /** SPEC §7: requeue a dead letter of this workflow — the task runs again as a new attempt. */
  record RequeueDeadLetter(String taskId, String deadLetterId, ActorRef<ControlReply> replyTo)
      implements WorkflowCommand {}

  /** The answer to a cancel or a manual retry: done, or why not (HTTP 404 or 409). */
  record ControlReply(Outcome outcome, String message, WorkflowView view) implements JsonSerializable {
    public enum Outcome { DONE, NOT_FOUND, CONFLICT }
  }

  /** Timer: a scheduled retry is due. */
  record RetryDue(String taskId, int attempt) implements WorkflowCommand {}

  /** Timer: the ready attempt waited its schedule_to_start_timeout for a provider. */
  record ScheduleToStartDue(String taskId, int attempt) implements WorkflowCommand {}

  /** Timer: the attempt overran its timeout. */
  record TimeoutDue(String taskId, int attempt) implements WorkflowCommand {}

  /** Timer: the dispatched attempt has not been heard of (no start, no outcome): send it again. */
  record RedispatchDue(String taskId, int attempt) implements WorkflowCommand {}

  /** Timer: the requested attempt has had no grant yet: ask the coordinator again. */
  record RerequestDue(String taskId, int attempt) implements WorkflowCommand {}

  /**
   * Retention: may this workflow be removed? Agreed only when it finished before {@code finishedBefore}; from
   * then on the entity answers as if the workflow did not exist, until {@link Forgotten} lets it go.
   */
  record Forget(java.time.Instant finishedBefore, ActorRef<ForgetReply> replyTo) implements WorkflowCommand {}

  record ForgetReply(boolean agreed, String reason) implements JsonSerializable {}

  /**
   * Retention removed the workflow's journal: the entity leaves memory, and says so once its shard has been asked
   * to stop it (a submission of the same id after that reaches a new entity, on the emptied journal).
   */
  record Forgotten(ActorRef<Done> replyTo) implements WorkflowCommand {}

  /** Receive timeout: no message for a while. */
  enum Idle implements WorkflowCommand { INSTANCE }

  /**
   * To itself: persist the events its providers' reports decided since its last write, together. {@code
   * INSTANCE} waits while assignments asked for before the write are unanswered; {@code HOLD_OVER} (the hold's
   * timer) does not.
   */
  enum PersistReports implements WorkflowCommand { INSTANCE, HOLD_OVER }
}
