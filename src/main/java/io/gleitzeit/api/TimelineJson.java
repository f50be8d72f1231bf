package io.gleitzeit.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.events.Timestamps;
import io.gleitzeit.workflow.WorkflowTimeline;

/** The JSON of {@code GET /workflows/{id}/timeline}. */
final class TimelineJson {

  private TimelineJson() {}

  static ObjectNode render(WorkflowTimeline.Timeline t) {
    ObjectNode body = Json.MAPPER.createObjectNode().put("workflow_id", t.workflowId()).put("status", t.status())
        .put("submitted_at", Timestamps.format(t.submittedAt()))
        .put("completed_at", Timestamps.format(t.completedAt()));
    ArrayNode tasks = body.putArray("tasks");
    for (WorkflowTimeline.Task task : t.tasks()) {
      ObjectNode item = tasks.addObject().put("id", task.id()).put("method", task.method())
          .put("state", task.state());
      ArrayNode attempts = item.putArray("attempts");
      for (WorkflowTimeline.Attempt a : task.attempts()) {
        attempts.addObject().put("attempt", a.attempt()).put("provider_id", a.providerId())
            .put("ready_at", Timestamps.format(a.readyAt()))
            .put("assigned_at", Timestamps.format(a.assignedAt()))
            .put("started_at", Timestamps.format(a.startedAt()))
            .put("finished_at", Timestamps.format(a.finishedAt()))
            .put("outcome", a.outcome() == null ? null : a.outcome().wire())
            .put("error", a.error())
            .put("wait_ms", a.waitMs())
            .put("run_ms", a.runMs())
            .put("rejected_reports", a.rejectedReports());
      }
    }
    return body;
  }
}
