package io.gleitzeit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.node.GleitzeitNode;
import io.gleitzeit.node.NodeConfig;
import io.gleitzeit.node.NodeStartException;
import io.gleitzeit.node.Preflight;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", description = "Start an embedded node, run the demo workflow, show its events and results, stop.")
final class DemoCommand implements Callable<Integer> {

  @Option(names = "--data-dir", description = "journal directory (default: a fresh temporary one)") Path dataDir;

  @Override
  public Integer call() throws IOException, InterruptedException {
    Path dir = dataDir != null ? dataDir : Files.createTempDirectory("gleitzeit-demo");
    System.out.println("Starting an embedded Gleitzeit node (journal in " + dir + ") ...");
    GleitzeitNode node;
    try {
      var config = NodeConfig.load(0, 0, dir, null);
      Preflight.check(config);
      node = GleitzeitNode.start(config);
    } catch (NodeStartException e) {
      System.err.println("gleitzeit: cannot start the demo node: " + e.getMessage());
      return 1;
    }
    try (node) {
      ApiClient api = new ApiClient(node.baseUrl());
      byte[] definition;
      try (InputStream in = DemoCommand.class.getResourceAsStream("/demo/demo-workflow.yaml")) {
        definition = in.readAllBytes();
      }
      System.out.println("Node ready at " + node.baseUrl() + ". Submitting the demo workflow:\n");
      System.out.println(new String(definition, java.nio.charset.StandardCharsets.UTF_8));
      ApiClient.Response submitted = api.post("/workflows", "application/yaml", definition);
      if (submitted.status() != 202) {
        System.err.println("submission failed: HTTP " + submitted.status() + " " + submitted.body());
        return 1;
      }
      String id = Json.MAPPER.readTree(submitted.body()).path("workflow_id").asText();
      System.out.println("POST /workflows -> 202 " + submitted.body() + "\n\nEvents of " + id + " as they happen:");
      JsonNode end = EventStream.follow(api, id, false);
      JsonNode workflow = Json.MAPPER.readTree(api.get("/workflows/" + id).body());
      System.out.println("\nResults:");
      for (JsonNode task : workflow.path("tasks")) {
        System.out.printf("  %-11s %-10s attempt %s on %s%n    result: %s%n", task.path("id").asText(),
            task.path("state").asText(), task.path("attempt").asText(), task.path("provider_id").asText(),
            Json.compact(task.path("result")));
      }
      System.out.println("\nWorkflow " + id + " " + workflow.path("status").asText() + ". Stopping the node.");
      return end != null && "workflow:completed".equals(end.path("event_type").asText()) ? 0 : 1;
    }
  }
}
