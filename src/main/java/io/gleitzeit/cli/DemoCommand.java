package io.gleitzeit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.node.GleitzeitNode;
import io.gleitzeit.node.NodeConfig;
import io.gleitzeit.node.NodeStartException;
import io.gleitzeit.node.Preflight;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The original demo: an embedded node whose MCP filesystem server lists and reads a sample project, an analysis
 * step (an LLM when one answers at {@code GLEITZEIT_LLM_URL}, else {@code script/run wc}) fed the MCP results
 * through {@code ${...}}, the events streamed live with the substitution audit, then provider health and
 * statistics. Without Node.js it runs the same kind of workflow on the built-in test provider, and says so.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Start an embedded node, run the demo workflow, show its events and results, stop.")
final class DemoCommand implements Callable<Integer> {

  /** How long the MCP server may take to start and list its tools before the demo falls back. */
  private static final long MCP_START_MS = 30_000;

  @Option(names = "--data-dir", description = "journal directory (default: a fresh temporary one)") Path dataDir;

  /** The demo's node while it runs: stopped by the clean-up of an interrupted demo before its files go. */
  private volatile GleitzeitNode node;

  @Override
  public Integer call() throws IOException, InterruptedException {
    if (dataDir != null) {
      if (dataDir.toString().isBlank()) {
        System.err.println("gleitzeit: cannot start the demo node: the data directory is empty: give one with "
            + "--data-dir, or leave it out for a temporary one");
        return 1;
      }
      // Absolute: the MCP server, which serves the sample under it, resolves a relative path from its own directory.
      return runIn(dataDir.toAbsolutePath());
    }
    Path temporary = Files.createTempDirectory("gleitzeit-demo").toAbsolutePath();
    // Ctrl-C or SIGTERM ends the JVM without returning here: the node is stopped and its directory removed then.
    Thread cleanUp = new Thread(() -> {
      GleitzeitNode running = node;
      if (running != null) {
        running.close();
      }
      removeTree(temporary);
    }, "gleitzeit-demo-clean-up");
    Runtime.getRuntime().addShutdownHook(cleanUp);
    try {
      return runIn(temporary);
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(cleanUp);
        removeTree(temporary);
      } catch (IllegalStateException shuttingDown) {
        // the clean-up hook is running already
      }
    }
  }

  /** Removes what the demo left in its temporary directory once its node has stopped (best effort). */
  private static void removeTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      System.err.println("gleitzeit: the demo's temporary directory " + dir + " was not removed: " + e.getMessage());
    }
  }

  private int runIn(Path dir) throws IOException, InterruptedException {
    DemoEnvironment env = DemoEnvironment.detect(System.getenv());
    env.notes.forEach(note -> System.out.println("Note: " + note));
    Path sample;
    Path config = dir.resolve("demo-node.conf");
    try {
      Files.createDirectories(dir);
      sample = env.mcp() ? DemoEnvironment.copySample(dir) : null;
      Files.writeString(config, env.nodeConfig(sample));
    } catch (IOException e) {
      System.err.println("gleitzeit: cannot start the demo node: cannot write into the data directory " + dir + ": "
          + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()));
      return 1;
    }
    System.out.println("Starting an embedded Gleitzeit node (journal in " + dir
        + (dataDir == null ? ", removed when the demo ends; --data-dir keeps it" : "") + ") ...");
    GleitzeitNode started;
    try {
      var nodeConfig = NodeConfig.load(0, 0, dir, config);
      Preflight.check(nodeConfig);
      started = GleitzeitNode.start(nodeConfig);
    } catch (NodeStartException e) {
      System.err.println("gleitzeit: cannot start the demo node: " + e.getMessage());
      return 1;
    }
    node = started;
    try (started) {
      ApiClient api = new ApiClient(started.baseUrl());
      boolean mcp = env.mcp() && awaitMcpServer(api);
      // Named here, so that its stream is open before it runs: task:progress is live only (SPEC §4).
      String id = "wf-" + UUID.randomUUID();
      String definition = (mcp ? env.workflow(sample) : DemoEnvironment.resource("demo-workflow.yaml"))
          .replace("@ID@", id);
      System.out.println("Node ready at " + started.baseUrl() + ". Submitting the demo workflow:\n");
      System.out.println(definition);
      HttpResponse<Stream<String>> stream = EventStream.open(api, id);
      ApiClient.Response submitted = api.post("/workflows", "application/yaml",
          definition.getBytes(StandardCharsets.UTF_8));
      if (submitted.status() != 202) {
        stream.body().close();
        System.err.println("submission failed: HTTP " + submitted.status() + " " + submitted.body());
        return 1;
      }
      System.out.println("POST /workflows -> 202 " + submitted.body() + "\n\nEvents of " + id
          + " as they happen (with the substitution audit of parameters:resolved):");
      DemoReport report = new DemoReport(System.out);
      JsonNode end = EventStream.follow(api, id, stream, report::event);
      JsonNode workflow = Json.MAPPER.readTree(api.get("/workflows/" + id).body());
      report.results(workflow);
      report.providers(Json.MAPPER.readTree(api.get("/providers").body()));
      report.statistics(workflow, Json.MAPPER.readTree(api.get("/workflows/" + id + "/events").body()));
      System.out.println("\nWorkflow " + id + " " + workflow.path("status").asText() + ". Stopping the node.");
      return end != null && "workflow:completed".equals(end.path("event_type").asText()) ? 0 : 1;
    } finally {
      node = null; // stopped: nothing for the clean-up to stop
    }
  }

  /** Waits for the MCP provider to have registered its tools; false (said why) when it does not in time. */
  private static boolean awaitMcpServer(ApiClient api) throws IOException, InterruptedException {
    System.out.println("Starting the MCP filesystem server; its tools become the provider's methods ...");
    long deadline = System.nanoTime() + MCP_START_MS * 1_000_000;
    while (System.nanoTime() < deadline) {
      ApiClient.Response r = api.get("/providers/" + DemoEnvironment.MCP_PROVIDER);
      if (r.status() == 200) {
        JsonNode provider = Json.MAPPER.readTree(r.body());
        if ("available".equals(provider.path("status").asText())) {
          StringBuilder methods = new StringBuilder();
          provider.path("methods").forEach(m -> methods.append(methods.length() == 0 ? "" : ", ").append(m.asText()));
          System.out.println("MCP provider '" + DemoEnvironment.MCP_PROVIDER + "' registered "
              + provider.path("methods").size() + " tools: " + methods);
          return true;
        }
      }
      Thread.sleep(100); // registration follows the server's start; there is no event to wait on before it
    }
    System.out.println("Note: the MCP filesystem server did not start within " + MCP_START_MS / 1000 + " s (the"
        + " node's log above says why): the demo runs on the built-in test provider instead.");
    return false;
  }
}
