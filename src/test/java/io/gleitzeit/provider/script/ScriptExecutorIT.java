package io.gleitzeit.provider.script;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import io.gleitzeit.domain.Json;
import io.gleitzeit.provider.TaskFailure;
import io.gleitzeit.provider.TaskKey;
import io.gleitzeit.provider.TaskRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** script/run with real programs: stdout, stdin, JSON, exit codes, no shell, env whitelist, timeouts, cancel. */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ScriptExecutorIT {

  private ScriptExecutor executor;
  private final AtomicInteger attempt = new AtomicInteger();

  @TempDir
  Path dir;

  @BeforeAll
  void start() {
    // sh is allow-listed here on purpose, to make exit codes, stderr and process trees; echo never sees a shell.
    executor = new ScriptExecutor(ScriptSettings.from(ConfigFactory.parseString(
        "commands { echo = \"/bin/echo\", cat = \"/bin/cat\", env = \"/usr/bin/env\", sh = \"/bin/sh\","
            + " missing = \"/nonexistent/tool\" }, env-whitelist = [GZ_ALLOWED, GZ_FROM_NODE],"
            + " max-output-bytes = 1000")),
        Map.of("GZ_FROM_NODE", "node-value", "GZ_SECRET", "must-not-leak"));
  }

  private CompletableFuture<JsonNode> run(TaskKey key, ObjectNode params, Runnable started) {
    return executor.execute(new TaskRequest(key, "script/run", params, null), started).toCompletableFuture();
  }

  private static ObjectNode params(String json) {
    try {
      return (ObjectNode) Json.MAPPER.readTree(json.replace('\'', '"'));
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  private JsonNode ok(String json) throws Exception {
    AtomicInteger started = new AtomicInteger();
    JsonNode r = run(new TaskKey("wf", "t", attempt.incrementAndGet()), params(json), started::incrementAndGet)
        .get(10, TimeUnit.SECONDS);
    assertEquals(1, started.get());
    return r;
  }

  private TaskFailure failed(String json) throws Exception {
    return failed(run(new TaskKey("wf", "t", attempt.incrementAndGet()), params(json), () -> { }));
  }

  private static TaskFailure failed(CompletableFuture<JsonNode> call) throws Exception {
    try {
      JsonNode r = call.get(10, TimeUnit.SECONDS);
      return fail("expected a failure, got " + r);
    } catch (ExecutionException e) {
      return assertInstanceOf(TaskFailure.class, e.getCause());
    }
  }

  @Test
  void shouldRunEchoWithArgumentsThatNoShellInterprets() throws Exception {
    JsonNode r = ok("{'command': 'echo', 'args': ['$HOME', '*', 'a;b', '$(id)', '`x`']}");
    assertEquals(0, r.get("exit_code").asInt());
    assertEquals("$HOME * a;b $(id) `x`\n", r.get("stdout").asText());
    assertEquals("", r.get("stderr").asText());
    assertTrue(r.get("json").isNull());
  }

  @Test
  void shouldFeedStdinAndParseJsonOutput() throws Exception {
    JsonNode r = ok("{'command': 'cat', 'stdin': '{\\'a\\': [1, 2]}'}".replace("\\'", "\\\""));
    assertEquals("{\"a\": [1, 2]}", r.get("stdout").asText());
    assertEquals(2, r.at("/json/a").size());
  }

  @Test
  void shouldCapOutput() throws Exception {
    JsonNode r = ok("{'command': 'sh', 'args': ['-c', 'i=0; while [ $i -lt 300 ]; do echo 0123456789; i=$((i+1)); done']}");
    assertEquals(1000, r.get("stdout").asText().length());
    assertTrue(r.get("stdout_truncated").asBoolean());
    assertTrue(r.get("json").isNull());
  }

  @Test
  void shouldPassOnlyWhitelistedEnvironmentVariables() throws Exception {
    JsonNode r = ok("{'command': 'env', 'env': {'GZ_ALLOWED': 'yes'}}");
    String out = r.get("stdout").asText();
    assertTrue(out.contains("GZ_ALLOWED=yes"), out);
    assertTrue(out.contains("GZ_FROM_NODE=node-value"), out);
    assertFalse(out.contains("GZ_SECRET"), out);
    assertFalse(out.contains("PATH="), out);
    TaskFailure f = failed("{'command': 'env', 'env': {'GZ_SECRET': 'x'}}");
    assertFalse(f.retryable());
  }

  @Test
  void shouldFailANonZeroExitWithoutRetryCarryingTheTailOfStderr() throws Exception {
    TaskFailure f = failed("{'command': 'sh', 'args': ['-c', 'echo first >&2; echo the real reason >&2; exit 3']}");
    assertFalse(f.retryable());
    assertTrue(f.getMessage().contains("exited with code 3"), f.getMessage());
    assertTrue(f.getMessage().endsWith("first\nthe real reason"), f.getMessage());
  }

  @Test
  void shouldRefuseCommandsThatAreNotAllowListed() throws Exception {
    TaskFailure f = failed("{'command': '/bin/sh', 'args': ['-c', 'echo pwned']}");
    assertFalse(f.retryable());
    assertTrue(f.getMessage().contains("not allowed"), f.getMessage());
    TaskFailure missing = failed("{'command': 'missing'}");
    assertFalse(missing.retryable());
    assertTrue(missing.getMessage().contains("cannot start /nonexistent/tool"), missing.getMessage());
  }

  @Test
  void shouldKillTheProcessTreeOnTimeoutAndFailRetryably() throws Exception {
    Path pidFile = dir.resolve("child.pid");
    long t0 = System.nanoTime();
    TaskFailure f = failed("{'command': 'sh', 'timeout_ms': 500, 'args': ['-c',"
        + " 'sleep 30 & echo $! > " + pidFile + "; echo started >&2; wait']}");
    assertTrue(f.retryable());
    assertTrue(f.getMessage().contains("timed out after 500 ms"), f.getMessage());
    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(8), "ended by the timeout, not by sleep");
    long child = Long.parseLong(Files.readString(pidFile).trim());
    assertKilled(child, "the grandchild was killed");
  }

  @Test
  void shouldKillOnTimeoutWhatTheScriptStartedAndLeftBehind() throws Exception {
    Path pidFile = dir.resolve("orphan.pid");
    // The subshell starts sleep and exits: sleep's parent is init then, no longer a descendant of the script.
    TaskFailure f = failed("{'command': 'sh', 'timeout_ms': 500, 'args': ['-c',"
        + " '(sleep 30 & echo $! > " + pidFile + "); sleep 30']}");
    assertTrue(f.getMessage().contains("timed out after 500 ms"), f.getMessage());
    long orphan = Long.parseLong(Files.readString(pidFile).trim());
    assertKilled(orphan, "the orphan was killed");
  }

  @Test
  void shouldKillWhatStillRunsWithWhatItStartedWhenTheNodeStops() throws Exception {
    Path pidFile = dir.resolve("left.pid");
    CountDownLatch started = new CountDownLatch(1);
    CompletableFuture<JsonNode> call = run(new TaskKey("wf", "stopping", 1), params("{'command': 'sh', 'args': ['-c',"
        + " '(sleep 30 & echo $! > " + pidFile + "); sleep 30']}"), started::countDown);
    assertTrue(started.await(5, TimeUnit.SECONDS));
    long left = awaitPid(pidFile);

    executor.close();

    assertTrue(failed(call).getMessage().contains("cancelled"));
    assertKilled(left, "what it left was killed");
  }

  /** The process {@code pid} ends within 5 s (the kill is asynchronous), if it has not already. */
  private static void assertKilled(long pid, String message) {
    ProcessHandle.of(pid).ifPresent(h -> h.onExit().orTimeout(5, TimeUnit.SECONDS).join());
    assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), message);
  }

  /** The pid a script writes to {@code file}, once it has written it. */
  private static long awaitPid(Path file) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < deadline) {
      String text = Files.exists(file) ? Files.readString(file).trim() : "";
      if (!text.isEmpty()) {
        return Long.parseLong(text);
      }
      Thread.onSpinWait();
    }
    throw new AssertionError("no pid in " + file);
  }

  @Test
  void shouldKillTheProcessWhenCancelled() throws Exception {
    TaskKey key = new TaskKey("wf", "cancel", 1);
    CountDownLatch started = new CountDownLatch(1);
    long t0 = System.nanoTime();
    CompletableFuture<JsonNode> call = run(key, params("{'command': 'sh', 'args': ['-c', 'sleep 30']}"),
        started::countDown);
    assertTrue(started.await(5, TimeUnit.SECONDS));
    executor.cancel(key);
    TaskFailure f = failed(call);
    assertTrue(f.getMessage().contains("cancelled"), f.getMessage());
    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(8), "ended by cancel, not by sleep");
  }
}
