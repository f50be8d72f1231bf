package io.gleitzeit.workflow;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The workflow entity's next write while it is being gathered (group commit, see {@code WorkflowEntity.group}):
 * events decided from providers' reports but not yet persisted, what runs once they are, and the assignments
 * asked for early whose answers the write waits for. Plain bookkeeping: the entity decides when to write.
 */
final class ReportGroup {

  /** What one write persists, and what runs after it, in order. */
  record Write(List<WorkflowEvent> events, List<Consumer<WorkflowState>> effects) {}

  private final List<WorkflowEvent> events = new ArrayList<>();
  private final List<Consumer<WorkflowState>> effects = new ArrayList<>();
  /** Tasks asked for before this write whose coordinator answer (grant or wait) has not arrived. */
  private final Set<String> answersAwaited = new HashSet<>();
  /** Tasks asked for before their readiness was written: the write's own effects must not ask again. */
  private final Set<String> requestedEarly = new HashSet<>();

  boolean isEmpty() {
    return events.isEmpty();
  }

  void add(WorkflowEvent event, Consumer<WorkflowState> then) {
    events.add(event);
    effects.add(then);
  }

  /** {@code taskId} was asked for before the write: the write waits for its answer. */
  void requestedEarly(String taskId) {
    requestedEarly.add(taskId);
    answersAwaited.add(taskId);
  }

  /** The coordinator answered for {@code taskId}; true when it was the last answer a gathered write waited for. */
  boolean answered(String taskId) {
    return answersAwaited.remove(taskId) && answersAwaited.isEmpty() && !events.isEmpty();
  }

  boolean awaitsAnswers() {
    return !answersAwaited.isEmpty();
  }

  /** True once per early request: the effect that would ask for {@code taskId} skips it. */
  boolean takeRequestedEarly(String taskId) {
    return requestedEarly.remove(taskId);
  }

  /** Everything gathered, for one write; the group starts empty again (answers that come later are not awaited). */
  Write drain() {
    Write write = new Write(List.copyOf(events), List.copyOf(effects));
    events.clear();
    effects.clear();
    answersAwaited.clear();
    return write;
  }
}
