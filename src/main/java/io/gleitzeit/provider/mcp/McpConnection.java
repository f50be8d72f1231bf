package io.gleitzeit.provider.mcp;

import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * One session with an MCP server, through the official SDK's client: a process started and spoken to over
 * stdio, or a streamable HTTP session. {@link #open} initializes it and lists its tools; {@link #lost}
 * completes, with the reason, when it ends for any reason other than {@link #close}.
 */
final class McpConnection {

  static final McpSchema.Implementation CLIENT_INFO = new McpSchema.Implementation("gleitzeit", "0.1.0");

  private final String name;
  private final McpSettings settings;
  private final StdioProcessTransport stdio;
  private final CancellableCallsTransport transport;
  private final McpAsyncClient client;
  private final CompletableFuture<String> lost = new CompletableFuture<>();
  /** Calls waiting for their answer: failed at once when the connection is lost. */
  private final Set<CompletableFuture<McpSchema.CallToolResult>> inFlight = ConcurrentHashMap.newKeySet();
  /** Where the progress notifications of each call in flight go, by the progress token sent with it. */
  private final Map<String, Consumer<McpSchema.ProgressNotification>> progress = new ConcurrentHashMap<>();
  private final AtomicLong tokens = new AtomicLong();
  private volatile List<McpSchema.Tool> tools = List.of();

  /**
   * A connection not yet started. {@code toolsChanged} hears of a changed tool list the server announces
   * ({@code notifications/tools/list_changed}), after {@link #tools()} shows it.
   */
  McpConnection(String name, McpSettings settings, Map<String, String> nodeEnvironment, McpJsonMapper json,
                Consumer<McpConnection> toolsChanged) {
    this.name = name;
    this.settings = settings;
    McpClientTransport underlying;
    if (settings.stdio()) {
      stdio = new StdioProcessTransport(name, settings, nodeEnvironment, json);
      stdio.exited().thenAccept(code -> lose("the process exited with code " + code + stderrTail()));
      underlying = stdio;
    } else {
      stdio = null;
      underlying = http(settings.url(), settings.startupTimeout(), json);
    }
    transport = new CancellableCallsTransport(name, underlying);
    client = McpClient.async(transport)
        .requestTimeout(settings.requestTimeout())
        .initializationTimeout(settings.startupTimeout())
        .clientInfo(CLIENT_INFO)
        .capabilities(McpSchema.ClientCapabilities.builder().build())
        .progressConsumer(notification -> {
          Consumer<McpSchema.ProgressNotification> to = progress.get(String.valueOf(notification.progressToken()));
          if (to != null) {
            to.accept(notification);
          }
          return Mono.empty();
        })
        .toolsChangeConsumer(list -> {
          tools = List.copyOf(list);
          toolsChanged.accept(this);
          return Mono.empty();
        })
        .build();
    lost.thenAccept(reason -> {
      ConnectionLost failure = new ConnectionLost(reason);
      inFlight.forEach(call -> call.completeExceptionally(failure));
    });
  }

  /** A call ended because its connection ended; the message is the reason. */
  static final class ConnectionLost extends RuntimeException {
    ConnectionLost(String reason) {
      super(reason, null, false, false);
    }
  }

  private static McpClientTransport http(URI url, Duration connectTimeout, McpJsonMapper json) {
    String base = url.getScheme() + "://" + url.getRawAuthority();
    String endpoint = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/mcp" : url.getRawPath();
    if (url.getRawQuery() != null) {
      endpoint += "?" + url.getRawQuery();
    }
    return HttpClientStreamableHttpTransport.builder(base).endpoint(endpoint).jsonMapper(json)
        .connectTimeout(connectTimeout).build();
  }

  /**
   * Starts the process (or opens the session), initializes and lists the tools, within the startup timeout;
   * fails as soon as the process exits meanwhile.
   */
  CompletableFuture<McpConnection> open() {
    CompletableFuture<McpConnection> opened = new CompletableFuture<>();
    client.initialize()
        .then(client.listTools())
        .timeout(settings.startupTimeout())
        .subscribe(list -> {
          tools = List.copyOf(list.tools());
          opened.complete(this);
        }, opened::completeExceptionally);
    lost.thenAccept(reason -> opened.completeExceptionally(new IllegalStateException(reason)));
    return opened;
  }

  /**
   * Calls a tool, asking for progress notifications, which go to {@code onProgress}; fails with {@link
   * ConnectionLost} as soon as the connection ends meanwhile, rather than when the request times out. Cancelling
   * the returned future, or the request timing out, cancels the call at the server ({@code notifications/cancelled}).
   */
  CompletableFuture<McpSchema.CallToolResult> call(String tool, Map<String, Object> arguments,
                                                   Consumer<McpSchema.ProgressNotification> onProgress) {
    CompletableFuture<McpSchema.CallToolResult> answer = new CompletableFuture<>();
    inFlight.add(answer);
    String token = "gleitzeit-" + tokens.incrementAndGet();
    progress.put(token, onProgress);
    Disposable subscription = client.callTool(new McpSchema.CallToolRequest(tool, arguments,
        Map.of("progressToken", token))).subscribe(answer::complete, answer::completeExceptionally);
    answer.whenComplete((r, e) -> {
      inFlight.remove(answer);
      progress.remove(token);
      subscription.dispose();
      if (answer.isCancelled()) {
        transport.cancel(token, "the task no longer wants this call (cancelled or timed out)");
      } else if (McpExecutor.unwrap(e) instanceof java.util.concurrent.TimeoutException) {
        transport.cancel(token, "no answer within the request timeout");
      } else {
        transport.forget(token);
      }
    });
    if (lost.isDone() && !lost.isCancelled()) {
      answer.completeExceptionally(new ConnectionLost(lost.join()));
    }
    return answer;
  }

  McpAsyncClient client() {
    return client;
  }

  List<McpSchema.Tool> tools() {
    return tools;
  }

  boolean hasTool(String tool) {
    return tools.stream().anyMatch(t -> t.name().equals(tool));
  }

  /** Completes with the reason once the connection has ended unasked (never after {@link #close}). */
  CompletableFuture<String> lost() {
    return lost;
  }

  /** Why the connection ended unasked, or null while it lasts (or when it was closed). */
  String lostReason() {
    return lost.isDone() && !lost.isCompletedExceptionally() ? lost.join() : null;
  }

  /** Ends the connection as broken: a ping went unanswered, or the HTTP endpoint failed. */
  void lose(String reason) {
    lost.complete(reason);
  }

  /** The server process's id; null for HTTP or before it started. */
  Long pid() {
    return stdio == null ? null : stdio.pid();
  }

  /** Closes the session and stops the process (its stdin closed; killed if it does not end soon). */
  void close() {
    lost.cancel(false); // what ends now is asked for: nobody is told it was lost
    client.close();
  }

  /** Stops the process at once (the node is stopping); a no-op for HTTP beyond closing the session. */
  void kill() {
    lost.cancel(false);
    if (stdio != null) {
      stdio.kill();
    }
    client.close();
  }

  /** ": " and the server's last stderr lines, or nothing when it wrote none. */
  String stderrTail() {
    if (stdio == null) {
      return "";
    }
    List<String> tail = stdio.stderrTail();
    return tail.isEmpty() ? "" : "; its stderr ended with: " + String.join(" | ", tail);
  }

  @Override
  public String toString() {
    return "MCP server " + name + " (" + settings.describe() + ")";
  }
}
