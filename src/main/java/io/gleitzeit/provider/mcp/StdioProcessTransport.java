package io.gleitzeit.provider.mcp;

import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.JSONRPCMessage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The stdio transport to one MCP server process that the node starts: newline-delimited JSON-RPC on the
 * process's stdin and stdout; its stderr goes to the node's log (line by line at INFO, and its last lines with
 * the exit when it stops unasked). A line on stdout that is not JSON-RPC is logged and skipped.
 *
 * <p>Why not the SDK's {@code StdioClientTransport}: it keeps the process to itself, so a server that dies
 * would only be noticed when each pending call timed out. Supervision needs the exit at once ({@link #exited}),
 * to fail the calls in flight, mark the provider down and restart the server.
 */
final class StdioProcessTransport implements McpClientTransport {

  private static final int STDERR_TAIL_LINES = 20;
  private static final int LOGGED_LINE_CHARS = 500;
  private static final long STOP_GRACE_MS = 2_000;
  private static final long STDERR_GRACE_MS = 500;

  private final String name;
  private final McpSettings settings;
  private final Map<String, String> nodeEnvironment;
  private final McpJsonMapper json;
  private final Logger log;
  private final CompletableFuture<Integer> exited = new CompletableFuture<>();
  private final Deque<String> stderrTail = new ArrayDeque<>();
  private final ExecutorService writerThread;
  private final Scheduler writer;
  private volatile Process process;
  /** The process once started: messages sent before (the SDK sends initialize at once) wait for it. */
  private final CompletableFuture<Process> started = new CompletableFuture<>();
  private volatile boolean closing;

  /** {@code name} (the provider id) names the threads and the logger of this server. */
  StdioProcessTransport(String name, McpSettings settings, Map<String, String> nodeEnvironment, McpJsonMapper json) {
    this.name = name;
    this.settings = settings;
    this.nodeEnvironment = nodeEnvironment;
    this.json = json;
    this.log = LoggerFactory.getLogger("io.gleitzeit.mcp." + name);
    this.writerThread = Executors.newSingleThreadExecutor(daemon("gleitzeit-mcp-" + name + "-stdin"));
    this.writer = Schedulers.fromExecutorService(writerThread, "gleitzeit-mcp-" + name + "-stdin");
  }

  /** Completes with the exit code once the process has ended (for whatever reason). */
  CompletableFuture<Integer> exited() {
    return exited;
  }

  /** The process id, once started. */
  Long pid() {
    Process p = process;
    return p == null ? null : p.pid();
  }

  /** The last lines the server wrote to stderr, oldest first. */
  List<String> stderrTail() {
    synchronized (stderrTail) {
      return new ArrayList<>(stderrTail);
    }
  }

  @Override
  public Mono<Void> connect(Function<Mono<JSONRPCMessage>, Mono<JSONRPCMessage>> handler) {
    return Mono.<Void>fromRunnable(() -> start(handler)).subscribeOn(Schedulers.boundedElastic());
  }

  private void start(Function<Mono<JSONRPCMessage>, Mono<JSONRPCMessage>> handler) {
    List<String> commandLine = new ArrayList<>();
    commandLine.add(settings.command());
    commandLine.addAll(settings.args());
    ProcessBuilder builder = new ProcessBuilder(commandLine);
    builder.environment().clear();
    for (String inherited : McpSettings.INHERITED_ENV) {
      String value = nodeEnvironment.get(inherited);
      if (value != null) {
        builder.environment().put(inherited, value);
      }
    }
    builder.environment().putAll(settings.env());
    if (settings.workingDirectory() != null) {
      builder.directory(settings.workingDirectory().toFile());
    }
    Process started;
    try {
      started = builder.start();
    } catch (IOException e) {
      IllegalStateException failure = new IllegalStateException("cannot start " + settings.describe() + ": "
          + e.getMessage(), e);
      this.started.completeExceptionally(failure);
      exited.complete(-1);
      throw failure;
    }
    process = started;
    this.started.complete(started);
    read(started.getInputStream(), "stdout", line -> onMessageLine(line, handler), new CompletableFuture<>());
    // The exit is told once stderr is read to its end, so that its last lines can be told with it (but not
    // later than a moment after: a process it started may hold stderr open).
    CompletableFuture<Void> stderrRead = new CompletableFuture<>();
    read(started.getErrorStream(), "stderr", this::onStderrLine, stderrRead);
    started.onExit().thenCompose(p -> stderrRead.completeOnTimeout(null, STDERR_GRACE_MS, TimeUnit.MILLISECONDS)
        .thenApply(ignored -> p.exitValue())).thenAccept(exited::complete);
  }

  private void read(InputStream in, String stream, Consumer<String> onLine, CompletableFuture<Void> ended) {
    Thread t = daemon("gleitzeit-mcp-" + name + "-" + stream).newThread(() -> {
      try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        String line;
        while ((line = reader.readLine()) != null) {
          onLine.accept(line);
        }
      } catch (IOException e) {
        // the process ended or was killed: its exit is reported through exited()
      } finally {
        ended.complete(null);
      }
    });
    t.start();
  }

  private void onMessageLine(String line, Function<Mono<JSONRPCMessage>, Mono<JSONRPCMessage>> handler) {
    if (line.isBlank()) {
      return;
    }
    JSONRPCMessage message;
    try {
      message = McpSchema.deserializeJsonRpcMessage(json, line);
    } catch (IOException | RuntimeException e) {
      log.warn("MCP server {} wrote a line to stdout that is not a JSON-RPC message (servers must log to"
          + " stderr); skipped: {}", name, shorten(line));
      return;
    }
    handler.apply(Mono.just(message)).subscribe(ignored -> { },
        e -> log.warn("MCP server {}: handling a message failed: {}", name, e.toString()));
  }

  private void onStderrLine(String line) {
    synchronized (stderrTail) {
      if (stderrTail.size() == STDERR_TAIL_LINES) {
        stderrTail.removeFirst();
      }
      stderrTail.addLast(shorten(line));
    }
    log.info("[{} stderr] {}", name, line);
  }

  @Override
  public Mono<Void> sendMessage(JSONRPCMessage message) {
    return Mono.<Void>fromRunnable(() -> write(message)).subscribeOn(writer);
  }

  private void write(JSONRPCMessage message) {
    Process p;
    try {
      p = started.get(settings.startupTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("MCP server " + name + " did not start", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("MCP server " + name + ": interrupted while starting", e);
    }
    if (!p.isAlive() || closing) {
      throw new IllegalStateException("MCP server " + name + " is not running");
    }
    try {
      String line = json.writeValueAsString(message);
      OutputStream stdin = p.getOutputStream();
      stdin.write(line.getBytes(StandardCharsets.UTF_8));
      stdin.write('\n');
      stdin.flush();
    } catch (IOException e) {
      throw new IllegalStateException("MCP server " + name + ": writing to its stdin failed: " + e.getMessage(), e);
    }
  }

  /** Closes its stdin, gives it a moment to end, then kills it and whatever it started. */
  @Override
  public Mono<Void> closeGracefully() {
    return Mono.<Void>fromRunnable(this::stop).subscribeOn(Schedulers.boundedElastic());
  }

  private void stop() {
    closing = true;
    Process p = process;
    try {
      if (p != null) {
        List<ProcessHandle> descendants = p.descendants().toList();
        try {
          p.getOutputStream().close();
        } catch (IOException e) {
          // already closed by a process that ended
        }
        if (!p.waitFor(STOP_GRACE_MS, TimeUnit.MILLISECONDS)) {
          p.destroyForcibly();
        }
        descendants.forEach(ProcessHandle::destroyForcibly);
      }
    } catch (InterruptedException e) {
      if (p != null) {
        p.destroyForcibly();
      }
      Thread.currentThread().interrupt();
    } finally {
      writer.dispose();
      writerThread.shutdownNow();
    }
  }

  /** Kills the process at once: the node is stopping, or the server stopped answering. */
  void kill() {
    closing = true;
    Process p = process;
    if (p != null) {
      List<ProcessHandle> descendants = p.descendants().toList();
      p.destroyForcibly();
      descendants.forEach(ProcessHandle::destroyForcibly);
    }
    writer.dispose();
    writerThread.shutdownNow();
  }

  @Override
  public <T> T unmarshalFrom(Object data, TypeRef<T> typeRef) {
    return json.convertValue(data, typeRef);
  }

  private static String shorten(String line) {
    return line.length() <= LOGGED_LINE_CHARS ? line : line.substring(0, LOGGED_LINE_CHARS) + "...";
  }

  private static java.util.concurrent.ThreadFactory daemon(String threadName) {
    return r -> {
      Thread t = new Thread(r, threadName);
      t.setDaemon(true);
      return t;
    };
  }
}
