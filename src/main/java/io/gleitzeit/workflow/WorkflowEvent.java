package io.gleitzeit.workflow;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.Substitution;
import io.gleitzeit.domain.WorkflowDefinition;
import io.gleitzeit.domain.WorkflowStatus;
import io.gleitzeit.serialization.JsonSerializable;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The facts a workflow entity persists. One journal event yields several SPEC §4 envelopes (see
 * {@code io.gleitzeit.events.WorkflowEnvelopes}), so a task costs few journal rows. Each event records the
 * sequence number of its first envelope; {@link #envelopeCount()} says how many it yields, so envelope
 * numbering needs no replay. Never rename or move these records: they are in the journal.
 */
public sealed interface WorkflowEvent extends JsonSerializable {

  String workflowId();

  Instant at();

  long firstSequence();

  int envelopeCount();

  default long lastSequence() {
    return firstSequence() + envelopeCount() - 1;
  }

  /**
   * The timestamp of the event's first envelope: {@link #at()}, except for an outcome that carries its
   * attempt's start (task:started reported with the outcome, at the time the attempt began).
   */
  @com.fasterxml.jackson.annotation.JsonIgnore
  default Instant firstAt() {
    return at();
  }

  /**
   * The workflow was accepted: workflow:submitted, workflow:state_changed, task:created per task, task:ready
   * for each root and assignment:requested for those a provider is asked for.
   */
  record WorkflowSubmitted(
      String workflowId, WorkflowDefinition definition, List<String> readied, List<String> requested,
      Instant at, long firstSequence) implements WorkflowEvent {
    @Override
    public int envelopeCount() {
      return 2 + definition.tasks().size() + readied.size() + requested.size();
    }
  }

  /**
   * A provider was found and the parameters resolved: assignment:candidate_found, assignment:approved,
   * task:assigned, parameters:resolve_requested, parameters:resolved, assignment:executed.
   */
  record TaskAssigned(
      String workflowId, String taskId, int attempt, String providerId, ObjectNode params,
      List<Substitution> substitutions, Instant at, long firstSequence) implements WorkflowEvent {
    @Override
    public int envelopeCount() {
      return 6;
    }
  }

  /**
   * A provider was found but a placeholder could not be resolved: assignment:candidate_found,
   * assignment:approved, task:assigned, parameters:resolve_requested, parameters:resolution_failed,
   * task:failed and the consequences. Never retried (SPEC §2).
   */
  record TaskResolutionFailed(
      String workflowId, String taskId, int attempt, String providerId, String placeholder,
      String parameterPath, String reason, Consequences consequences, Instant at, long firstSequence)
      implements WorkflowEvent {
    @Override
    public int envelopeCount() {
      return 7 + consequences.envelopeCount(); // ... task:failed, dead_letter:added
    }
  }

  /** The provider began the attempt: task:started. */
  record TaskStarted(String workflowId, String taskId, int attempt, String providerId, Instant at, long firstSequence)
      implements WorkflowEvent {
    @Override
    public int envelopeCount() {
      return 1;
    }
  }

  /**
   * The attempt succeeded: task:started first when its start was not recorded yet ({@code impliedStart}, at
   * {@code startedAt}: when the provider said, else the dispatch; older events lack it), task:completed,
   * dependency:satisfied per edge to a dependent, and the consequences.
   */
  record TaskCompleted(
      String workflowId, String taskId, int attempt, String providerId, JsonNode result, boolean impliedStart,
      long durationMs, List<String> satisfiedDependents, Consequences consequences, Instant at, long firstSequence,
      Instant startedAt)
      implements WorkflowEvent {
    public TaskCompleted(String workflowId, String taskId, int attempt, String providerId, JsonNode result,
                         boolean impliedStart, long durationMs, List<String> satisfiedDependents,
                         Consequences consequences, Instant at, long firstSequence) {
      this(workflowId, taskId, attempt, providerId, result, impliedStart, durationMs, satisfiedDependents,
          consequences, at, firstSequence, null);
    }

    /** When the attempt began, for an implied start: the provider's time or the dispatch (older events: the end). */
    public Instant impliedStartAt() {
      return startedAt != null ? startedAt : at;
    }

    @Override
    public Instant firstAt() {
      return impliedStart ? impliedStartAt() : at;
    }

    @Override
    public int envelopeCount() {
      return (impliedStart ? 1 : 0) + 1 + satisfiedDependents.size() + consequences.envelopeCount();
    }
  }

  /**
   * The attempt failed: task:started when implied, task:failed, task:retry_scheduled when {@code retry} is
   * set, and the consequences of a final failure.
   */
  record TaskFailed(
      String workflowId, String taskId, int attempt, String providerId, TaskError error, boolean impliedStart,
      Long durationMs, RetryPlan retry, Consequences consequences, Instant at, long firstSequence,
      Instant startedAt)
      implements WorkflowEvent {
    public TaskFailed(String workflowId, String taskId, int attempt, String providerId, TaskError error,
                      boolean impliedStart, long durationMs, RetryPlan retry, Consequences consequences, Instant at,
                      long firstSequence) {
      this(workflowId, taskId, attempt, providerId, error, impliedStart, durationMs, retry, consequences, at,
          firstSequence, null);
    }

    /** When the attempt began, for an implied start: the provider's time or the dispatch (older events: the end). */
    public Instant impliedStartAt() {
      return startedAt != null ? startedAt : at;
    }

    @Override
    public Instant firstAt() {
      return impliedStart ? impliedStartAt() : at;
    }

    @Override
    public int envelopeCount() {
      // A retried failure adds task:retry_scheduled; a final one dead_letter:added.
      return (impliedStart ? 1 : 0) + 1 + 1 + consequences.envelopeCount();
    }
  }

  /** A scheduled retry is due: task:ready for the new attempt, and assignment:requested when requested. */
  record TaskRetryReady(String workflowId, String taskId, int attempt, boolean requested, Instant at, long firstSequence)
      implements WorkflowEvent {
    @Override
    public int envelopeCount() {
      return requested ? 2 : 1;
    }
  }

  /**
   * The attempt's provider lost it: task:reassigned, task:ready for the new attempt, and assignment:requested
   * when requested.
   */
  record TaskReassigned(
      String workflowId, String taskId, int previousAttempt, int attempt, String previousProviderId, String reason,
      boolean requested, Instant at, long firstSequence) implements WorkflowEvent {
    @Override
    public int envelopeCount() {
      return requested ? 3 : 2;
    }
  }

  /**
   * The workflow was cancelled (SPEC §5): task:cancelled for every unfinished task, workflow:state_changed,
   * workflow:cancelled. {@code cancelledOn}: the provider of each cancelled task that had an attempt on one.
   */
  record WorkflowCancelled(String workflowId, List<String> cancelled,
                           @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, String> cancelledOn, String reason,
                           Instant at, long firstSequence) implements WorkflowEvent {

    public WorkflowCancelled {
      cancelledOn = cancelledOn == null ? Map.of() : Map.copyOf(cancelledOn);
    }

    public WorkflowCancelled(String workflowId, List<String> cancelled, String reason, Instant at, long firstSequence) {
      this(workflowId, cancelled, Map.of(), reason, at, firstSequence);
    }

    @Override
    public int envelopeCount() {
      return cancelled.size() + 2;
    }
  }

  /**
   * A failed or cancelled task was retried by hand: dead_letter:requeued when it was requeued from the dead
   * letter queue, workflow:state_changed when the workflow runs again,
   * task:ready for the task's new attempt, task:ready for reopened tasks whose dependencies are all done,
   * and assignment:requested for those a provider is asked for. Reopened tasks still waiting for
   * dependencies go back to pending (listed in the first task:ready's payload).
   *
   * <p>{@code reopenedFrom}: the workflow's status before a retry that reopened it, failed or cancelled (null in
   * events written before a cancelled workflow could be reopened: failed). {@code waitsForDependencies}: the
   * retried task itself goes back to pending, as the retry reopens a dependency of it (false in events written
   * before it could): it gets no task:ready, and workflow:state_changed lists it with the other pending ones.
   */
  record TaskRetriedManually(
      String workflowId, String taskId, int attempt, boolean waitsForDependencies, List<Reopened> reopened,
      List<String> requested, boolean workflowReopened, String requeuedDeadLetter, WorkflowStatus reopenedFrom,
      Instant at, long firstSequence) implements WorkflowEvent {

    /** A task reopened with the retry: ready at {@code attempt} now, or pending until its dependencies finish. */
    public record Reopened(String taskId, int attempt, boolean ready) {}

    @Override
    public int envelopeCount() {
      int ready = waitsForDependencies ? 0 : 1;
      for (Reopened r : reopened) {
        ready += r.ready() ? 1 : 0;
      }
      return (requeuedDeadLetter == null ? 0 : 1) + (workflowReopened ? 1 : 0) + ready + requested.size();
    }
  }

  /** A result or failure for an attempt that is no longer current changed nothing: assignment:rejected. */
  record ReportRejected(
      String workflowId, String taskId, int attempt, String providerId, String reason, Instant at, long firstSequence)
      implements WorkflowEvent {
    @Override
    public int envelopeCount() {
      return 1;
    }
  }
}
