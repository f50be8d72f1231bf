package io.gleitzeit.cluster;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 7: kill -9 of a node of a three-node cluster under load, on the local cluster's shared H2 journal (an H2 TCP
 * server process started by scripts/cluster). The victim is node 1, the oldest: it also ran the shard coordinators
 * and the cluster singletons, which must move too. See {@link NodeLossScenario}.
 */
@Tag("cluster")
@Tag("integration")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class NodeLossIT {

  @Test
  void killNineOfTheOldestNodeUnderLoadLosesNoWorkflowAndTheNodeRejoins() throws Exception {
    NodeLossScenario.run("node-loss-h2", "h2", 1);
  }
}
