package io.gleitzeit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.domain.Json;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "dead-letters", mixinStandardHelpOptions = true,
    description = "List the dead letter queue (oldest first), one line each.")
final class DeadLettersCommand extends ClientCommand {

  private static final int REASON_CHARS = 80;

  @Option(names = "--workflow", description = "only the dead letters of this workflow") String workflowId;
  @Option(names = "--status", description = "pending or requeued") String status;
  @Option(names = "--limit", description = "at most this many (1 to 1000, default 100)") Integer limit;
  @Option(names = "--after", description = "continue after the 'next' cursor a previous page printed") String after;
  @Option(names = "--json", description = "print the answer of GET /dead-letters as JSON") boolean json;

  @Override
  protected int execute() throws IOException, InterruptedException {
    ApiClient.Response response = api.get("/dead-letters" + query());
    if (response.status() != 200 || json) {
      return print(response);
    }
    JsonNode body = Json.MAPPER.readTree(response.body());
    JsonNode letters = body.path("dead_letters");
    if (letters.isEmpty()) {
      System.out.println("no dead letters");
    } else {
      System.out.printf("%-36s  %-6s  %-9s  %-24s  %-20s  %7s  %-24s  %s%n", "ID", "KIND", "STATUS", "ADDED AT",
          "WORKFLOW / TASK", "ATTEMPT", "PROVIDER", "REASON");
      for (JsonNode d : letters) {
        System.out.println(line(d));
      }
    }
    if (!body.path("next").isNull() && !body.path("next").isMissingNode()) {
      System.out.println("more: --after " + body.path("next").asText());
    }
    return 0;
  }

  static String line(JsonNode d) {
    String reason = text(d, "reason").replace('\n', ' ');
    if (reason.length() > REASON_CHARS) {
      reason = reason.substring(0, REASON_CHARS) + "…";
    }
    return String.format("%-36s  %-6s  %-9s  %-24s  %-20s  %7s  %-24s  %s", text(d, "id"), text(d, "kind"),
        text(d, "status"), text(d, "added_at"), text(d, "workflow_id") + " / " + text(d, "task_id"),
        text(d, "attempt"), text(d, "provider_id"), reason);
  }

  private String query() {
    List<String> params = new ArrayList<>();
    add(params, "workflow_id", workflowId);
    add(params, "status", status);
    add(params, "limit", limit == null ? null : String.valueOf(limit));
    add(params, "after", after);
    return params.isEmpty() ? "" : "?" + String.join("&", params);
  }

  private static void add(List<String> params, String name, String value) {
    if (value != null) {
      params.add(name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8));
    }
  }

  private static String text(JsonNode d, String field) {
    JsonNode v = d.path(field);
    return v.isNull() || v.isMissingNode() ? "-" : v.asText();
  }
}
