package io.gleitzeit.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.testing.ApiTestClient;
import io.gleitzeit.testing.ClusterAudit;
import io.gleitzeit.testing.ClusterScript;
import io.gleitzeit.testing.ClusterScript.Node;
import io.gleitzeit.testing.EventWatch;
import io.gleitzeit.testing.WorkflowLoad;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Issue 7's node loss, on a journal of choice: three nodes started by {@code scripts/cluster} under a steady load of
 * workflows with long test/sleep tasks; once the victim's built-in provider runs a long sleep, the victim's JVM gets
 * SIGKILL. Its workflow and provider entities must restart on the survivors from the shared journal, the attempts its
 * provider held must be reassigned by the missed-heartbeat path, and every accepted workflow must complete with each
 * task completed exactly once. Then the victim is started again with {@code scripts/cluster start-node}: it must
 * rejoin, its provider must run tasks again, and it must host workflow entities again (shard rebalancing: its own
 * entities write events).
 */
final class NodeLossScenario {

  /** Heartbeats every second: a silent provider is unhealthy after 3 s instead of 15 s (SPEC §6 allows tuning it). */
  private static final String HEARTBEAT_INTERVAL = "1s";
  private static final Duration LOAD_INTERVAL = Duration.ofMillis(250);
  private static final Duration STEP_TIMEOUT = Duration.ofSeconds(90);
  /** Workflows accepted after the victim is back, before the load stops: new shards then go to it too. */
  private static final int AFTER_RESTART = 16;

  private NodeLossScenario() {}

  static void run(String name, String journal, int victim) throws Exception {
    Path dir = ClusterRuns.dataDir(name);
    String prefix = name + "-";
    try (ClusterScript cluster = ClusterScript.builder(dir).nodes(3).journal(journal)
        .env("GLEITZEIT_HEARTBEAT_INTERVAL", HEARTBEAT_INTERVAL).start()) {
      try {
        runOn(cluster, journal, victim, prefix);
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError(e.getMessage() + "\n(cluster data and logs: " + dir + ")" + cluster.logTails(40), e);
      }
    }
  }

  private static void runOn(ClusterScript cluster, String journal, int victim, String prefix) throws Exception {
    List<String> urls = cluster.nodes().stream().map(Node::baseUrl).toList();
    Node dead = cluster.node(victim);
    Node witness = cluster.node(victim == 1 ? 2 : 1);
    String deadProvider = dead.testProvider();
    Instant killedAt;
    long killedNanos;
    long reassignedCompletedNanos;
    long readyNanos;
    long firstTaskAgainNanos;
    WorkflowLoad load = new WorkflowLoad(urls, prefix, i -> ClusterRuns.definition(prefix, i), STEP_TIMEOUT);
    try (load) {
      load.start(LOAD_INTERVAL);
      try (EventWatch started = EventWatch.open(witness.baseUrl(), "type=task:started&provider_id=" + deadProvider)) {
        started.await("a long test/sleep running on node " + victim + "'s provider " + deadProvider,
            e -> "long".equals(e.path("task_id").asText()), STEP_TIMEOUT);
      }

      try (EventWatch reassigned = EventWatch.open(witness.baseUrl(),
          "type=task:reassigned&provider_id=" + deadProvider)) {
        killedAt = Instant.now();
        killedNanos = System.nanoTime();
        cluster.kill9(victim);
        List<Node> afterKill = cluster.status();
        assertFalse(afterKill.get(victim - 1).up(), "scripts/cluster status shows the killed node down: " + afterKill);
        assertEquals(2, afterKill.stream().filter(Node::up).count(), "the other two stay up: " + afterKill);

        JsonNode first = reassigned.await("an attempt of the dead node's provider reassigned (missed heartbeats)",
            e -> true, STEP_TIMEOUT);
        String workflow = first.path("workflow_id").asText();
        String task = first.path("task_id").asText();
        int newAttempt = first.path("payload").path("attempt").asInt();
        try (EventWatch followed = EventWatch.open(witness.baseUrl(), "workflow_id=" + workflow)) {
          followed.await("the reassigned task " + workflow + "/" + task + " completing",
              e -> "task:completed".equals(e.path("event_type").asText()) && task.equals(e.path("task_id").asText())
                  && e.path("payload").path("attempt").asInt() >= newAttempt, STEP_TIMEOUT);
        }
        reassignedCompletedNanos = System.nanoTime();
      }

      try (EventWatch again = EventWatch.open(witness.baseUrl(), "type=task:completed&provider_id=" + deadProvider)) {
        long restartNanos = System.nanoTime();
        Node back = cluster.startNode(victim);
        readyNanos = System.nanoTime();
        assertEquals(dead.baseUrl(), back.baseUrl(), "the restarted node keeps its ports");
        again.await("a task completed by the restarted node's provider " + deadProvider, e -> true, STEP_TIMEOUT);
        firstTaskAgainNanos = System.nanoTime();
        ClusterRuns.report(prefix + " restart: node ready " + millis(restartNanos, readyNanos) + " ms after start-node");
      }
      load.acceptedMore(AFTER_RESTART).get(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      // Every shard exists by now, so the restarted node gets entities when the coordinator rebalances
      // (conf/cluster.conf: every 2 s): the load goes on until it has written some of their events.
      awaitEventsWritten(dead, STEP_TIMEOUT);
      load.stop();
    }

    assertEquals(Map.of(), load.failures(), "every submission was accepted by some node");
    List<String> ids = load.acceptedIds();
    List<Node> all = cluster.status();
    assertTrue(all.stream().allMatch(Node::up), "every node is up at the end: " + all);
    Map<String, String> ends = ClusterAudit.awaitEnds(urls, ids, Duration.ofSeconds(120));
    List<String> unfinished = ids.stream().filter(id -> !"completed".equals(ends.get(id)))
        .map(id -> id + "=" + ends.getOrDefault(id, "not ended")).toList();
    assertEquals(List.of(), unfinished, "every accepted workflow completed (" + ids.size() + " accepted)");

    ClusterAudit.Report audit = ClusterAudit.audit(witness.baseUrl(), ids, ClusterRuns.TASKS);
    assertEquals(List.of(), audit.problems(), "every task completed exactly once, journals without gaps");
    long lost = audit.reassignments().stream().filter(r -> r.fromProvider().equals(deadProvider)).count();
    assertTrue(lost > 0, "attempts held by " + deadProvider + " at the kill were reassigned");
    ClusterAudit.Completion firstAfterLoss = audit.firstCompletionAfterLoss(deadProvider);
    assertNotNull(firstAfterLoss, "a task the dead provider lost completed elsewhere");
    long byRestarted = audit.completedBy(deadProvider, killedAt);
    assertTrue(byRestarted > 0, "the restarted node's provider completed tasks after its restart");

    double written;
    try (ApiTestClient api = new ApiTestClient(dead.baseUrl())) {
      written = eventsWritten(api);
    }
    assertTrue(written > 0, "the restarted node hosts entities again (its events_written is " + written + ")");

    ClusterRuns.report(prefix + " journal=" + journal + " killed node " + victim + " (" + deadProvider + ") of 3 under "
        + ids.size() + " workflows (" + ids.size() * ClusterRuns.TASKS.size() + " tasks); " + lost
        + " attempts reassigned from it; failover (kill -> first reassigned task completed, by envelope time) "
        + Duration.between(killedAt, firstAfterLoss.at()).toMillis() + " ms; observed by the test "
        + millis(killedNanos, reassignedCompletedNanos) + " ms; restarted node's first task "
        + millis(readyNanos, firstTaskAgainNanos) + " ms after it was ready; it completed " + byRestarted
        + " tasks and wrote " + (long) written + " events after its restart; " + retried(load) + " submissions retried");
  }

  /** Until the node's entities have written an event; the metric has no stream, so it is read every 250 ms. */
  private static void awaitEventsWritten(Node node, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (ApiTestClient api = new ApiTestClient(node.baseUrl())) {
      while (eventsWritten(api) == 0) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("node " + node.baseUrl() + " wrote no event within " + timeout + " of its restart");
        }
        Thread.sleep(250);
      }
    }
  }

  /** This node's {@code gleitzeit_events_written_total}: envelopes its own entities persisted since it started. */
  static double eventsWritten(ApiTestClient api) {
    ApiTestClient.Response r = api.get("/metrics");
    for (String line : r.body().split("\n")) {
      if (line.startsWith("gleitzeit_events_written_total ")) {
        return Double.parseDouble(line.substring(line.indexOf(' ') + 1).trim());
      }
    }
    throw new AssertionError("no gleitzeit_events_written_total in /metrics:\n" + r.body());
  }

  private static long retried(WorkflowLoad load) {
    return load.accepted().stream().filter(a -> a.tries() > 1).count();
  }

  private static long millis(long fromNanos, long toNanos) {
    return TimeUnit.NANOSECONDS.toMillis(toNanos - fromNanos);
  }
}
