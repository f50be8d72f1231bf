package io.gleitzeit.provider.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import io.gleitzeit.domain.Json;
import io.gleitzeit.provider.Availability;
import io.gleitzeit.provider.TaskFailure;
import io.gleitzeit.provider.TaskKey;
import io.gleitzeit.provider.TaskRequest;
import io.gleitzeit.testing.McpServers;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mcp executor against real MCP servers from npm: server-filesystem over stdio (tools listed, called, a
 * tool error, a crash in the middle of a call, restarts with backoff while it cannot start) and
 * server-everything over streamable HTTP.
 */
@Tag("integration")
@ExtendWith(LogCapturingExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class McpExecutorIT {

  private static final long WAIT_S = 30;
  private static final AtomicInteger ATTEMPTS = new AtomicInteger();

  @TempDir
  Path dir;

  private McpExecutor executor;
  private final LinkedBlockingQueue<Availability> changes = new LinkedBlockingQueue<>();

  @AfterEach
  void close() {
    if (executor != null) {
      executor.close();
    }
  }

  private McpExecutor start(String settings) {
    executor = new McpExecutor("it", McpSettings.from(ConfigFactory.parseString(settings)));
    executor.start(changes::add);
    return executor;
  }

  private McpExecutor startFilesystem(Path root, String extra) {
    return start("command = \"" + McpServers.node() + "\", args = [\"" + McpServers.filesystem() + "\", \""
        + root + "\"]\n" + extra);
  }

  /** The next availability that matches, skipping others; fails after the deadline. */
  private Availability next(Predicate<Availability> wanted) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
    while (true) {
      Availability a = changes.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (a == null) {
        throw new AssertionError("no matching availability within " + WAIT_S + " s");
      }
      if (wanted.test(a)) {
        return a;
      }
    }
  }

  private static CompletableFuture<JsonNode> call(McpExecutor executor, String tool, ObjectNode params) {
    return executor.execute(new TaskRequest(new TaskKey("wf", "t", ATTEMPTS.incrementAndGet()), "mcp/tool." + tool,
        params, null), () -> { }).toCompletableFuture();
  }

  private static TaskFailure failureOf(CompletableFuture<JsonNode> call) throws Exception {
    try {
      JsonNode result = call.get(WAIT_S, TimeUnit.SECONDS);
      throw new AssertionError("expected a failure, got " + result);
    } catch (ExecutionException e) {
      assertTrue(e.getCause() instanceof TaskFailure, () -> "not a TaskFailure: " + e.getCause());
      return (TaskFailure) e.getCause();
    }
  }

  @Test
  void shouldRegisterTheToolsOfTheServerAndCallThem() throws Exception {
    Files.writeString(dir.resolve("a.txt"), "alpha\n");
    Files.writeString(dir.resolve("b.md"), "# beta\n");
    startFilesystem(dir, "");
    Availability up = next(Availability::up);
    assertTrue(up.methods().containsAll(List.of("mcp/tool.list_directory", "mcp/tool.read_text_file")), up::toString);
    assertTrue(up.methods().stream().allMatch(m -> m.startsWith("mcp/tool.")), up::toString);

    JsonNode listing = call(executor, "list_directory", Json.MAPPER.createObjectNode().put("path", dir.toString()))
        .get(WAIT_S, TimeUnit.SECONDS);
    assertEquals("[FILE] a.txt\n[FILE] b.md", listing.path("text").asText(), listing::toString);
    assertEquals("text", listing.at("/content/0/type").asText(), listing::toString);
    assertEquals(listing.path("text").asText(), listing.at("/content/0/text").asText());
    assertTrue(listing.has("structured"), listing::toString);

    JsonNode read = call(executor, "read_text_file", Json.MAPPER.createObjectNode()
        .put("path", dir.resolve("b.md").toString())).get(WAIT_S, TimeUnit.SECONDS);
    assertEquals("# beta\n", read.path("text").asText(), read::toString);
  }

  @Test
  void shouldFailForGoodWithTheToolsTextWhenTheToolReportsAnError() throws Exception {
    startFilesystem(dir, "");
    next(Availability::up);
    TaskFailure failure = failureOf(call(executor, "read_text_file",
        Json.MAPPER.createObjectNode().put("path", dir.resolve("missing.txt").toString())));
    assertFalse(failure.retryable(), failure::getMessage);
    assertTrue(failure.getMessage().contains("ENOENT"), failure::getMessage);
    assertTrue(failure.getMessage().contains("read_text_file"), failure::getMessage);
  }

  @Test
  void shouldFailACallOfAToolTheServerDoesNotHaveForGood() throws Exception {
    startFilesystem(dir, "");
    next(Availability::up);
    TaskFailure failure = failureOf(call(executor, "no_such_tool", Json.MAPPER.createObjectNode()));
    assertFalse(failure.retryable(), failure::getMessage);
    assertTrue(failure.getMessage().contains("no tool 'no_such_tool'"), failure::getMessage);
  }

  /**
   * The tool reads a named pipe, which blocks the server in the call until a writer opens it: the test's open
   * returns only once the server is inside the call. Then the server is killed.
   */
  @Test
  void shouldFailACallRetryablyAtOnceWhenTheServerDiesDuringItAndRestartTheServer() throws Exception {
    Path fifo = dir.resolve("pipe");
    assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
    startFilesystem(dir, "request-timeout = 60s, restart-min-backoff = 100ms, restart-max-backoff = 2s");
    next(Availability::up);
    long pid = executor.serverPid();

    CompletableFuture<JsonNode> pending = call(executor, "read_text_file",
        Json.MAPPER.createObjectNode().put("path", fifo.toString()));
    try (OutputStream inCall = CompletableFuture.supplyAsync(() -> open(fifo)).get(WAIT_S, TimeUnit.SECONDS)) {
      assertFalse(pending.isDone());
      long killedAt = System.nanoTime();
      ProcessHandle.of(pid).orElseThrow().destroyForcibly();
      TaskFailure failure = failureOf(pending);
      assertTrue(failure.retryable(), failure::getMessage);
      assertTrue(failure.getMessage().contains("stopped during the call of tool read_text_file"), failure::getMessage);
      assertTrue(failure.getMessage().contains("exited with code"), failure::getMessage);
      // At once, not after the 60 s request timeout.
      assertTrue(System.nanoTime() - killedAt < TimeUnit.SECONDS.toNanos(10));

      Availability down = next(a -> !a.up());
      assertEquals(Duration.ofMillis(100), down.nextTryIn());
      assertTrue(down.reason().contains("exited with code"), down::toString);
    }
    next(Availability::up);
    assertNotNull(executor.serverPid());
    assertTrue(executor.serverPid() != pid);
    Files.writeString(dir.resolve("after.txt"), "back");
    JsonNode read = call(executor, "read_text_file",
        Json.MAPPER.createObjectNode().put("path", dir.resolve("after.txt").toString())).get(WAIT_S, TimeUnit.SECONDS);
    assertEquals("back", read.path("text").asText());
  }

  /**
   * A call the task no longer wants is cancelled at the server with MCP's {@code notifications/cancelled}, naming
   * the call's JSON-RPC id: a call cancelled by the provider (the task was cancelled or timed out) and a call
   * without an answer within the request timeout. The server runs behind tee, which copies what it is sent to a
   * file; each call reads a named pipe, which keeps the server in the call.
   */
  @Test
  void shouldTellTheServerToStopACallThatIsCancelledOrUnansweredInTime() throws Exception {
    Path cancelledPipe = dir.resolve("cancelled-pipe");
    Path unansweredPipe = dir.resolve("unanswered-pipe");
    for (Path fifo : List.of(cancelledPipe, unansweredPipe)) {
      assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
    }
    Path sent = dir.resolve("sent.jsonl");
    String server = "exec /usr/bin/tee -a '" + sent + "' | exec " + McpServers.node() + " '" + McpServers.filesystem()
        + "' '" + dir + "'";
    start("command = \"/bin/sh\", args = [\"-c\", " + Json.MAPPER.writeValueAsString(server) + "]\n"
        + "request-timeout = 5s");
    next(Availability::up);

    TaskKey key = new TaskKey("wf", "cancelled", ATTEMPTS.incrementAndGet());
    CompletableFuture<JsonNode> cancelled = executor.execute(new TaskRequest(key, "mcp/tool.read_text_file",
        Json.MAPPER.createObjectNode().put("path", cancelledPipe.toString()), null), () -> { }).toCompletableFuture();
    try (OutputStream inCall = CompletableFuture.supplyAsync(() -> open(cancelledPipe)).get(WAIT_S, TimeUnit.SECONDS)) {
      executor.cancel(key);
      assertTrue(cancelled.isCompletedExceptionally());
      assertEquals("the task no longer wants this call (cancelled or timed out)",
          cancellationOf(sent, cancelledPipe).path("reason").asText());
    }

    TaskFailure unanswered = failureOf(call(executor, "read_text_file",
        Json.MAPPER.createObjectNode().put("path", unansweredPipe.toString())));
    assertTrue(unanswered.getMessage().contains("did not answer within 5000 ms"), unanswered::getMessage);
    assertEquals("no answer within the request timeout", cancellationOf(sent, unansweredPipe).path("reason").asText());
  }

  /**
   * The params of the {@code notifications/cancelled} the server was sent for its call that read {@code path}, once
   * it is in the copy of what the server was sent; fails after the deadline.
   */
  private static JsonNode cancellationOf(Path sent, Path path) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
    while (System.nanoTime() < deadline) {
      List<JsonNode> messages = new java.util.ArrayList<>();
      String copied = Files.readString(sent, StandardCharsets.UTF_8);
      // Whole lines only: tee may be in the middle of copying the last one.
      for (String line : copied.substring(0, copied.lastIndexOf('\n') + 1).split("\n")) {
        if (!line.isBlank()) {
          messages.add(Json.MAPPER.readTree(line));
        }
      }
      JsonNode id = messages.stream().filter(m -> m.path("method").asText().equals("tools/call")
              && m.at("/params/arguments/path").asText().equals(path.toString()))
          .map(m -> m.path("id")).findFirst().orElse(null);
      var cancellation = messages.stream().filter(m -> id != null
              && m.path("method").asText().equals("notifications/cancelled")
              && m.at("/params/requestId").equals(id))
          .findFirst();
      if (cancellation.isPresent()) {
        assertTrue(cancellation.get().path("id").isMissingNode(), "a notification has no id");
        return cancellation.get().path("params");
      }
      TimeUnit.MILLISECONDS.sleep(50); // tee writes when the server is sent something: read the copy again
    }
    throw new AssertionError("no notifications/cancelled for the call reading " + path + " in "
        + Files.readString(sent));
  }

  private static OutputStream open(Path fifo) {
    try {
      return new FileOutputStream(fifo.toFile()); // blocks until the server opens the pipe to read
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void shouldBackOffWhileTheServerCannotStartAndComeBackWhenItCan() throws Exception {
    Path served = Files.createDirectory(dir.resolve("served"));
    Path away = dir.resolve("away");
    startFilesystem(served, "restart-min-backoff = 100ms, restart-max-backoff = 400ms");
    next(Availability::up);
    Files.move(served, away); // the server refuses to start without its directory
    ProcessHandle.of(executor.serverPid()).orElseThrow().destroyForcibly();

    Availability crashed = next(a -> !a.up());
    assertEquals(Duration.ofMillis(100), crashed.nextTryIn());
    List<Duration> delays = new java.util.ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Availability failed = next(a -> !a.up());
      assertTrue(failed.reason().startsWith("could not start"), failed::toString);
      assertTrue(failed.reason().contains("None of the specified directories are accessible"), failed::toString);
      delays.add(failed.nextTryIn());
    }
    assertEquals(List.of(Duration.ofMillis(200), Duration.ofMillis(400), Duration.ofMillis(400)), delays);
    // Calls meanwhile wait for the server, up to the request timeout, instead of failing at once.
    CompletableFuture<JsonNode> waiting = call(executor, "list_directory",
        Json.MAPPER.createObjectNode().put("path", served.toString()));

    Files.move(away, served);
    next(Availability::up);
    assertTrue(waiting.get(WAIT_S, TimeUnit.SECONDS).path("text").asText().isEmpty());
  }

  @Test
  void shouldCallToolsOverStreamableHttp() throws Exception {
    try (var server = McpServers.HttpEverything.start(dir.resolve("everything.log"))) {
      start("url = \"" + server.url() + "\"");
      Availability up = next(Availability::up);
      assertTrue(up.methods().containsAll(List.of("mcp/tool.echo", "mcp/tool.get-sum",
          "mcp/tool.get-structured-content")), up::toString);
      JsonNode echo = call(executor, "echo", Json.MAPPER.createObjectNode().put("message", "hello"))
          .get(WAIT_S, TimeUnit.SECONDS);
      assertEquals("Echo: hello", echo.path("text").asText(), echo::toString);
      JsonNode sum = call(executor, "get-sum", Json.MAPPER.createObjectNode().put("a", 2).put("b", 3))
          .get(WAIT_S, TimeUnit.SECONDS);
      assertTrue(sum.path("text").asText().contains("5"), sum::toString);
      JsonNode structured = call(executor, "get-structured-content",
          Json.MAPPER.createObjectNode().put("location", "New York")).get(WAIT_S, TimeUnit.SECONDS);
      assertTrue(structured.path("structured").isObject(), structured::toString);

      // Cancelling one call leaves the session, and the other calls on it, alone (round 15: over HTTP the
      // cancelled call was taken for a broken session, which failed every call in flight).
      TaskKey cancelledKey = new TaskKey("wf", "cancelled", ATTEMPTS.incrementAndGet());
      CompletableFuture<JsonNode> cancelled = executor.execute(new TaskRequest(cancelledKey,
          "mcp/tool.trigger-long-running-operation", Json.MAPPER.createObjectNode().put("duration", 30)
              .put("steps", 30), null), () -> { }).toCompletableFuture();
      CompletableFuture<JsonNode> other = call(executor, "trigger-long-running-operation",
          Json.MAPPER.createObjectNode().put("duration", 2).put("steps", 2));
      executor.cancel(cancelledKey);
      assertEquals("cancelled", failureOf(cancelled).getMessage());
      assertTrue(other.get(WAIT_S, TimeUnit.SECONDS).path("text").asText().contains("completed"), other::toString);
    }
  }

  @Test
  void shouldRejectSettingsThatNameNoServerOrBoth() {
    IllegalArgumentException neither = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> McpSettings.from(ConfigFactory.parseMap(Map.of("request-timeout", "5s"))));
    assertTrue(neither.getMessage().contains("exactly one of 'command'"), neither::getMessage);
    IllegalArgumentException unknown = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> McpSettings.from(ConfigFactory.parseString("command = node, argz = []")));
    assertTrue(unknown.getMessage().contains("unknown key 'argz'"), unknown::getMessage);
    IllegalArgumentException badUrl = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> McpSettings.from(ConfigFactory.parseString("url = \"ftp://x/mcp\"")));
    assertTrue(badUrl.getMessage().contains("'url' must be an absolute http"), badUrl::getMessage);
  }
}
