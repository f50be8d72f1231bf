package io.gleitzeit.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.domain.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The one live event stream of a bench run: {@code GET /events/stream?type=workflow:*}, read on its own
 * thread. Every workflow the bench submits is {@link #expect expected} before its POST; the
 * {@code workflow:completed|failed|cancelled} envelope completes its future with the moment (nanoTime) the
 * bench received it. No polling: a workflow's end is known when its event arrives.
 */
final class WorkflowEnds implements AutoCloseable {

  /** How a workflow ended, and when the bench learnt it. */
  record End(String workflowId, String status, long receivedNanos) {}

  private final Map<String, CompletableFuture<End>> expected = new ConcurrentHashMap<>();
  private final CompletableFuture<Void> closed = new CompletableFuture<>();
  private final Thread reader;
  private volatile InputStream body;
  private volatile boolean closing;

  private WorkflowEnds(HttpResponse<InputStream> response) {
    this.body = response.body();
    this.reader = new Thread(this::read, "bench-sse");
    this.reader.setDaemon(true);
    this.reader.start();
  }

  /** Opens the stream; returns once the node answered 200 (the subscription is then in place). */
  static WorkflowEnds open(HttpClient http, String baseUrl) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + "/events/stream?type=workflow:*"))
        .header("Accept", "text/event-stream").GET().build();
    try {
      HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
      if (response.statusCode() != 200) {
        throw new IllegalStateException("GET /events/stream answered HTTP " + response.statusCode() + ": "
            + new String(response.body().readAllBytes(), StandardCharsets.UTF_8));
      }
      return new WorkflowEnds(response);
    } catch (IOException e) {
      throw new IllegalStateException("cannot open the event stream of " + baseUrl, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Registers a workflow before it is submitted, so that its end cannot be missed. */
  CompletableFuture<End> expect(String workflowId) {
    CompletableFuture<End> f = new CompletableFuture<>();
    if (expected.putIfAbsent(workflowId, f) != null) {
      throw new IllegalStateException("workflow " + workflowId + " expected twice");
    }
    if (closed.isDone()) {
      fail(workflowId, new IllegalStateException("the event stream is closed"));
    }
    return f;
  }

  /** The workflow will not end (its submission failed). */
  void fail(String workflowId, Throwable why) {
    CompletableFuture<End> f = expected.remove(workflowId);
    if (f != null) {
      f.completeExceptionally(why);
    }
  }

  /** Stops waiting for a workflow (given up on). */
  void forget(String workflowId) {
    expected.remove(workflowId);
  }

  /** Completes exceptionally when the stream breaks (the node died, or it disconnected a slow reader). */
  CompletableFuture<Void> closed() {
    return closed;
  }

  private void read() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8), 1 << 16)) {
      StringBuilder data = new StringBuilder();
      String line;
      while ((line = in.readLine()) != null) {
        if (line.isEmpty()) {
          if (data.length() > 0) {
            long now = System.nanoTime();
            JsonNode envelope = Json.MAPPER.readTree(data.toString());
            String type = envelope.path("event_type").asText();
            CompletableFuture<End> f = isEnd(type) ? expected.remove(envelope.path("workflow_id").asText()) : null;
            if (f != null) {
              f.complete(new End(envelope.path("workflow_id").asText(), type.substring("workflow:".length()), now));
            }
          }
          data.setLength(0);
        } else if (line.startsWith("data:")) {
          data.append(value(line, "data:"));
        }
      }
      streamClosed(new IllegalStateException("the event stream ended"));
    } catch (IOException | RuntimeException e) {
      streamClosed(closing ? new IllegalStateException("the event stream was closed by the bench") : e);
    }
  }

  /** Every workflow still expected fails with the reason: its end can no longer be seen. */
  private void streamClosed(Throwable why) {
    closed.completeExceptionally(why);
    for (String id : expected.keySet()) {
      fail(id, why);
    }
  }

  private static boolean isEnd(String type) {
    return type.equals("workflow:completed") || type.equals("workflow:failed") || type.equals("workflow:cancelled");
  }

  private static String value(String line, String field) {
    String v = line.substring(field.length());
    return v.startsWith(" ") ? v.substring(1) : v;
  }

  @Override
  public void close() {
    closing = true;
    try {
      body.close();
    } catch (IOException e) {
      // closing anyway
    }
    try {
      reader.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
