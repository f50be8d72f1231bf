package io.gleitzeit.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.events.Timestamps;
import io.gleitzeit.provider.ProviderView;
import io.gleitzeit.provider.TaskKey;

/** Renders a provider as {@code GET /providers/{id}} shows it (SPEC §6). */
public final class ProviderJson {

  private ProviderJson() {}

  public static ObjectNode render(ProviderView v) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("id", v.spec().id());
    o.put("type", v.spec().type());
    ArrayNode methods = o.putArray("methods");
    v.spec().methods().forEach(methods::add);
    o.put("max_concurrency", v.spec().maxConcurrency());
    ObjectNode labels = o.putObject("labels");
    v.spec().labels().forEach(labels::put);
    o.put("status", v.status());
    o.put("health_score", Math.round(v.healthScore() * 1000) / 1000.0);
    o.put("load", v.load());
    ArrayNode held = o.putArray("held_tasks");
    for (TaskKey k : v.heldTasks()) {
      held.addObject().put("workflow_id", k.workflowId()).put("task_id", k.taskId()).put("attempt", k.attempt());
    }
    o.put("last_heartbeat", Timestamps.format(v.lastHeartbeat()));
    o.put("registered_at", Timestamps.format(v.registeredAt()));
    o.put("connected", v.connected());
    o.put("success_rate", Math.round(v.successRate() * 1000) / 1000.0);
    o.put("average_latency_ms", Math.round(v.averageLatencyMs()));
    return o;
  }
}
