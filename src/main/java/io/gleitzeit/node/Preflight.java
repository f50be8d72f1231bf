package io.gleitzeit.node;

import com.typesafe.config.Config;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks made before a node starts, so that the common mistakes fail with a message that names them
 * (SPEC §8) instead of a stack trace from deep inside Pekko.
 */
public final class Preflight {

  private Preflight() {}

  public static void check(Config config) {
    NodeSettings settings = NodeSettings.from(config);
    if (config.getString("pekko-persistence-jdbc.shared-databases.slick.db.url").startsWith("jdbc:h2:file:")) {
      checkDataDir(settings.dataDir());
    }
    int remotePort = config.getInt("pekko.remote.artery.canonical.port");
    if (remotePort < 0 || remotePort > 65535) {
      throw new NodeStartException("bad configuration: the remote port must be from 0 to 65535, got " + remotePort,
          null);
    }
    if (remotePort != 0 && remotePort == settings.httpPort()) {
      throw new NodeStartException("bad configuration: the HTTP port and the remote port are both " + remotePort
          + "; they must differ", null);
    }
    checkPort("HTTP", settings.httpInterface(), settings.httpPort());
    checkPort("remote (Artery)", config.getString("pekko.remote.artery.canonical.hostname"), remotePort);
  }

  static void checkDataDir(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException | SecurityException e) {
      throw new NodeStartException("cannot create the data directory " + dir.toAbsolutePath() + ": " + e, e);
    }
    if (!Files.isDirectory(dir) || !Files.isReadable(dir) || !Files.isWritable(dir)) {
      throw new NodeStartException("the data directory " + dir.toAbsolutePath()
          + " is not a readable and writable directory", null);
    }
  }

  static void checkPort(String what, String host, int port) {
    if (port == 0) {
      return;
    }
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new java.net.InetSocketAddress(InetAddress.getByName(host), port));
    } catch (IOException e) {
      throw new NodeStartException("the " + what + " port " + port + " on " + host
          + " is already in use (or not allowed): " + e.getMessage(), e);
    }
  }
}
