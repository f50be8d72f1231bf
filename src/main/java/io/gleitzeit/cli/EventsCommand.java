package io.gleitzeit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.domain.Json;
import java.io.IOException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "events", mixinStandardHelpOptions = true,
    description = "Print a workflow's events, one line each.")
final class EventsCommand extends ClientCommand {

  @Parameters(index = "0", description = "workflow id") String id;
  @Option(names = "--follow", description = "keep printing new events until the workflow ends") boolean follow;
  @Option(names = "--json", description = "print the envelopes as JSON (with --follow: one envelope per line)")
  boolean json;

  @Override
  protected int execute() throws IOException, InterruptedException {
    if (follow) {
      // A stream has no end to close a JSON document with: one compact envelope per line (JSON Lines).
      // Exit 1 unless the workflow completed, as submit --wait and watch: a script reads the outcome from it.
      return followKnown(api, id, e -> System.out.println(json ? Json.compact(e) : EventPrinter.line(e)),
          end -> "workflow:completed".equals(end.path("event_type").asText()) ? 0 : 1);
    }
    ApiClient.Response response = api.get("/workflows/" + ApiClient.segment(id) + "/events");
    if (response.status() != 200 || json) {
      return print(response);
    }
    for (JsonNode e : Json.MAPPER.readTree(response.body()).path("events")) {
      System.out.println(EventPrinter.line(e));
    }
    return 0;
  }
}
