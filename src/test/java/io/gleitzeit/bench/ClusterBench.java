package io.gleitzeit.bench;

import io.gleitzeit.testing.ClusterScript;
import io.gleitzeit.testing.ClusterScript.Node;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Throughput of a local cluster against the number of its nodes (issue 7): for each node count, a cluster started
 * with {@code scripts/cluster start N} (shared journal on the H2 TCP server, or PostgreSQL), a warm-up, then W1
 * (three chained test/echo tasks) and W2 (fan-out of ten and a join) with submissions spread over every node in
 * turn and every workflow's end taken from one live stream ({@code type=workflow:*} on node 1, which carries the
 * events of the whole cluster). Prints one line per run:
 * {@code bench cluster nodes=N journal=J workload=W n= wall_s= wf_per_s= tasks_per_s= p50_ms= p99_ms=}.
 *
 * <p>{@code scripts/bench cluster [--nodes 1,3] [--n 600] [--in-flight 48] [--journal h2|postgres]}.
 */
@Command(name = "bench cluster", mixinStandardHelpOptions = true)
public final class ClusterBench implements Callable<Integer> {

  @Option(names = "--nodes", split = ",", description = "node counts to compare (default 1,3)")
  List<Integer> nodeCounts = List.of(1, 3);

  @Option(names = "--n", description = "workflows per workload (default 600)")
  int n = 600;

  @Option(names = "--in-flight", description = "workflows in flight at once (default 48)")
  int inFlight = 48;

  @Option(names = "--warm-up", description = "W1 workflows before measuring (default 200)")
  int warmUp = 200;

  @Option(names = "--journal", description = "h2 (default) or postgres")
  String journal = "h2";

  @Option(names = "--node-jvm-opts", description = "the nodes' JVM options (default -Xms256m -Xmx768m)")
  String nodeJvmOpts = "-Xms256m -Xmx768m";

  public static void main(String[] args) {
    System.exit(new CommandLine(new ClusterBench()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build();
    List<String> lines = new ArrayList<>();
    for (int nodes : nodeCounts) {
      Path dir = Files.createDirectories(Path.of("target", "bench-cluster", nodes + "-nodes-"
          + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")))).toAbsolutePath();
      Bench.log("starting " + nodes + " node(s) with scripts/cluster in " + dir);
      try (ClusterScript cluster = ClusterScript.builder(dir).nodes(nodes).journal(journal).javaOpts(nodeJvmOpts)
          .start(); WorkflowEnds ends = WorkflowEnds.open(http, cluster.node(1).baseUrl())) {
        List<String> urls = cluster.nodes().stream().map(Node::baseUrl).toList();
        Driver driver = new Driver(http, urls, ends);
        // The warm-up also lets sharding allocate its first shards, which on a cold cluster of this busy machine
        // can take longer than the API's ask timeout: a 503 here is reported, not fatal; the measured runs must not.
        Driver.Run warm = driver.run("warm-", warmUp, Workflows::chain, inFlight, Duration.ofMinutes(5));
        if (!warm.ok()) {
          Bench.log("warm-up of " + nodes + " node(s): " + warm.problems());
        }
        lines.add(measure(driver, nodes, "W1", "w1-", Workflows::chain, Workflows.CHAIN_TASKS));
        lines.add(measure(driver, nodes, "W2", "w2-", Workflows::fanOutIn, Workflows.FAN_TASKS));
      }
    }
    lines.forEach(System.out::println);
    return 0;
  }

  private String measure(Driver driver, int nodes, String name, String prefix, Function<String, String> definition,
                         int tasksPerWorkflow) {
    Driver.Run run = driver.run(prefix, n, definition, inFlight, Duration.ofMinutes(10));
    require(name, run);
    double wall = run.wallSeconds();
    String line = "bench cluster nodes=" + nodes + " journal=" + journal + " workload=" + name + " n=" + n
        + " wall_s=" + Stats.f(wall, 2)
        + " wf_per_s=" + Stats.f(n / wall, 1)
        + " tasks_per_s=" + Stats.f((double) n * tasksPerWorkflow / wall, 1)
        + " p50_ms=" + Stats.f(Stats.percentile(run.latencyMs(), 50), 1)
        + " p99_ms=" + Stats.f(Stats.percentile(run.latencyMs(), 99), 1);
    Bench.log(line);
    return line;
  }

  private static void require(String name, Driver.Run run) {
    if (!run.ok()) {
      throw new IllegalStateException(name + ": " + run.problems());
    }
  }
}
