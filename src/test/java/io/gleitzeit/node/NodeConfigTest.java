package io.gleitzeit.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A {@code --config} file: what it sets must be something a node reads. */
class NodeConfigTest {

  @TempDir
  Path dir;

  private NodeStartException refused(String text) throws IOException {
    Path file = Files.writeString(dir.resolve("node.conf"), text);
    return assertThrows(NodeStartException.class, () -> NodeConfig.load(0, 0, dir.resolve("data"), file));
  }

  @Test
  void aMisspeltSettingStopsTheNodeNamingIt() throws IOException {
    // It was kept and never read: the limit stayed at 10,000.
    assertEquals("bad configuration: unknown setting 'gleitzeit.limits.max-tasks-per-workflw' in "
        + dir.resolve("node.conf") + " (did you mean 'gleitzeit.limits.max-tasks-per-workflow'?)",
        refused("gleitzeit.limits.max-tasks-per-workflw = 1").getMessage());
    assertEquals("bad configuration: unknown setting 'gleitzeit.engine.nonexistent-knob' in "
        + dir.resolve("node.conf") + " (gleitzeit.engine has: idle-passivation, max-reassignments, reattach-timeout,"
        + " report-attempts, report-timeout, slot-write-delay, started-report-delay)",
        refused("gleitzeit { engine { nonexistent-knob = 5 } }").getMessage());
    assertEquals("bad configuration: unknown setting 'gleitzeit.limitz' in " + dir.resolve("node.conf")
        + " (did you mean 'gleitzeit.limits'?)", refused("gleitzeit.limitz.max-tasks-per-workflow = 5").getMessage());
  }

  @Test
  void aDirectoryIsNoConfigurationFile() {
    NodeStartException e = assertThrows(NodeStartException.class, () -> NodeConfig.load(0, 0, dir, dir));
    assertEquals("the configuration file " + dir + " is not a file", e.getMessage());
  }

  @Test
  void settingsANodeReadsAndFreeFormSectionsPass() throws IOException {
    Path file = Files.writeString(dir.resolve("ok.conf"), "gleitzeit.limits.max-tasks-per-workflow = 7\n"
        + "gleitzeit.event-index.query-dispatcher.thread-pool-executor.keep-alive-time = 30s\n"
        + "gleitzeit.local-cluster.h2-port = 9999\npekko.loglevel = INFO\n");
    assertEquals(7, NodeConfig.load(0, 0, dir.resolve("data"), file).getInt("gleitzeit.limits.max-tasks-per-workflow"));
  }

  /** The configuration files this repository ships pass the same check. */
  @ParameterizedTest
  @ValueSource(strings = {"local1.conf", "local2.conf", "local3.conf", "postgres.conf"})
  void theShippedFilesPass(String name) {
    NodeConfig.load(0, 0, dir.resolve("data"), Path.of("conf", name));
  }

  /** conf/production.conf needs its seed nodes from the environment to load; its settings are checked alone. */
  @Test
  void theProductionFilePasses() {
    Path production = Path.of("conf", "production.conf");
    UnknownSettings.check(com.typesafe.config.ConfigFactory.parseFile(production.toFile()),
        com.typesafe.config.ConfigFactory.parseResourcesAnySyntax("application").resolve(), production);
  }
}
