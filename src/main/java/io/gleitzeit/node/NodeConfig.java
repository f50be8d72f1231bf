package io.gleitzeit.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Builds a node's configuration: command-line options over an optional {@code --config} file over
 * {@code application.conf} (the files of {@code conf/}) over Pekko's reference configuration.
 */
public final class NodeConfig {

  private NodeConfig() {}

  public static Config load(Integer httpPort, Integer remotePort, Path dataDir, Path configFile) {
    Map<String, Object> overrides = new HashMap<>();
    if (httpPort != null) {
      overrides.put("gleitzeit.http.port", httpPort);
    }
    if (remotePort != null) {
      overrides.put("pekko.remote.artery.canonical.port", remotePort);
    }
    if (dataDir != null) {
      overrides.put("gleitzeit.data-dir", dataDir.toAbsolutePath().toString());
    }
    Config config = ConfigFactory.parseMap(overrides);
    if (configFile != null) {
      if (!Files.isReadable(configFile)) {
        throw new NodeStartException("cannot read the configuration file " + configFile, null);
      }
      config = config.withFallback(ConfigFactory.parseFile(configFile.toFile()));
    }
    ConfigFactory.invalidateCaches();
    return ConfigFactory.load(config.withFallback(ConfigFactory.parseResourcesAnySyntax("application")));
  }
}
