package io.gleitzeit.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.domain.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A small client of the Gleitzeit HTTP API (SPEC §5) for tests, on {@link java.net.http.HttpClient} only:
 * plain requests, JSON parsing with {@link Json#MAPPER}, and waiting for a workflow to end by following its
 * server-sent event stream ({@code GET /events/stream?workflow_id=ID}) — never by polling.
 *
 * <p>It asserts nothing about the answers it returns (apart from the convenience methods whose names say so,
 * which throw {@link AssertionError} with the server's answer when it is not what they need), so tests keep
 * their assertions themselves. Close it when done: it owns the threads that read event streams.
 */
public final class ApiTestClient implements AutoCloseable {

  /** The envelopes that end a workflow's stream. */
  public static final Set<String> WORKFLOW_ENDS = Set.of("workflow:completed", "workflow:failed", "workflow:cancelled");

  /** SPEC: UTC ISO-8601 with exactly millisecond precision. */
  public static final Pattern TIMESTAMP = Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");

  /** The twelve keys of every event envelope (SPEC §4). */
  public static final List<String> ENVELOPE_KEYS = List.of("event_id", "event_type", "timestamp", "sequence_number",
      "source_component", "correlation_id", "workflow_id", "task_id", "provider_id", "severity", "payload",
      "metadata");

  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final String baseUrl;
  private final HttpClient http;
  /** Event streams are read with blocking line iterators, one thread each while they are open. */
  private final ExecutorService readers = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "api-test-sse-" + THREADS.incrementAndGet());
    t.setDaemon(true);
    return t;
  });

  public ApiTestClient(String baseUrl) {
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build();
  }

  /** An answer: status, body as text, headers. */
  public record Response(int status, String body, HttpHeaders headers) {
    public JsonNode json() {
      return parse(body);
    }

    public String contentType() {
      return headers.firstValue("content-type").orElse(null);
    }

    @Override
    public String toString() {
      return "HTTP " + status + " " + body;
    }
  }

  /**
   * How a followed workflow ended: its final envelope, every envelope the stream delivered up to it, and the
   * SSE {@code id:} of each of those (null where an event carried none).
   */
  public record Ended(JsonNode terminal, List<JsonNode> streamed, List<String> sseIds) {
    /** {@code completed}, {@code failed} or {@code cancelled}. */
    public String status() {
      return terminal.path("event_type").asText().substring("workflow:".length());
    }
  }

  public String baseUrl() {
    return baseUrl;
  }

  public HttpClient http() {
    return http;
  }

  public URI uri(String pathAndQuery) {
    return URI.create(baseUrl + pathAndQuery);
  }

  // ---- plain requests ----

  public Response get(String pathAndQuery) {
    return send(HttpRequest.newBuilder(uri(pathAndQuery)).GET());
  }

  /** A POST with the given Content-Type, or with none at all when {@code contentType} is null. */
  public Response post(String path, String contentType, String body) {
    return post(path, contentType, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
  }

  public Response post(String path, String contentType, HttpRequest.BodyPublisher body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).POST(body);
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    return send(b);
  }

  public Response send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> r = http.send(request.timeout(REQUEST_TIMEOUT).build(),
          HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return new Response(r.statusCode(), r.body(), r.headers());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  // ---- workflows ----

  /** {@code POST /workflows} with a JSON body; the answer as it is. */
  public Response submit(String definitionJson) {
    return post("/workflows", "application/json", definitionJson);
  }

  /** Submits and returns the workflow id; an AssertionError when the answer is not 202. */
  public String submitAccepted(String definitionJson) {
    Response r = submit(definitionJson);
    if (r.status() != 202) {
      throw new AssertionError("POST /workflows expected 202, got " + r);
    }
    return r.json().path("workflow_id").asText();
  }

  /** {@code GET /workflows/{id}}; an AssertionError when the answer is not 200. */
  public JsonNode workflow(String workflowId) {
    return ok(get("/workflows/" + enc(workflowId)));
  }

  /** {@code GET /workflows/{id}/events} as a list; an AssertionError when the answer is not 200. */
  public List<JsonNode> events(String workflowId) {
    JsonNode body = ok(get("/workflows/" + enc(workflowId) + "/events"));
    List<JsonNode> out = new ArrayList<>();
    body.path("events").forEach(out::add);
    return out;
  }

  /** Submits, waits until the workflow ends (via its event stream), and returns {@code GET /workflows/{id}}. */
  public JsonNode runToEnd(String definitionJson, Duration timeout) {
    String id = submitAccepted(definitionJson);
    awaitEnd(id, timeout);
    return workflow(id);
  }

  /** Blocks until the workflow ends; an AssertionError when it does not within {@code timeout}. */
  public Ended awaitEnd(String workflowId, Duration timeout) {
    try {
      return followToEnd(workflowId, timeout).get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() instanceof CompletionException && e.getCause().getCause() != null
          ? e.getCause().getCause() : e.getCause();
      if (cause instanceof TimeoutException) {
        throw new AssertionError("workflow " + workflowId + " did not end within " + timeout.toMillis() + " ms");
      }
      throw new AssertionError("following workflow " + workflowId + " failed: " + cause, cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /**
   * Follows {@code GET /events/stream?workflow_id=ID} — the workflow's history, then its live events — until a
   * {@code workflow:completed|failed|cancelled} envelope arrives. The future fails with a TimeoutException after
   * {@code timeout}, and the stream is closed whichever way it ends.
   */
  public CompletableFuture<Ended> followToEnd(String workflowId, Duration timeout) {
    HttpRequest request = HttpRequest.newBuilder(uri("/events/stream?workflow_id=" + enc(workflowId)))
        .header("Accept", "text/event-stream").GET().build();
    CompletableFuture<Ended> done = new CompletableFuture<Ended>().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    AtomicReference<Stream<String>> open = new AtomicReference<>();
    done.whenComplete((ended, failure) -> {
      Stream<String> lines = open.get();
      if (lines != null) {
        lines.close();
      }
    });
    http.sendAsync(request, HttpResponse.BodyHandlers.ofLines()).whenComplete((response, failure) -> {
      if (failure != null) {
        done.completeExceptionally(failure);
        return;
      }
      readers.execute(() -> read(response, open, done));
    });
    return done;
  }

  private static void read(HttpResponse<Stream<String>> response, AtomicReference<Stream<String>> open,
                           CompletableFuture<Ended> done) {
    Stream<String> lines = response.body();
    open.set(lines);
    if (done.isDone()) {
      lines.close(); // timed out before the stream was opened: done's own close may have missed it
      return;
    }
    try (lines) {
      if (response.statusCode() != 200) {
        done.completeExceptionally(new IllegalStateException("GET /events/stream answered HTTP "
            + response.statusCode() + ": " + String.join("\n", lines.toList())));
        return;
      }
      List<JsonNode> streamed = new ArrayList<>();
      List<String> ids = new ArrayList<>();
      StringBuilder data = new StringBuilder();
      String id = null;
      Iterator<String> it = lines.iterator();
      while (it.hasNext() && !done.isDone()) {
        String line = it.next();
        if (line.startsWith("data:")) {
          data.append(field(line, "data:"));
        } else if (line.startsWith("id:")) {
          id = field(line, "id:");
        } else if (!line.isEmpty() && !line.startsWith(":")) {
          // SPEC §5: id: and data: only (a comment, ':', is a keep-alive); a named event escapes onmessage.
          done.completeExceptionally(new AssertionError("an SSE field other than id: and data: " + line));
          return;
        } else if (line.isEmpty()) {
          // The blank line ends one event (SSE); a comment or a heartbeat carries no data.
          if (data.length() > 0) {
            JsonNode envelope = parse(data.toString());
            streamed.add(envelope);
            ids.add(id);
            if (WORKFLOW_ENDS.contains(envelope.path("event_type").asText())) {
              done.complete(new Ended(envelope, Collections.unmodifiableList(streamed),
                  Collections.unmodifiableList(ids)));
              return;
            }
          }
          data.setLength(0);
          id = null;
        }
      }
      done.completeExceptionally(new IllegalStateException("the event stream closed before the workflow ended"));
    } catch (RuntimeException e) {
      done.completeExceptionally(e); // includes the stream being closed under us on timeout
    }
  }

  /** An SSE field's value: after the name, without the one optional leading space. */
  private static String field(String line, String name) {
    String value = line.substring(name.length());
    return value.startsWith(" ") ? value.substring(1) : value;
  }

  // ---- JSON ----

  /**
   * The workflow once its task's {@code waiting_for} is set. The coordinator's answer carries no event (it is in
   * memory only), so this asks again until the answer shows it; every ask is a full round trip, no pause.
   */
  public JsonNode awaitWaitingFor(String workflowId, String taskId, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    JsonNode w;
    do {
      w = workflow(workflowId);
    } while (task(w, taskId).path("waiting_for").isNull() && System.nanoTime() < deadline);
    JsonNode last = w;
    if (task(last, taskId).path("waiting_for").isNull()) {
      throw new AssertionError("waiting_for of " + taskId + " was never set: " + last);
    }
    return last;
  }

  public static JsonNode parse(String text) {
    try {
      return Json.MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new AssertionError("not JSON: " + text, e);
    }
  }

  /** The body of a 200 answer; an AssertionError with the answer otherwise. */
  public static JsonNode ok(Response r) {
    if (r.status() != 200) {
      throw new AssertionError("expected HTTP 200, got " + r);
    }
    return r.json();
  }

  /** The task with this id in a workflow view ({@code tasks[]}); an AssertionError when absent. */
  public static JsonNode task(JsonNode workflow, String taskId) {
    for (JsonNode t : workflow.path("tasks")) {
      if (taskId.equals(t.path("id").asText())) {
        return t;
      }
    }
    throw new AssertionError("no task '" + taskId + "' in " + workflow);
  }

  public static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    readers.shutdownNow();
  }
}
