package io.gleitzeit.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.serialization.JsonSerializable;

/** The standard envelope of SPEC §4: all twelve keys, always present, null where they do not apply. */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({"event_id", "event_type", "timestamp", "sequence_number", "source_component", "correlation_id",
    "workflow_id", "task_id", "provider_id", "severity", "payload", "metadata"})
public record EventEnvelope(
    @JsonProperty("event_id") String eventId,
    @JsonProperty("event_type") String eventType,
    @JsonProperty("timestamp") String timestamp,
    @JsonProperty("sequence_number") Long sequenceNumber,
    @JsonProperty("source_component") String sourceComponent,
    @JsonProperty("correlation_id") String correlationId,
    @JsonProperty("workflow_id") String workflowId,
    @JsonProperty("task_id") String taskId,
    @JsonProperty("provider_id") String providerId,
    @JsonProperty("severity") String severity,
    @JsonProperty("payload") ObjectNode payload,
    @JsonProperty("metadata") ObjectNode metadata) implements JsonSerializable {

  /**
   * The envelope as a JSON tree, the same as Jackson's {@code valueToTree} gives, without its round trip
   * through a token buffer that copies payload and metadata (the event index does this for every envelope).
   * The payload and metadata are shared, not copied.
   */
  public ObjectNode toTree() {
    ObjectNode tree = JsonNodeFactory.instance.objectNode();
    tree.put("event_id", eventId);
    tree.put("event_type", eventType);
    tree.put("timestamp", timestamp);
    tree.put("sequence_number", sequenceNumber);
    tree.put("source_component", sourceComponent);
    tree.put("correlation_id", correlationId);
    tree.put("workflow_id", workflowId);
    tree.put("task_id", taskId);
    tree.put("provider_id", providerId);
    tree.put("severity", severity);
    tree.set("payload", payload == null ? NullNode.getInstance() : payload);
    tree.set("metadata", metadata == null ? NullNode.getInstance() : metadata);
    return tree;
  }
}
