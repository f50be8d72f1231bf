package io.gleitzeit.testing;

import io.gleitzeit.node.GleitzeitNode;
import io.gleitzeit.node.NodeConfig;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Cluster;

/** A node started in this JVM on free ports, returned once it has joined itself (waited for, not polled). */
public final class LocalNode {

  private LocalNode() {}

  /** {@code configFile} may be null; it is layered over {@code application.conf} like {@code --config}. */
  public static GleitzeitNode start(Path dataDir, Path configFile) throws Exception {
    GleitzeitNode node = GleitzeitNode.start(NodeConfig.load(0, 0, dataDir, configFile));
    try {
      CompletableFuture<Void> up = new CompletableFuture<>();
      Cluster.get(Adapter.toClassic(node.system())).registerOnMemberUp(() -> up.complete(null));
      up.get(30, TimeUnit.SECONDS);
      return node;
    } catch (Exception e) {
      node.close();
      throw e;
    }
  }
}
