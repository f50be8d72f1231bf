package io.gleitzeit.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * An open {@code GET /events/stream?...} (SPEC §5) that tests wait on: every envelope it delivers is kept, and
 * {@link #await} returns the first one, delivered before or after the call, that matches. Open it before the
 * action whose events it should see (the stream starts live, except that with {@code workflow_id} it replays
 * that workflow's history first). Never polls.
 */
public final class EventWatch implements AutoCloseable {

  private record Waiter(Predicate<JsonNode> predicate, CompletableFuture<JsonNode> found) {}

  private final String query;
  private final List<JsonNode> received = new CopyOnWriteArrayList<>();
  /** The SSE {@code id:} of each received envelope, empty where it carried none. */
  private final List<java.util.Optional<String>> sseIds = new CopyOnWriteArrayList<>();
  private final List<Waiter> waiters = new ArrayList<>();
  /** True when the server ended the stream as a complete response, false when the connection broke. */
  private final CompletableFuture<Boolean> ended = new CompletableFuture<>();
  private volatile Stream<String> lines;

  private EventWatch(String query) {
    this.query = query;
  }

  /** Opens the stream and returns once the server has answered 200 (an AssertionError otherwise). */
  public static EventWatch open(String baseUrl, String query) {
    return open(baseUrl, query, null);
  }

  /** As {@link #open(String, String)}, resuming with a {@code Last-Event-ID} header when it is not null. */
  public static EventWatch open(String baseUrl, String query, String lastEventId) {
    EventWatch watch = new EventWatch(query);
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build();
    String base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + "/events/stream?" + query))
        .header("Accept", "text/event-stream").GET();
    if (lastEventId != null) {
      builder.header("Last-Event-ID", lastEventId);
    }
    HttpRequest request = builder.build();
    HttpResponse<Stream<String>> response;
    try {
      response = http.sendAsync(request, HttpResponse.BodyHandlers.ofLines()).get(15, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("cannot open the event stream ?" + query + ": " + e, e);
    }
    if (response.statusCode() != 200) {
      throw new AssertionError("GET /events/stream?" + query + " answered " + response.statusCode() + ": "
          + String.join("\n", response.body().toList()));
    }
    watch.lines = response.body();
    Thread reader = new Thread(watch::read, "event-watch");
    reader.setDaemon(true);
    reader.start();
    return watch;
  }

  private void read() {
    StringBuilder data = new StringBuilder();
    String id = null;
    try (Stream<String> stream = lines) {
      Iterator<String> it = stream.iterator();
      while (it.hasNext()) {
        String line = it.next();
        if (line.startsWith("data:")) {
          data.append(line.substring(line.startsWith("data: ") ? 6 : 5));
        } else if (line.startsWith("id:")) {
          id = line.substring(line.startsWith("id: ") ? 4 : 3);
        } else if (line.isEmpty() && data.length() > 0) {
          JsonNode envelope = ApiTestClient.parse(data.toString());
          data.setLength(0);
          synchronized (waiters) {
            sseIds.add(java.util.Optional.ofNullable(id));
            id = null;
            received.add(envelope);
            waiters.removeIf(w -> w.predicate().test(envelope) && w.found().complete(envelope));
          }
        }
      }
      ended.complete(true);
    } catch (RuntimeException e) {
      // closed under us by close(), or the connection broke: waiters time out with what was received
      ended.complete(false);
    }
  }

  /** The first envelope, delivered before or after this call, that matches. */
  public CompletableFuture<JsonNode> first(Predicate<JsonNode> predicate) {
    synchronized (waiters) {
      for (JsonNode e : received) {
        if (predicate.test(e)) {
          return CompletableFuture.completedFuture(e);
        }
      }
      CompletableFuture<JsonNode> found = new CompletableFuture<>();
      waiters.add(new Waiter(predicate, found));
      return found;
    }
  }

  /** Blocks for {@link #first}; an AssertionError naming {@code what} and listing what came when it times out. */
  public JsonNode await(String what, Predicate<JsonNode> predicate, Duration timeout) {
    try {
      return first(predicate).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("no " + what + " on ?" + query + " within " + timeout.toMillis() + " ms; received: "
          + types());
    } catch (ExecutionException e) {
      throw new AssertionError(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** A predicate on {@code event_type}. */
  public static Predicate<JsonNode> type(String eventType) {
    return e -> eventType.equals(e.path("event_type").asText());
  }

  /** Completes when the stream ends: true when the server ended it as a complete response, false when it broke. */
  public CompletableFuture<Boolean> ended() {
    return ended;
  }

  public List<JsonNode> received() {
    synchronized (waiters) {
      return List.copyOf(received);
    }
  }

  /** The SSE {@code id:} of each envelope of {@link #received()}, in the same order; empty where there was none. */
  public List<java.util.Optional<String>> sseIds() {
    synchronized (waiters) {
      return List.copyOf(sseIds);
    }
  }

  private List<String> types() {
    List<String> out = new ArrayList<>();
    received.forEach(e -> out.add(e.path("event_type").asText() + "@" + e.path("provider_id").asText()));
    return out;
  }

  @Override
  public void close() {
    Stream<String> s = lines;
    if (s != null) {
      s.close();
    }
  }
}
