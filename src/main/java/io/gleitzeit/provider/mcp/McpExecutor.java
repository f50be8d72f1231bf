package io.gleitzeit.provider.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.DefinitionParser;
import io.gleitzeit.domain.Json;
import io.gleitzeit.provider.Availability;
import io.gleitzeit.provider.SupervisedExecutor;
import io.gleitzeit.provider.TaskFailure;
import io.gleitzeit.provider.TaskKey;
import io.gleitzeit.provider.TaskRequest;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The built-in {@code mcp} provider: one MCP server, its tools served as {@code mcp/tool.<name>}. It starts the
 * server (or opens the HTTP session), lists the tools and reports them as its methods; when the server
 * stops or stops answering pings it reports itself down, fails the calls in flight (retryable) and brings the
 * server back after a backoff that doubles with every failed try, from {@code restart-min-backoff} up to
 * {@code restart-max-backoff}, and starts again from the minimum once the server has stayed up that long.
 *
 * <p>Every change of state happens on one thread of its own ({@link #supervisor}); calls run on the SDK's
 * threads. Nothing here blocks the caller.
 */
public final class McpExecutor implements SupervisedExecutor {

  public static final String METHOD_PREFIX = "mcp/tool.";
  /** What an mcp provider allows when its configuration lists no methods: every tool of its server. */
  public static final List<String> METHODS = List.of(METHOD_PREFIX + "*");

  private final String name;
  private final McpSettings settings;
  private final Map<String, String> nodeEnvironment;
  private final McpJsonMapper json = McpJsonDefaults.getMapper();
  private final Logger log;
  private final ScheduledExecutorService supervisor;
  /** The supervisor thread as an executor that drops work once the executor is closed. */
  private final java.util.concurrent.Executor onSupervisor;
  private final Map<TaskKey, Call> calls = new ConcurrentHashMap<>();
  /** Every connection not yet closed, so that {@link #close} can stop their processes from any thread. */
  private final Set<McpConnection> open = ConcurrentHashMap.newKeySet();

  /** One attempt's call: it may be cancelled while it waits for the server, or once sent. */
  private static final class Call {
    volatile boolean cancelled;
    volatile CompletableFuture<?> sent;
  }

  private volatile Consumer<Availability> listener = a -> { };
  private volatile boolean closed;
  /** Completed with the live connection while the server is up; a new, open one while it is down. */
  private volatile CompletableFuture<McpConnection> ready = new CompletableFuture<>();
  private volatile String downReason = "it has not started yet";

  // Touched on the supervisor thread only.
  private McpConnection current;
  private int failures;
  private long upSinceNanos;
  private ScheduledFuture<?> pings;

  public McpExecutor(String name, McpSettings settings) {
    this(name, settings, System.getenv());
  }

  McpExecutor(String name, McpSettings settings, Map<String, String> nodeEnvironment) {
    this.name = name;
    this.settings = settings;
    this.nodeEnvironment = Map.copyOf(nodeEnvironment);
    this.log = LoggerFactory.getLogger(McpExecutor.class);
    this.supervisor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "gleitzeit-mcp-" + name);
      t.setDaemon(true);
      return t;
    });
    this.onSupervisor = task -> {
      try {
        supervisor.execute(task);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // closed: nothing more to supervise
      }
    };
  }

  @Override
  public void start(Consumer<Availability> changes) {
    this.listener = changes;
    onSupervisor.execute(this::connect);
  }

  @Override
  public void close() {
    closed = true;
    ready.completeExceptionally(new TaskFailure("MCP server " + name + " is shut down", true));
    // Killed here and now, not on the supervisor thread: the node may be about to exit.
    open.forEach(McpConnection::kill);
    open.clear();
    supervisor.shutdownNow();
  }

  /** The server process's id while a stdio server is up (for tests that crash it), else null. */
  Long serverPid() {
    CompletableFuture<McpConnection> r = ready;
    return r.isDone() && !r.isCompletedExceptionally() ? r.join().pid() : null;
  }

  // ---- supervision (on the supervisor thread) ----

  private void connect() {
    if (closed) {
      return;
    }
    McpConnection connection = new McpConnection(name, settings, nodeEnvironment, json, this::toolsChanged);
    open.add(connection);
    if (closed) { // close() ran meanwhile and may have missed it
      open.remove(connection);
      return;
    }
    connection.open().whenCompleteAsync((c, failure) -> opened(connection, failure), onSupervisor);
  }

  private void opened(McpConnection connection, Throwable failure) {
    if (closed) {
      connection.kill();
      return;
    }
    if (failure != null) {
      String reason = "could not start: " + message(failure) + (connection.lost().isDone() ? ""
          : connection.stderrTail());
      close(connection);
      retryLater(reason);
      return;
    }
    current = connection;
    upSinceNanos = System.nanoTime();
    List<String> methods = methods(connection);
    log.info("MCP server {} is up with {} tools ({})", name, methods.size(), settings.describe());
    ready.complete(connection);
    listener.accept(Availability.up(methods));
    connection.lost().thenAcceptAsync(reason -> lost(connection, reason), onSupervisor);
    if (!settings.pingInterval().isZero()) {
      long every = settings.pingInterval().toMillis();
      try {
        pings = supervisor.scheduleWithFixedDelay(() -> ping(connection), every, every, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // closed meanwhile
      }
    }
  }

  private void lost(McpConnection connection, String reason) {
    if (connection != current || closed) {
      return;
    }
    current = null;
    ready = new CompletableFuture<>();
    if (pings != null) {
      pings.cancel(false);
    }
    // A server that stayed up long enough starts from the shortest backoff again.
    if (System.nanoTime() - upSinceNanos >= settings.restartMaxBackoff().toNanos()) {
      failures = 0;
    }
    close(connection);
    retryLater("stopped: " + reason);
  }

  private void close(McpConnection connection) {
    open.remove(connection);
    connection.close();
  }

  private void retryLater(String reason) {
    failures++;
    Duration delay = backoff(failures);
    downReason = reason;
    log.warn("MCP server {} ({}) {}; trying again in {} ms", name, settings.describe(), reason, delay.toMillis());
    listener.accept(Availability.down(reason, delay));
    try {
      supervisor.schedule(this::connect, delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closed meanwhile
    }
  }

  /** The delay before try {@code n} (n >= 1) to bring the server back: min, 2 min, 4 min ... up to max. */
  Duration backoff(int n) {
    long max = settings.restartMaxBackoff().toMillis();
    long delay = settings.restartMinBackoff().toMillis();
    for (int i = 1; i < n && delay < max; i++) {
      delay *= 2;
    }
    return Duration.ofMillis(Math.min(delay, max));
  }

  private void toolsChanged(McpConnection connection) {
    onSupervisor.execute(() -> {
      if (connection == current && !closed) {
        List<String> methods = methods(connection);
        log.info("MCP server {} changed its tools: now {}", name, methods);
        listener.accept(Availability.up(methods));
      }
    });
  }

  private void ping(McpConnection connection) {
    connection.client().ping().timeout(settings.pingInterval()).subscribe(ok -> { },
        failure -> connection.lose("it did not answer a ping within " + settings.pingInterval().toMillis()
            + " ms (" + message(failure) + ")"));
  }

  /** The tools as methods; a tool whose name cannot be a method is left out, and said so. */
  private List<String> methods(McpConnection connection) {
    List<String> methods = new ArrayList<>();
    for (McpSchema.Tool tool : connection.tools()) {
      String method = METHOD_PREFIX + tool.name();
      if (DefinitionParser.METHOD.matcher(method).matches()) {
        methods.add(method);
      } else {
        log.warn("MCP server {}: tool '{}' is not served: its name cannot be part of a method"
            + " (allowed: A-Z a-z 0-9 _ . : -)", name, tool.name());
      }
    }
    return methods;
  }

  // ---- calls ----

  @Override
  public CompletionStage<JsonNode> execute(TaskRequest request, Runnable started) {
    return execute(request, started, progress -> { });
  }

  /** The tool's progress notifications, if it sends any, become {@code {progress, total, message}}. */
  @Override
  public CompletionStage<JsonNode> execute(TaskRequest request, Runnable started, Consumer<ObjectNode> progress) {
    if (!request.method().startsWith(METHOD_PREFIX)) {
      return CompletableFuture.failedFuture(
          new TaskFailure("the mcp provider " + name + " does not serve " + request.method(), false));
    }
    String tool = request.method().substring(METHOD_PREFIX.length());
    Map<String, Object> arguments = Json.MAPPER.convertValue(request.params(),
        new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() { });
    // While the server is down (restarting), a call waits for it, up to the request timeout.
    Call call = new Call();
    calls.put(request.key(), call);
    CompletableFuture<JsonNode> outcome = ready.copy()
        .orTimeout(settings.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .exceptionallyCompose(e -> CompletableFuture.failedFuture(unwrap(e) instanceof TaskFailure tf ? tf
            : new TaskFailure("MCP server " + name + " is not running (" + downReason + ")", true)))
        .thenCompose(connection -> call(call, connection, tool, arguments, started, progress));
    outcome.whenComplete((r, e) -> calls.remove(request.key(), call));
    return outcome;
  }

  @Override
  public void cancel(TaskKey key) {
    Call call = calls.remove(key);
    if (call != null) {
      call.cancelled = true;
      CompletableFuture<?> sent = call.sent;
      if (sent != null) {
        sent.cancel(false);
      }
    }
  }

  private CompletableFuture<JsonNode> call(Call call, McpConnection connection, String tool,
                                           Map<String, Object> arguments, Runnable started,
                                           Consumer<ObjectNode> progress) {
    if (call.cancelled) {
      return CompletableFuture.failedFuture(new TaskFailure("cancelled", false));
    }
    if (!connection.hasTool(tool)) {
      return CompletableFuture.failedFuture(new TaskFailure("MCP server " + name + " has no tool '" + tool
          + "'", false));
    }
    started.run();
    CompletableFuture<McpSchema.CallToolResult> sent = connection.call(tool, arguments, n -> {
      ObjectNode p = Json.MAPPER.createObjectNode();
      p.put("progress", n.progress());
      p.put("total", n.total());
      p.put("message", n.message());
      progress.accept(p);
    });
    call.sent = sent;
    return sent.handle((answer, failure) -> {
      if (failure != null && (call.cancelled || unwrap(failure) instanceof CancellationException)) {
        // This task no longer wants the call (cancelled, or timed out): the connection is fine, and the other
        // calls on it go on (over HTTP, taking it for a broken session failed them all, black-box round 15).
        throw new TaskFailure("cancelled", false);
      }
      if (failure != null) {
        throw failureOf(connection, tool, failure);
      }
      return ToolResults.of(tool, answer, json);
    });
  }

  private TaskFailure failureOf(McpConnection connection, String tool, Throwable failure) {
    Throwable cause = unwrap(failure);
    // The SDK may fail the call first ("session terminated") when the server ends: the end is what counts.
    String lost = cause instanceof McpConnection.ConnectionLost ? cause.getMessage() : connection.lostReason();
    if (lost != null) {
      return new TaskFailure("MCP server " + name + " stopped during the call of tool " + tool + ": " + lost, true);
    }
    if (cause instanceof McpError error && error.getJsonRpcError() != null) {
      Integer code = error.getJsonRpcError().code();
      boolean requestAtFault = code != null && (code == McpSchema.ErrorCodes.INVALID_PARAMS
          || code == McpSchema.ErrorCodes.METHOD_NOT_FOUND || code == McpSchema.ErrorCodes.INVALID_REQUEST
          || code == McpSchema.ErrorCodes.PARSE_ERROR);
      return new TaskFailure("MCP tool " + tool + " was refused by server " + name + ": "
          + error.getJsonRpcError().message() + " (JSON-RPC error " + code + ")", !requestAtFault);
    }
    if (cause instanceof TimeoutException) {
      return new TaskFailure("MCP tool " + tool + " did not answer within " + settings.requestTimeout().toMillis()
          + " ms", true);
    }
    if (!settings.stdio()) {
      connection.lose("a call failed: " + message(cause)); // the HTTP session is broken: reconnect
    }
    return new TaskFailure("MCP tool " + tool + " failed on server " + name + ": " + message(cause), true);
  }

  /** The failure inside the wrappers of CompletableFuture. */
  static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** The messages along a failure's causes, each once: the SDK wraps the telling one deep inside. */
  private static String message(Throwable e) {
    java.util.LinkedHashSet<String> parts = new java.util.LinkedHashSet<>();
    for (Throwable t = unwrap(e); t != null && parts.size() < 5; t = t.getCause() == t ? null : t.getCause()) {
      String m = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
      if (parts.stream().noneMatch(p -> p.contains(m))) {
        parts.add(m);
      }
    }
    return String.join(": ", parts);
  }
}
