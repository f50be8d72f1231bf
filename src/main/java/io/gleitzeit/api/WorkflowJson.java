package io.gleitzeit.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.events.Timestamps;
import io.gleitzeit.workflow.TaskError;
import io.gleitzeit.workflow.WorkflowView;
import io.gleitzeit.workflow.WorkflowView.TaskView;

/** Renders a workflow in the JSON shape of SPEC §4 (snake_case, millisecond UTC timestamps). */
public final class WorkflowJson {

  private WorkflowJson() {}

  public static ObjectNode render(WorkflowView w) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("workflow_id", w.workflowId());
    o.put("name", w.name());
    o.put("description", w.description());
    o.put("status", w.status());
    o.put("error_strategy", w.errorStrategy());
    o.put("priority", w.priority());
    o.put("max_parallel", w.maxParallel());
    o.put("submitted_at", Timestamps.format(w.submittedAt()));
    o.put("completed_at", Timestamps.format(w.completedAt()));
    o.set("metadata", w.metadata());
    o.put("last_sequence", w.lastSequence());
    ArrayNode tasks = o.putArray("tasks");
    for (TaskView t : w.tasks()) {
      ObjectNode task = tasks.addObject();
      task.put("id", t.id());
      task.put("name", t.name());
      task.put("method", t.method());
      task.put("state", t.state());
      task.put("attempt", t.attempt());
      task.put("provider_id", t.providerId());
      t.dependencies().forEach(task.putArray("dependencies")::add);
      task.set("params", t.params());
      task.set("result", t.result());
      task.set("error", error(t.error()));
      task.put("ready_at", Timestamps.format(t.readyAt()));
      task.put("assigned_at", Timestamps.format(t.assignedAt()));
      task.put("started_at", Timestamps.format(t.startedAt()));
      task.put("completed_at", Timestamps.format(t.completedAt()));
      task.put("duration_ms", t.durationMs());
      task.put("retry_at", Timestamps.format(t.retryAt()));
      task.put("waiting_for", t.waitingFor());
    }
    return o;
  }

  private static ObjectNode error(TaskError error) {
    if (error == null) {
      return null;
    }
    return Json.MAPPER.createObjectNode().put("message", error.message()).put("retryable", error.retryable())
        .put("type", error.type());
  }
}
