package io.gleitzeit.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.domain.Dag;
import io.gleitzeit.domain.ErrorStrategy;
import io.gleitzeit.domain.ParameterResolver;
import io.gleitzeit.domain.Resolution;
import io.gleitzeit.domain.RetryPolicy;
import io.gleitzeit.domain.TaskDefinition;
import io.gleitzeit.domain.TaskOutcome;
import io.gleitzeit.domain.TaskState;
import io.gleitzeit.domain.WorkflowDefinition;
import io.gleitzeit.domain.WorkflowStatus;
import io.gleitzeit.workflow.WorkflowEvent.TaskAssigned;
import io.gleitzeit.workflow.WorkflowEvent.TaskCompleted;
import io.gleitzeit.workflow.WorkflowEvent.TaskFailed;
import io.gleitzeit.workflow.WorkflowEvent.TaskReassigned;
import io.gleitzeit.workflow.WorkflowEvent.TaskResolutionFailed;
import io.gleitzeit.workflow.WorkflowEvent.TaskRetryReady;
import io.gleitzeit.workflow.WorkflowEvent.WorkflowSubmitted;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.DoubleSupplier;

/**
 * Decides what a workflow does next: given its state and what happened, the event to persist. Plain Java
 * with no Pekko, so the rules of SPEC §3 (readiness, error strategies, retries, max_parallel) are tested
 * without an actor. The entity calls these only after checking that the command applies to the current
 * attempt.
 */
public final class WorkflowDecisions {

  private final ParameterResolver resolver;
  private final int maxReassignments;
  private final DoubleSupplier random;

  public WorkflowDecisions(ParameterResolver resolver, int maxReassignments, DoubleSupplier random) {
    this.resolver = resolver;
    this.maxReassignments = maxReassignments;
    this.random = random;
  }

  public WorkflowSubmitted submit(WorkflowDefinition definition, Instant at) {
    Dag dag = Dag.of(definition.tasks());
    List<String> roots = dag.roots();
    List<String> requested = roots;
    if (definition.maxParallel() != null && roots.size() > definition.maxParallel()) {
      requested = byPriority(definition, roots).subList(0, definition.maxParallel());
    }
    return new WorkflowSubmitted(definition.id(), definition, roots, List.copyOf(requested), at, 1);
  }

  /** A provider was granted for the task's current attempt: resolve its parameters and hand it over. */
  public WorkflowEvent assign(WorkflowState state, String taskId, String providerId, Instant at) {
    TaskRun task = state.task(taskId);
    TaskDefinition def = state.definitionOf(taskId);
    Resolution resolution = resolver.resolve(def.params(), id -> outcomeOf(state, id));
    long first = state.lastSequence + 1;
    if (resolution instanceof Resolution.Resolved resolved) {
      return new TaskAssigned(state.workflowId(), taskId, task.attempt, providerId, resolved.params(),
          resolved.audit(), at, first);
    }
    Resolution.Failed failed = (Resolution.Failed) resolution;
    return new TaskResolutionFailed(state.workflowId(), taskId, task.attempt, providerId, failed.placeholder(),
        failed.parameterPath(), failed.reason(), afterFinalFailure(state, taskId), at, first);
  }

  public TaskCompleted complete(WorkflowState state, String taskId, JsonNode result, Instant at) {
    return complete(state, taskId, result, at, null);
  }

  /** {@code startedAt}: when the attempt began at its provider, if it says (the start is then implied). */
  public TaskCompleted complete(WorkflowState state, String taskId, JsonNode result, Instant at, Instant startedAt) {
    TaskRun task = state.task(taskId);
    Dag dag = state.dag();
    List<String> dependents = dag.dependentsOf(taskId);
    // Only a pending dependent becomes ready: one retried by hand while this task had failed may be running,
    // done or failed already, and is not run again because its dependency now completed.
    // A task retried by hand waits only for what its retry reopened; it runs on what the others left.
    List<String> readied = dag.newlyReady(taskId, (dependent, d) -> met(state, dependent, d)).stream()
        .filter(id -> state.task(id).state == TaskState.PENDING).toList();
    Set<String> endedNow = Set.of(taskId);
    WorkflowStatus outcome = null;
    if (readied.isEmpty() && allEndedExcept(state, endedNow)) {
      outcome = anyFailed(state) ? WorkflowStatus.FAILED : WorkflowStatus.COMPLETED;
    }
    List<String> requested = requests(state, readied, 1);
    Consequences consequences = consequences(state, readied, requested, List.of(), outcome);
    boolean impliedStart = task.state == TaskState.ASSIGNED;
    Instant start = impliedStart ? impliedStartOf(task, startedAt, at) : null;
    return new TaskCompleted(state.workflowId(), taskId, task.attempt, task.providerId, result, impliedStart,
        durationMs(task, impliedStart, start, at), dependents, consequences, at, state.lastSequence + 1, start);
  }

  public TaskFailed fail(WorkflowState state, String taskId, TaskError error, Instant at) {
    return fail(state, taskId, error, at, null);
  }

  /** {@code startedAt}: when the attempt began at its provider, if it says (the start is then implied). */
  public TaskFailed fail(WorkflowState state, String taskId, TaskError error, Instant at, Instant startedAt) {
    TaskRun task = state.task(taskId);
    // A provider's answer implies that its attempt began; a timeout decided here does not: an attempt that never
    // said it started has no start, and its duration counts from its assignment.
    boolean impliedStart = task.state == TaskState.ASSIGNED && !TaskError.TIMEOUT.equals(error.type());
    Instant start = impliedStart ? impliedStartOf(task, startedAt, at) : null;
    RetryPolicy policy = state.definitionOf(taskId).retry();
    long first = state.lastSequence + 1;
    int failures = task.failures + 1;
    if (error.retryable() && policy.allowsAnotherAttempt(failures)) {
      // SPEC §7: "after failed attempt k", k the attempt's number, which reassignments and manual retries raise too
      // (max_attempts counts failures since the last manual retry instead: a retried task gets a fresh budget).
      Duration delay = policy.delayAfter(task.attempt, random);
      if (error.retryAfterMs() != null && error.retryAfterMs() > delay.toMillis()) {
        delay = Duration.ofMillis(error.retryAfterMs()); // SPEC §7: Retry-After waits at least that long
      }
      RetryPlan plan = new RetryPlan(task.attempt + 1, delay.toMillis(), at.plus(delay));
      Consequences consequences = consequences(state, List.of(), requests(state, List.of(), 1), List.of(), null);
      return new TaskFailed(state.workflowId(), taskId, task.attempt, task.providerId, error, impliedStart,
          durationMs(task, impliedStart, start, at), plan, consequences, at, first, start);
    }
    return new TaskFailed(state.workflowId(), taskId, task.attempt, task.providerId, error, impliedStart,
        durationMs(task, impliedStart, start, at), null, afterFinalFailure(state, taskId), at, first, start);
  }

  /**
   * A start time a provider reported, kept between the assignment and {@code end}: another node's clock may
   * be a little off, and a workflow's events must not go back in time. Null when the provider did not say.
   */
  public static Instant startWithin(TaskRun task, Instant startedAt, Instant end) {
    if (startedAt == null) {
      return null;
    }
    // Milliseconds, as every event time: durations computed from envelopes then agree with the state's.
    Instant reported = startedAt.truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    Instant start = task.assignedAt != null && reported.isBefore(task.assignedAt) ? task.assignedAt : reported;
    return start.isAfter(end) ? end : start;
  }

  /**
   * When an attempt whose start nobody reported began: the time its provider gives with the outcome, else its
   * dispatch to the provider. An external worker need not send task:started; its duration counted from the answer
   * was 0 (round 17).
   */
  private static Instant impliedStartOf(TaskRun task, Instant startedAt, Instant end) {
    Instant reported = startWithin(task, startedAt, end);
    return reported != null ? reported : task.assignedAt;
  }

  public TaskRetryReady retryReady(WorkflowState state, String taskId, Instant at) {
    TaskRun task = state.task(taskId);
    boolean requested = hasFreeSlot(state, 0);
    return new TaskRetryReady(state.workflowId(), taskId, task.attempt + 1, requested, at, state.lastSequence + 1);
  }

  /** The task's provider lost the attempt: run it again, unless it has lost too many providers already. */
  public WorkflowEvent reassign(WorkflowState state, String taskId, String reason, Instant at) {
    TaskRun task = state.task(taskId);
    if (task.reassignments >= maxReassignments) {
      TaskError error = new TaskError("task lost its provider " + (task.reassignments + 1)
          + " times (limit " + maxReassignments + "); last: " + reason, false, TaskError.REASSIGNMENTS);
      return new TaskFailed(state.workflowId(), taskId, task.attempt, task.providerId, error, false,
          durationMs(task, false, null, at), null, afterFinalFailure(state, taskId), at, state.lastSequence + 1);
    }
    boolean requested = hasFreeSlot(state, 1);
    return new TaskReassigned(state.workflowId(), taskId, task.attempt, task.attempt + 1, task.providerId, reason,
        requested, at, state.lastSequence + 1);
  }

  /** SPEC §5: cancel a running workflow; every unfinished task is cancelled. */
  public WorkflowEvent.WorkflowCancelled cancel(WorkflowState state, String reason, Instant at) {
    List<String> cancelled = new ArrayList<>();
    for (TaskRun t : state.taskRuns()) {
      if (!t.state.terminal()) {
        cancelled.add(t.id);
      }
    }
    return new WorkflowEvent.WorkflowCancelled(state.workflowId(), cancelled, onProviders(state, cancelled), reason, at,
        state.lastSequence + 1);
  }

  /**
   * SPEC §3 and §5: retry a failed or cancelled task by hand as a new attempt, reopening what its failure
   * skipped or cancelled: its downstream tasks, and every task that the failure cancelled under error strategy
   * stop, or the workflow's cancellation cancelled. Each only if it can run, that is if each of its dependencies
   * has completed, is reopened too or has not finished yet (a task downstream of another failed task stays as it
   * is, and the workflow ends failed again). The retried task waits for the dependencies that the retry reopens
   * when each of the others has completed; otherwise it runs at once, on whatever its dependencies left: a failed
   * dependency's result is null, and a path into it fails the task at once (SPEC §2). The caller has checked
   * that the task is failed or cancelled and that none of its dependencies is still unfinished
   * ({@link #unfinishedDependency}).
   */
  public WorkflowEvent.TaskRetriedManually retryByHand(WorkflowState state, String taskId, String deadLetterId,
                                                      Instant at) {
    TaskRun task = state.task(taskId);
    Set<String> reopen = new LinkedHashSet<>();
    for (String id : state.dag().downstreamOf(taskId)) {
      TaskState s = state.task(id).state;
      if (s == TaskState.SKIPPED || s == TaskState.CANCELLED) {
        reopen.add(id);
      }
    }
    boolean stopped = state.status == WorkflowStatus.FAILED && state.definition.errorStrategy() == ErrorStrategy.STOP;
    if (stopped || state.status == WorkflowStatus.CANCELLED) {
      for (TaskRun t : state.taskRuns()) {
        if (t.state == TaskState.CANCELLED && !t.id.equals(taskId)) {
          reopen.add(t.id);
        }
      }
    }
    Set<String> settled = new LinkedHashSet<>();
    Set<String> unfinished = new LinkedHashSet<>();
    for (TaskRun t : state.taskRuns()) {
      if (t.state == TaskState.COMPLETED) {
        settled.add(t.id);
      } else if (!t.state.terminal()) {
        unfinished.add(t.id);
      }
    }
    keepThoseThatCanRun(state, taskId, reopen, settled, unfinished);
    // The retried task waits for the dependencies the retry reopens (it would run beside them, on their cancelled
    // attempt's nothing); it then runs on what the others left, one that stays failed or cancelled included.
    boolean retriedWaits = state.dag().dependenciesOf(taskId).stream().anyMatch(reopen::contains);
    List<WorkflowEvent.TaskRetriedManually.Reopened> reopened = new ArrayList<>();
    List<String> nowReady = new ArrayList<>();
    if (!retriedWaits) {
      nowReady.add(taskId);
    }
    for (TaskRun t : state.taskRuns()) { // definition order
      if (!reopen.contains(t.id)) {
        continue;
      }
      String id = t.id;
      boolean ready = settled.containsAll(state.dag().dependenciesOf(id));
      int attempt = nextAttempt(t);
      reopened.add(new WorkflowEvent.TaskRetriedManually.Reopened(id, attempt, ready));
      if (ready) {
        nowReady.add(id);
      }
    }
    boolean reopensWorkflow = state.status != WorkflowStatus.RUNNING;
    List<String> requested = requestsAfterReopening(state, nowReady);
    return new WorkflowEvent.TaskRetriedManually(state.workflowId(), taskId, nextAttempt(task), retriedWaits,
        reopened, requested, reopensWorkflow, deadLetterId, reopensWorkflow ? state.status : null, at,
        state.lastSequence + 1);
  }

  /**
   * A dependency of {@code taskId} that has not finished (it runs again after a retry of its own), or null: a
   * retry of the task now would run it on that dependency's last attempt, or have it wait in a running workflow
   * with nothing to say so, so the caller refuses it until the dependency has finished.
   */
  public String unfinishedDependency(WorkflowState state, String taskId) {
    for (String d : state.dag().dependenciesOf(taskId)) {
      if (!state.task(d).state.terminal()) {
        return d;
      }
    }
    return null;
  }

  /**
   * SPEC §3: the attempt grows with every new execution. A task cancelled or skipped before a provider was ever
   * asked for its attempt (it waited for its dependencies) runs that attempt for the first time; any other ran
   * it, or may still be granted it (a grant for an old attempt must not fit the new one).
   */
  private static int nextAttempt(TaskRun task) {
    boolean cancelledOrSkipped = task.state == TaskState.CANCELLED || task.state == TaskState.SKIPPED;
    boolean neverAskedFor = cancelledOrSkipped && task.providerId == null && task.askedAt == null;
    return neverAskedFor ? task.attempt : task.attempt + 1;
  }

  /**
   * Drops from {@code reopen} every task that could never run: one with a dependency that neither completed
   * ({@code settled}), nor runs again (the retried task or another reopened one), nor is still to finish
   * ({@code unfinished}: running again after a retry of its own). Repeated until nothing changes, as dropping
   * one task can strand those that depend on it.
   */
  private static void keepThoseThatCanRun(WorkflowState state, String retried, Set<String> reopen,
                                          Set<String> settled, Set<String> unfinished) {
    boolean changed = true;
    while (changed) {
      changed = reopen.removeIf(id -> state.dag().dependenciesOf(id).stream()
          .anyMatch(d -> !d.equals(retried) && !settled.contains(d) && !reopen.contains(d)
              && !unfinished.contains(d)));
    }
  }

  private List<String> requestsAfterReopening(WorkflowState state, List<String> nowReady) {
    Integer max = state.definition.maxParallel();
    if (max == null) {
      return nowReady;
    }
    int free = max - state.inFlight();
    List<String> ordered = byPriority(state.definition, nowReady);
    return free <= 0 ? List.of() : List.copyOf(ordered.subList(0, Math.min(free, ordered.size())));
  }

  /** The provider of each of these tasks that a provider holds (assigned or running): task:cancelled names it. */
  private static Map<String, String> onProviders(WorkflowState state, List<String> taskIds) {
    Map<String, String> on = new java.util.HashMap<>();
    for (String id : taskIds) {
      TaskRun t = state.task(id);
      if (t.heldByProvider()) {
        on.put(id, t.providerId);
      }
    }
    return on;
  }

  /** SPEC §3: what a task failing for good does to the rest of the workflow, under its error strategy. */
  private Consequences afterFinalFailure(WorkflowState state, String taskId) {
    if (state.definition.errorStrategy() == ErrorStrategy.STOP) {
      List<String> cancelled = new ArrayList<>();
      for (TaskRun t : state.taskRuns()) {
        if (!t.id.equals(taskId) && !t.state.terminal()) {
          cancelled.add(t.id);
        }
      }
      return new Consequences(List.of(), List.of(), List.of(), cancelled, WorkflowStatus.FAILED, Map.of(),
          onProviders(state, cancelled));
    }
    // Every pending task downstream is skipped, except a task retried by hand that waits for what its retry
    // reopened: it runs on what they left, as when one of them completes and another stays failed, and so does
    // not pass the skip on (SPEC §3: a manual retry always runs; it was skipped without an attempt, round 17).
    Dag dag = state.dag();
    Set<String> reached = new HashSet<>();
    Set<String> retriedWaiting = new HashSet<>();
    Deque<String> frontier = new ArrayDeque<>(List.of(taskId));
    while (!frontier.isEmpty()) {
      for (String d : dag.dependentsOf(frontier.poll())) {
        TaskRun t = state.task(d);
        if (t.retriedWaiting && t.state == TaskState.PENDING) {
          retriedWaiting.add(d);
        } else if (reached.add(d)) {
          frontier.add(d);
        }
      }
    }
    List<String> downstream = dag.downstreamOf(taskId);
    List<String> skipped = downstream.stream()
        .filter(id -> reached.contains(id) && state.task(id).state == TaskState.PENDING).toList();
    Set<String> endedNow = new LinkedHashSet<>(skipped);
    endedNow.add(taskId);
    List<String> readied = downstream.stream().filter(retriedWaiting::contains)
        .filter(id -> dag.dependenciesOf(id).stream().allMatch(d -> endedNow.contains(d) || met(state, id, d)))
        .toList();
    WorkflowStatus outcome = readied.isEmpty() && allEndedExcept(state, endedNow) ? WorkflowStatus.FAILED : null;
    List<String> requested = outcome == null ? requests(state, readied, 1) : List.of();
    return consequences(state, readied, requested, skipped, outcome);
  }

  /**
   * Whether {@code dependency} no longer holds {@code dependent} back: it completed, or the dependent was retried by
   * hand and waits only for what its retry reopened, running on what the others left once they ended.
   */
  private static boolean met(WorkflowState state, String dependent, String dependency) {
    TaskState s = state.task(dependency).state;
    return s == TaskState.COMPLETED || state.task(dependent).retriedWaiting && s.terminal();
  }

  /** Consequences that name the attempt of each readied or requested task that is not at its first. */
  private static Consequences consequences(WorkflowState state, List<String> readied, List<String> requested,
                                           List<String> skipped, WorkflowStatus outcome) {
    Map<String, Integer> attempts = new HashMap<>();
    for (List<String> ids : List.of(readied, requested)) {
      for (String id : ids) {
        int attempt = state.task(id).attempt;
        if (attempt != 1) {
          attempts.put(id, attempt);
        }
      }
    }
    return new Consequences(readied, requested, skipped, List.of(), outcome, attempts);
  }

  /**
   * Which ready tasks to ask a provider for now: all of them, or under {@code max_parallel} as many as there
   * are free slots, highest priority first. {@code freed} is how many in-flight tasks this decision ends.
   */
  private List<String> requests(WorkflowState state, List<String> readied, int freed) {
    Integer max = state.definition.maxParallel();
    if (max == null) {
      return readied;
    }
    List<String> candidates = new ArrayList<>();
    for (TaskRun t : state.taskRuns()) {
      if (t.state == TaskState.READY && !t.requested) {
        candidates.add(t.id);
      }
    }
    candidates.addAll(readied);
    int free = max - (state.inFlight() - freed);
    if (free <= 0 || candidates.isEmpty()) {
      return List.of();
    }
    List<String> ordered = byPriority(state.definition, candidates);
    return List.copyOf(ordered.subList(0, Math.min(free, ordered.size())));
  }

  private boolean hasFreeSlot(WorkflowState state, int freed) {
    Integer max = state.definition.maxParallel();
    return max == null || state.inFlight() - freed < max;
  }

  private static List<String> byPriority(WorkflowDefinition definition, List<String> ids) {
    List<String> ordered = new ArrayList<>(ids);
    // Stable sort: equal priorities keep definition order.
    ordered.sort(Comparator.comparing((String id) -> definition.task(id).priority()).reversed());
    return ordered;
  }

  /** True when every task is terminal once the given open tasks end too. */
  private static boolean allEndedExcept(WorkflowState state, Set<String> endingNow) {
    int stillOpen = state.openTasks;
    for (String id : endingNow) {
      if (!state.task(id).state.terminal()) {
        stillOpen--;
      }
    }
    return stillOpen == 0;
  }

  private static boolean anyFailed(WorkflowState state) {
    return state.failedTasks > 0;
  }

  /**
   * From the attempt's start to {@code at}: the recorded start, or for an implied one the start the event records
   * ({@code impliedStartAt}: the provider's, else the dispatch), so that duration_ms is completed_at -
   * started_at. An attempt that never started (lost before it began) counts from its assignment; one that never
   * reached a provider (a schedule-to-start timeout) has no duration: null.
   */
  private static Long durationMs(TaskRun task, boolean impliedStart, Instant reportedStart, Instant at) {
    Instant from = impliedStart ? (reportedStart != null ? reportedStart : at)
        : task.startedAt != null ? task.startedAt : task.assignedAt;
    return from == null ? null : Math.max(0, Duration.between(from, at).toMillis());
  }

  static TaskOutcome outcomeOf(WorkflowState state, String taskId) {
    TaskRun t = state.task(taskId);
    if (t == null) {
      return null;
    }
    return new TaskOutcome(t.result, t.state.wire(), t.providerId, t.durationMs);
  }
}
