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
      if (dataDir.toString().isBlank()) { // Path.of("") is the working directory: the journal would land there
        throw new NodeStartException("the data directory is empty: give one with --data-dir (default ./data)", null);
      }
      overrides.put("gleitzeit.data-dir", dataDir.toAbsolutePath().toString());
    }
    Config config = ConfigFactory.parseMap(overrides);
    ConfigFactory.invalidateCaches();
    Config defaults = ConfigFactory.parseResourcesAnySyntax("application");
    if (configFile != null) {
      if (!Files.isReadable(configFile)) {
        throw new NodeStartException("cannot read the configuration file " + configFile, null);
      }
      if (!Files.isRegularFile(configFile)) { // a directory read as a file is an empty configuration
        throw new NodeStartException("the configuration file " + configFile + " is not a file", null);
      }
      Config file = ConfigFactory.parseFile(configFile.toFile());
      UnknownSettings.check(file, defaults.resolve(), configFile);
      config = config.withFallback(file);
    }
    return ConfigFactory.load(config.withFallback(defaults));
  }
}
