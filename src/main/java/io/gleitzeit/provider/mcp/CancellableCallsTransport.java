package io.gleitzeit.provider.mcp;

import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.JSONRPCMessage;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * A transport that can cancel a tool call at the server. MCP cancels a request with {@code notifications/cancelled}
 * naming its JSON-RPC id, which the SDK's client neither sends nor shows: this wrapper learns the id of each
 * {@code tools/call} it passes on, by the progress token the call carries, so that a call the task no longer wants
 * (cancelled, timed out) stops at the server instead of running on beside the calls that take its place.
 */
final class CancellableCallsTransport implements McpClientTransport {

  private static final String CANCELLED = "notifications/cancelled";
  private static final Logger LOG = LoggerFactory.getLogger(CancellableCallsTransport.class);

  private final String name;
  private final McpClientTransport transport;
  /** The JSON-RPC id of each tool call sent and not yet forgotten, by its progress token. */
  private final Map<String, Object> requestIds = new ConcurrentHashMap<>();

  CancellableCallsTransport(String name, McpClientTransport transport) {
    this.name = name;
    this.transport = transport;
  }

  @Override
  public Mono<Void> sendMessage(JSONRPCMessage message) {
    if (message instanceof McpSchema.JSONRPCRequest request
        && McpSchema.METHOD_TOOLS_CALL.equals(request.method())
        && request.params() instanceof McpSchema.CallToolRequest call
        && call.meta() != null && call.meta().get("progressToken") != null) {
      requestIds.put(String.valueOf(call.meta().get("progressToken")), request.id());
    }
    return transport.sendMessage(message);
  }

  /** Tells the server to stop the call sent with {@code progressToken}, if it was sent; forgets it either way. */
  void cancel(String progressToken, String reason) {
    Object id = requestIds.remove(progressToken);
    if (id == null) {
      return;
    }
    transport.sendMessage(new McpSchema.JSONRPCNotification(McpSchema.JSONRPC_VERSION, CANCELLED,
            Map.of("requestId", id, "reason", reason)))
        .subscribe(ignored -> { }, e -> LOG.debug("MCP server {}: the cancellation of request {} was not sent: {}",
            name, id, e.toString()));
  }

  /** The call sent with {@code progressToken} has its answer: nothing to cancel any more. */
  void forget(String progressToken) {
    requestIds.remove(progressToken);
  }

  @Override
  public Mono<Void> connect(Function<Mono<JSONRPCMessage>, Mono<JSONRPCMessage>> handler) {
    return transport.connect(handler);
  }

  @Override
  public void setExceptionHandler(Consumer<Throwable> handler) {
    transport.setExceptionHandler(handler);
  }

  @Override
  public Mono<Void> closeGracefully() {
    return transport.closeGracefully();
  }

  @Override
  public void close() {
    transport.close();
  }

  @Override
  public <T> T unmarshalFrom(Object data, TypeRef<T> type) {
    return transport.unmarshalFrom(data, type);
  }

  @Override
  public List<String> protocolVersions() {
    return transport.protocolVersions();
  }
}
