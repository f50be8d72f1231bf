package io.gleitzeit.provider.script;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import io.gleitzeit.domain.Json;
import io.gleitzeit.provider.TaskKey;
import io.gleitzeit.provider.TaskRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A script's process ends with the JVM that started it: after a kill -9 of the node, the attempt its restarted
 * provider reports as stopped does not go on beside the new one (it did: the work ran twice). A JVM of its own
 * runs the executor and is killed here.
 */
@Tag("integration")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ScriptParentDeathIT {

  @TempDir
  Path dir;

  /** The killed JVM: runs {@code sh -c 'echo $$ > pidfile; sleep 60'} as a script task and waits. */
  public static void main(String[] args) throws Exception {
    ScriptExecutor executor = new ScriptExecutor(ScriptSettings.from(ConfigFactory.parseString(
        "commands { sh = \"/bin/sh\" }")), Map.of());
    ObjectNode params = (ObjectNode) Json.MAPPER.readTree("{\"command\": \"sh\", \"args\": [\"-c\","
        + " \"echo $$ > " + args[0] + "; sleep 60\"]}");
    executor.execute(new TaskRequest(new TaskKey("wf", "t", 1), "script/run", params, null), () -> { })
        .toCompletableFuture().get();
  }

  @Test
  void theScriptsProcessDiesWithTheNodesJvm() throws Exception {
    assumeFalse(ScriptExecutor.PARENT_DEATH_SIGNAL.isEmpty(), "setpriv is not installed");
    Path pidFile = dir.resolve("script.pid");
    Process jvm = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), ScriptParentDeathIT.class.getName(), pidFile.toString()))
        .redirectErrorStream(true).redirectOutput(dir.resolve("jvm.log").toFile()).start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!(Files.exists(pidFile) && Files.readString(pidFile).endsWith("\n")) && System.nanoTime() < deadline) {
        assertTrue(jvm.isAlive(), () -> "the JVM ended early: " + log());
        Thread.onSpinWait();
      }
      ProcessHandle script = ProcessHandle.of(Long.parseLong(Files.readString(pidFile).trim())).orElseThrow();
      assertTrue(script.isAlive());

      jvm.destroyForcibly(); // SIGKILL: no shutdown hook runs

      assertTrue(jvm.waitFor(10, TimeUnit.SECONDS));
      script.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
      assertFalse(script.isAlive(), "the script's process outlived the JVM that started it");
    } finally {
      jvm.destroyForcibly();
    }
  }

  private String log() {
    try {
      return Files.readString(dir.resolve("jvm.log"));
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }
}
