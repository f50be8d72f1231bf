package io.gleitzeit.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.TaskDefinition;
import io.gleitzeit.serialization.JsonSerializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** An immutable picture of a workflow in the shape of SPEC §4's {@code GET /workflows/{id}}. */
public record WorkflowView(
    String workflowId, String name, String description, String status, String errorStrategy, String priority,
    Integer maxParallel, Instant submittedAt, Instant completedAt, ObjectNode metadata, long lastSequence,
    List<TaskView> tasks) implements JsonSerializable {

  public record TaskView(
      String id, String name, String method, String state, int attempt, String providerId,
      List<String> dependencies, ObjectNode params, JsonNode result, TaskError error, Instant readyAt,
      Instant assignedAt, Instant startedAt, Instant completedAt, Long durationMs, Instant retryAt,
      String waitingFor) {}

  public static WorkflowView of(WorkflowState state, Map<String, String> waitingFor) {
    List<TaskView> tasks = new ArrayList<>(state.tasks.size());
    for (TaskDefinition def : state.definition.tasks()) {
      TaskRun t = state.task(def.id());
      String waiting = null;
      if (t.state == io.gleitzeit.domain.TaskState.READY) {
        waiting = t.requested ? waitingFor.get(def.id())
            : "max_parallel of " + state.definition.maxParallel() + " running tasks reached";
      }
      tasks.add(new TaskView(def.id(), def.name(), def.method(), t.state.wire(), t.attempt, t.providerId,
          def.dependencies(), t.params != null ? t.params : def.params(), t.result, t.error, t.readyAt,
          t.assignedAt, t.startedAt, t.completedAt, t.durationMs, t.retryAt, waiting));
    }
    var d = state.definition;
    return new WorkflowView(d.id(), d.name(), d.description(), state.status.wire(), d.errorStrategy().wire(),
        d.priority().wire(), d.maxParallel(), state.submittedAt, state.completedAt, d.metadata(),
        state.lastSequence, List.copyOf(tasks));
  }
}
