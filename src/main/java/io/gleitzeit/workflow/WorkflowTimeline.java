package io.gleitzeit.workflow;

import io.gleitzeit.domain.TaskDefinition;
import io.gleitzeit.domain.WorkflowStatus;
import io.gleitzeit.workflow.WorkflowEvent.ReportRejected;
import io.gleitzeit.workflow.WorkflowEvent.TaskAssigned;
import io.gleitzeit.workflow.WorkflowEvent.TaskCompleted;
import io.gleitzeit.workflow.WorkflowEvent.TaskFailed;
import io.gleitzeit.workflow.WorkflowEvent.TaskReassigned;
import io.gleitzeit.workflow.WorkflowEvent.TaskResolutionFailed;
import io.gleitzeit.workflow.WorkflowEvent.TaskRetriedManually;
import io.gleitzeit.workflow.WorkflowEvent.TaskRetryReady;
import io.gleitzeit.workflow.WorkflowEvent.TaskStarted;
import io.gleitzeit.workflow.WorkflowEvent.WorkflowCancelled;
import io.gleitzeit.workflow.WorkflowEvent.WorkflowSubmitted;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A workflow's timeline for debugging ({@code GET /workflows/{id}/timeline}): per task, every attempt with
 * when it became ready, was assigned, started and finished, on which provider, and how it ended. A pure
 * fold over the workflow's journal events, in order; no clock and no Pekko. The task's final state comes
 * from {@link WorkflowState}, folded alongside, so the two never disagree.
 */
public final class WorkflowTimeline {

  /** How an attempt ended; {@code null} on an attempt that has not ended. */
  public enum Outcome {
    COMPLETED, FAILED, TIMED_OUT, REASSIGNED, CANCELLED, RESOLUTION_FAILED;

    public String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** One attempt of a task. Times are null for steps it never reached. */
  public record Attempt(int attempt, String providerId, Instant readyAt, Instant assignedAt, Instant startedAt,
                        Instant finishedAt, Outcome outcome, String error, int rejectedReports) {

    /** Ready to started: how long the attempt waited for a provider to begin it. */
    public Long waitMs() {
      return between(readyAt, startedAt);
    }

    /** Started to finished. */
    public Long runMs() {
      return between(startedAt, finishedAt);
    }

    private static Long between(Instant from, Instant to) {
      return from == null || to == null ? null : Duration.between(from, to).toMillis();
    }
  }

  public record Task(String id, String method, String state, List<Attempt> attempts) {}

  public record Timeline(String workflowId, String status, Instant submittedAt, Instant completedAt,
                         List<Task> tasks) {}

  /** Mutable attempt while folding. */
  private static final class Building {
    final int attempt;
    String providerId;
    Instant readyAt;
    Instant assignedAt;
    Instant startedAt;
    Instant finishedAt;
    Outcome outcome;
    String error;
    int rejectedReports;

    Building(int attempt) {
      this.attempt = attempt;
    }

    Attempt done() {
      return new Attempt(attempt, providerId, readyAt, assignedAt, startedAt, finishedAt, outcome, error,
          rejectedReports);
    }
  }

  private final WorkflowState state = WorkflowState.empty();
  private final Map<String, List<Building>> attempts = new LinkedHashMap<>();

  private WorkflowTimeline() {}

  /** The timeline after these events; null when they hold no submission (no such workflow). */
  public static Timeline of(List<WorkflowEvent> events) {
    WorkflowTimeline fold = new WorkflowTimeline();
    events.forEach(fold::apply);
    return fold.result();
  }

  private void apply(WorkflowEvent event) {
    if (event instanceof WorkflowSubmitted e) {
      for (TaskDefinition t : e.definition().tasks()) {
        attempts.put(t.id(), new ArrayList<>());
      }
      e.readied().forEach(id -> ready(id, 1, e.at()));
    } else if (event instanceof TaskAssigned e) {
      Building a = attempt(e.taskId(), e.attempt());
      a.providerId = e.providerId();
      a.assignedAt = e.at();
    } else if (event instanceof TaskResolutionFailed e) {
      Building a = attempt(e.taskId(), e.attempt());
      a.providerId = e.providerId();
      a.assignedAt = e.at();
      end(a, Outcome.RESOLUTION_FAILED, e.at(), e.reason());
      consequences(e.consequences(), e.at());
    } else if (event instanceof TaskStarted e) {
      attempt(e.taskId(), e.attempt()).startedAt = e.at();
    } else if (event instanceof TaskCompleted e) {
      Building a = attempt(e.taskId(), e.attempt());
      started(a, e.impliedStart(), e.providerId(), e.impliedStartAt());
      end(a, Outcome.COMPLETED, e.at(), null);
      consequences(e.consequences(), e.at());
    } else if (event instanceof TaskFailed e) {
      Building a = attempt(e.taskId(), e.attempt());
      started(a, e.impliedStart(), e.providerId(), e.impliedStartAt());
      Outcome outcome = TaskError.TIMEOUT.equals(e.error().type()) ? Outcome.TIMED_OUT : Outcome.FAILED;
      end(a, outcome, e.at(), e.error().message());
      consequences(e.consequences(), e.at());
    } else if (event instanceof TaskRetryReady e) {
      ready(e.taskId(), e.attempt(), e.at());
    } else if (event instanceof TaskReassigned e) {
      end(attempt(e.taskId(), e.previousAttempt()), Outcome.REASSIGNED, e.at(), e.reason());
      ready(e.taskId(), e.attempt(), e.at());
    } else if (event instanceof WorkflowCancelled e) {
      e.cancelled().forEach(id -> cancel(id, e.at()));
    } else if (event instanceof TaskRetriedManually e) {
      if (!e.waitsForDependencies()) {
        ready(e.taskId(), e.attempt(), e.at());
      }
      for (TaskRetriedManually.Reopened r : e.reopened()) {
        if (r.ready()) {
          ready(r.taskId(), r.attempt(), e.at());
        }
      }
    } else if (event instanceof ReportRejected e) {
      attempt(e.taskId(), e.attempt()).rejectedReports++;
    }
    state.apply(event);
  }

  private void consequences(Consequences c, Instant at) {
    // A dependent becomes ready at the attempt number the state holds for it (1, or the number a manual
    // retry gave it when it reopened it as pending).
    for (String id : c.readied()) {
      TaskRun run = state.task(id);
      ready(id, run == null ? 1 : run.attempt, at);
    }
    c.cancelled().forEach(id -> cancel(id, at));
  }

  private void cancel(String taskId, Instant at) {
    List<Building> list = attempts.get(taskId);
    if (list != null && !list.isEmpty() && list.get(list.size() - 1).outcome == null) {
      end(list.get(list.size() - 1), Outcome.CANCELLED, at, null);
    }
  }

  /**
   * An outcome's start: the implied one it records, or none when the attempt never began (it timed out before its
   * provider said it started, or no provider took it in time: round 18 saw a start invented at the timeout).
   */
  private static void started(Building a, boolean implied, String providerId, Instant at) {
    if (implied) {
      a.startedAt = at;
    }
    if (a.providerId == null) {
      a.providerId = providerId;
    }
  }

  private static void end(Building a, Outcome outcome, Instant at, String error) {
    a.outcome = outcome;
    a.finishedAt = at;
    a.error = error;
  }

  private void ready(String taskId, int attempt, Instant at) {
    attempt(taskId, attempt).readyAt = at;
  }

  /** The record of this attempt of the task, created on first mention. */
  private Building attempt(String taskId, int attempt) {
    List<Building> list = attempts.computeIfAbsent(taskId, k -> new ArrayList<>());
    for (int i = list.size() - 1; i >= 0; i--) {
      if (list.get(i).attempt == attempt) {
        return list.get(i);
      }
    }
    Building b = new Building(attempt);
    list.add(b);
    return b;
  }

  private Timeline result() {
    if (!state.exists()) {
      return null;
    }
    List<Task> tasks = new ArrayList<>();
    for (TaskDefinition t : state.definition.tasks()) {
      List<Attempt> list = attempts.getOrDefault(t.id(), List.of()).stream().map(Building::done).toList();
      tasks.add(new Task(t.id(), t.method(), state.task(t.id()).state.wire(), list));
    }
    WorkflowStatus status = state.status;
    return new Timeline(state.workflowId(), status.wire(), state.submittedAt, state.completedAt, tasks);
  }
}
