package io.gleitzeit.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gleitzeit.testing.ClusterAudit;
import io.gleitzeit.testing.ClusterScript;
import io.gleitzeit.testing.ClusterScript.Node;
import io.gleitzeit.testing.WorkflowLoad;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 7: a rolling restart under load. Each node of a three-node cluster (H2 journal) is stopped in turn with
 * {@code scripts/cluster stop-node} (SIGTERM: the node leaves the cluster and hands its shards over) and started
 * again with {@code start-node}, while workflows with long test/sleep tasks keep arriving; after every restart the
 * load goes on until more workflows were accepted. Every accepted workflow must complete, each task exactly once.
 */
@Tag("cluster")
@Tag("integration")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class RollingRestartIT {

  private static final Duration STEP_TIMEOUT = Duration.ofSeconds(90);
  private static final int ACCEPTED_PER_STEP = 8;

  @Test
  void restartingEveryNodeInTurnUnderLoadFinishesEveryWorkflow() throws Exception {
    Path dir = ClusterRuns.dataDir("rolling-restart");
    String prefix = "rolling-";
    try (ClusterScript cluster = ClusterScript.builder(dir).nodes(3)
        .env("GLEITZEIT_HEARTBEAT_INTERVAL", "1s").start()) {
      try {
        run(cluster, prefix);
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError(e.getMessage() + "\n(cluster data and logs: " + dir + ")" + cluster.logTails(40), e);
      }
    }
  }

  private static void run(ClusterScript cluster, String prefix) throws Exception {
    List<String> urls = cluster.nodes().stream().map(Node::baseUrl).toList();
    long start = System.nanoTime();
    StringBuilder steps = new StringBuilder();
    WorkflowLoad load = new WorkflowLoad(urls, prefix, i -> ClusterRuns.definition(prefix, i), STEP_TIMEOUT);
    try (load) {
      load.start(Duration.ofMillis(300));
      load.acceptedMore(ACCEPTED_PER_STEP).get(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      for (int k = 1; k <= 3; k++) {
        long stepStart = System.nanoTime();
        cluster.stopNode(k);
        long stopped = System.nanoTime();
        List<Node> during = cluster.status();
        assertFalse(during.get(k - 1).up(), "node " + k + " is down after stop-node: " + during);
        cluster.startNode(k);
        long ready = System.nanoTime();
        load.acceptedMore(ACCEPTED_PER_STEP).get(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        steps.append(" node ").append(k).append(": stopped in ").append(ms(stepStart, stopped))
            .append(" ms, ready again ").append(ms(stopped, ready)).append(" ms later;");
      }
      load.stop();
    }

    assertEquals(Map.of(), load.failures(), "every submission was accepted by some node");
    List<Node> all = cluster.status();
    assertTrue(all.stream().allMatch(Node::up), "every node is up at the end: " + all);
    List<String> ids = load.acceptedIds();
    Map<String, String> ends = ClusterAudit.awaitEnds(urls, ids, Duration.ofSeconds(120));
    List<String> unfinished = ids.stream().filter(id -> !"completed".equals(ends.get(id)))
        .map(id -> id + "=" + ends.getOrDefault(id, "not ended")).toList();
    assertEquals(List.of(), unfinished, "every accepted workflow completed (" + ids.size() + " accepted)");
    ClusterAudit.Report audit = ClusterAudit.audit(urls.get(0), ids, ClusterRuns.TASKS);
    assertEquals(List.of(), audit.problems(), "every task completed exactly once, journals without gaps");
    ClusterRuns.report("rolling restart of 3 nodes under " + ids.size() + " workflows in " + ms(start, System.nanoTime())
        + " ms;" + steps + " " + audit.reassignments().size() + " attempts reassigned; "
        + load.accepted().stream().filter(a -> a.tries() > 1).count() + " submissions retried");
  }

  private static long ms(long fromNanos, long toNanos) {
    return TimeUnit.NANOSECONDS.toMillis(toNanos - fromNanos);
  }
}
