package io.gleitzeit.cli;

import com.typesafe.config.Config;
import io.gleitzeit.node.GleitzeitNode;
import io.gleitzeit.node.NodeConfig;
import io.gleitzeit.node.NodeStartException;
import io.gleitzeit.node.Preflight;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "server", mixinStandardHelpOptions = true,
    description = "Run one node (embedded H2 journal in the data directory).")
final class ServerCommand implements Callable<Integer> {

  @Option(names = "--http-port", description = "HTTP port (default 8080)") Integer httpPort;
  @Option(names = "--remote-port", description = "Pekko remoting (Artery) port (default 25520)") Integer remotePort;
  @Option(names = "--data-dir", description = "where the H2 journal lives (default ./data)") Path dataDir;
  @Option(names = "--config", description = "a HOCON file layered over conf/application.conf") Path configFile;

  @Override
  public Integer call() {
    GleitzeitNode node;
    try {
      Config config = NodeConfig.load(httpPort, remotePort, dataDir, configFile);
      Preflight.check(config);
      node = GleitzeitNode.start(config);
    } catch (NodeStartException e) {
      System.err.println("gleitzeit: cannot start the node: " + e.getMessage());
      return 1;
    } catch (com.typesafe.config.ConfigException e) {
      System.err.println("gleitzeit: bad configuration: " + e.getMessage());
      return 1;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(node::close, "gleitzeit-shutdown"));
    System.out.println("gleitzeit node ready http=" + node.baseUrl() + " remote="
        + node.system().address().getPort().orElse(0) + " data=" + node.settings().dataDir().toAbsolutePath());
    System.out.flush();
    node.system().getWhenTerminated().toCompletableFuture().join();
    return 0;
  }
}
