package io.gleitzeit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.domain.Json;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/** What the demo prints besides the event lines: the substitution audit, provider health, final statistics. */
final class DemoReport {

  private static final int VALUE_CHARS = 90;

  private final PrintStream out;

  DemoReport(PrintStream out) {
    this.out = out;
  }

  /** Each event as a line; a {@code parameters:resolved} one also with every substitution it made. */
  void event(JsonNode envelope) {
    out.println(EventPrinter.line(envelope));
    if (envelope.path("event_type").asText().equals("parameters:resolved")) {
      for (JsonNode s : envelope.at("/payload/substitutions")) {
        out.printf("         substituted %s at %s = %s%n", s.path("placeholder").asText(), s.path("path").asText(),
            shorten(s.path("value").isTextual() ? s.path("value").textValue() : Json.compact(s.path("value"))));
      }
    }
  }

  void providers(JsonNode list) {
    out.println("\nProvider health (GET /providers):");
    for (JsonNode p : list.path("providers")) {
      int methods = p.path("methods").size();
      out.printf("  %-12s %-7s %-10s health %.2f  load %d/%d  %d %s  success %.0f%%  avg %d ms%n",
          p.path("id").asText(), p.path("type").asText(), p.path("status").asText(),
          p.path("health_score").asDouble(), p.path("load").asInt(), p.path("max_concurrency").asInt(),
          methods, methods == 1 ? "method " : "methods", p.path("success_rate").asDouble() * 100,
          p.path("average_latency_ms").asLong());
    }
  }

  void results(JsonNode workflow) {
    out.println("\nResults:");
    for (JsonNode task : workflow.path("tasks")) {
      out.printf("  %-8s %-10s attempt %s on %-12s %s%n", task.path("id").asText(), task.path("state").asText(),
          task.path("attempt").asText(), task.path("provider_id").asText(), duration(task));
      JsonNode result = task.path("result");
      String shown = result.path("text").isTextual() ? result.path("text").textValue()
          : result.path("response").isTextual() ? result.path("response").textValue()
          : result.path("stdout").isTextual() ? result.path("stdout").textValue() : Json.compact(result);
      if (!task.path("error").isNull()) {
        shown = "error: " + task.at("/error/message").asText();
      }
      shown.lines().limit(12).forEach(line -> out.println("      " + line));
    }
  }

  void statistics(JsonNode workflow, JsonNode events) {
    Map<String, Integer> byGroup = new TreeMap<>();
    int total = 0;
    for (JsonNode e : events.path("events")) {
      byGroup.merge(e.path("event_type").asText().split(":")[0], 1, Integer::sum);
      total++;
    }
    Map<String, Integer> byState = new TreeMap<>();
    workflow.path("tasks").forEach(t -> byState.merge(t.path("state").asText(), 1, Integer::sum));
    out.println("\nStatistics:");
    out.println("  workflow  " + workflow.path("status").asText() + " in " + between(workflow.path("submitted_at"),
        workflow.path("completed_at")));
    out.println("  tasks     " + byState);
    out.println("  events    " + total + " recorded " + byGroup);
  }

  private static String duration(JsonNode task) {
    return between(task.path("started_at"), task.path("completed_at"));
  }

  private static String between(JsonNode from, JsonNode to) {
    if (!from.isTextual() || !to.isTextual()) {
      return "";
    }
    return Duration.between(Instant.parse(from.asText()), Instant.parse(to.asText())).toMillis() + " ms";
  }

  private static String shorten(String s) {
    String one = s.replace("\n", "\\n");
    return one.length() <= VALUE_CHARS ? one : one.substring(0, VALUE_CHARS) + "…";
  }
}
