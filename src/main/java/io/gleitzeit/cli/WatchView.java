package io.gleitzeit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@code gleitzeit watch} shows: a workflow's tasks (state, attempt, provider, duration) as its event
 * envelopes tell them, one envelope at a time. Plain data and string rendering; no I/O, no clock.
 */
final class WatchView {

  /** ANSI: cursor home, clear the screen. */
  static final String CLEAR = "\u001b[H\u001b[2J";

  static final class Row {
    final String taskId;
    String state = "pending";
    int attempt = 1;
    String provider;
    Long durationMs;

    Row(String taskId) {
      this.taskId = taskId;
    }
  }

  private final String workflowId;
  private final Map<String, Row> rows = new LinkedHashMap<>();
  private String status = "running";
  private int events;

  WatchView(String workflowId) {
    this.workflowId = workflowId;
  }

  /** Applies one envelope; returns the task row it changed, or null when no row changed. */
  Row apply(JsonNode e) {
    events++;
    String type = e.path("event_type").asText();
    if (type.startsWith("workflow:") && !type.equals("workflow:submitted") && !type.equals("workflow:state_changed")) {
      status = type.substring("workflow:".length());
      return null;
    }
    String taskId = e.path("task_id").isNull() ? null : e.path("task_id").asText(null);
    if (taskId == null || !type.startsWith("task:")) {
      return null;
    }
    Row row = rows.computeIfAbsent(taskId, Row::new);
    JsonNode p = e.path("payload");
    switch (type) {
      case "task:created" -> row.state = "pending";
      case "task:ready" -> {
        int attempt = p.path("attempt").asInt(row.attempt);
        if (attempt != row.attempt) {
          row.provider = null;
          row.durationMs = null;
        }
        row.attempt = attempt;
        row.state = "ready";
      }
      case "task:assigned" -> {
        row.state = "assigned";
        row.attempt = p.path("attempt").asInt(row.attempt);
        row.provider = e.path("provider_id").asText(null);
        row.durationMs = null;
      }
      case "task:started" -> row.state = "running";
      case "task:completed" -> {
        row.state = "completed";
        row.durationMs = p.has("duration_ms") ? p.path("duration_ms").asLong() : null;
      }
      case "task:failed" -> {
        row.state = p.path("will_retry").asBoolean(false) ? "failed, will retry" : "failed";
        row.durationMs = p.has("duration_ms") && !p.path("duration_ms").isNull() ? p.path("duration_ms").asLong() : null;
      }
      case "task:retry_scheduled" -> row.state = "retry_scheduled";
      case "task:reassigned" -> row.state = "reassigned";
      case "task:cancelled" -> row.state = "cancelled";
      case "task:skipped" -> row.state = "skipped";
      default -> {
        return null; // task:progress and the like change nothing shown
      }
    }
    return row;
  }

  boolean ended() {
    return !"running".equals(status);
  }

  String status() {
    return status;
  }

  /** The whole table. */
  String table() {
    StringBuilder out = new StringBuilder();
    out.append("workflow ").append(workflowId).append("  ").append(status).append("  (").append(events)
        .append(events == 1 ? " event)" : " events)").append('\n');
    int width = Math.max(4, rows.keySet().stream().mapToInt(String::length).max().orElse(4));
    String format = "%-" + width + "s  %-18s  %7s  %-20s  %s%n";
    out.append(String.format(format, "TASK", "STATE", "ATTEMPT", "PROVIDER", "DURATION"));
    for (Row r : rows.values()) {
      out.append(String.format(format, r.taskId, r.state, r.attempt, r.provider == null ? "-" : r.provider,
          duration(r)));
    }
    return out.toString();
  }

  /** One line for a changed row, for output that is not a terminal. */
  static String line(Row r) {
    return String.format("%-20s %-18s attempt %d  %s  %s", r.taskId, r.state, r.attempt,
        r.provider == null ? "-" : r.provider, duration(r)).stripTrailing();
  }

  private static String duration(Row r) {
    return r.durationMs == null ? "-" : r.durationMs + " ms";
  }
}
