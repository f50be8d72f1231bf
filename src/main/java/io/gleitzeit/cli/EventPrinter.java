package io.gleitzeit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.domain.Json;

/** One line per event envelope, for people watching a terminal. */
final class EventPrinter {

  private static final int PAYLOAD_CHARS = 110;

  private EventPrinter() {}

  static String line(JsonNode e) {
    String task = e.path("task_id").isNull() ? "" : e.path("task_id").asText();
    String provider = e.path("provider_id").isNull() ? "" : "@" + e.path("provider_id").asText();
    String payload = Json.compact(e.path("payload"));
    if (payload.length() > PAYLOAD_CHARS) {
      payload = payload.substring(0, PAYLOAD_CHARS) + "…";
    }
    return String.format("%4s %s %-8s %-29s %-14s %s",
        e.path("sequence_number").isNull() ? "-" : e.path("sequence_number").asText(),
        e.path("timestamp").asText().substring(11), e.path("severity").asText(), e.path("event_type").asText(),
        task + provider, payload);
  }
}
