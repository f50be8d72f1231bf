package io.gleitzeit.events;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.provider.TaskKey;
import java.time.Instant;
import java.util.UUID;

/**
 * {@code task:progress} (SPEC §4, live only): what a provider reports while an attempt runs, e.g. an LLM's
 * tokens as they stream in or an MCP tool's progress notifications. In the workflow's stream, but never stored:
 * no sequence number, a fresh id.
 */
public final class ProgressEnvelopes {

  static final String SOURCE = "provider_runtime";

  private ProgressEnvelopes() {}

  /** The payload is {@code {attempt}} followed by the provider's own fields. */
  public static EventEnvelope of(TaskKey key, String providerId, Instant at, ObjectNode progress) {
    ObjectNode payload = JsonNodeFactory.instance.objectNode().put("attempt", key.attempt());
    progress.properties().forEach(e -> {
      if (!e.getKey().equals("attempt")) {
        payload.set(e.getKey(), e.getValue());
      }
    });
    return new EventEnvelope(UUID.randomUUID().toString(), "task:progress", Timestamps.format(at), null, SOURCE,
        key.workflowId(), key.workflowId(), key.taskId(), providerId, "debug", payload,
        JsonNodeFactory.instance.objectNode());
  }
}
