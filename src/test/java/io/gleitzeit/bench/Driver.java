package io.gleitzeit.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.domain.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * Submits workflows over HTTP with a bounded number in flight (a permit is taken before the POST and given
 * back when the workflow's end arrives on the event stream), and records each one's latency from the
 * moment before its POST to the moment its {@code workflow:completed|failed|cancelled} envelope arrived.
 */
final class Driver {

  /** What a run of many workflows did. Latencies in ms, in submission order of the workflows that ended. */
  record Run(List<String> ids, long startNanos, long endNanos, double[] latencyMs, Map<String, String> notCompleted,
             List<String> unfinished) {
    double wallSeconds() {
      return (endNanos - startNanos) / 1e9;
    }

    boolean ok() {
      return notCompleted.isEmpty() && unfinished.isEmpty();
    }

    String problems() {
      List<String> parts = new ArrayList<>();
      if (!unfinished.isEmpty()) {
        parts.add(unfinished.size() + " did not end in time (e.g. " + unfinished.subList(0, Math.min(5, unfinished.size())) + ")");
      }
      if (!notCompleted.isEmpty()) {
        parts.add(notCompleted.size() + " did not complete: " + notCompleted.entrySet().stream().limit(5).toList());
      }
      return String.join("; ", parts);
    }
  }

  private final HttpClient http;
  private final String baseUrl;
  /** Where submissions go, in turn: one node, or every node of a cluster. */
  private final List<String> submitUrls;
  private final java.util.concurrent.atomic.AtomicInteger turn = new java.util.concurrent.atomic.AtomicInteger();
  private final WorkflowEnds ends;

  Driver(HttpClient http, String baseUrl, WorkflowEnds ends) {
    this(http, List.of(baseUrl), ends);
  }

  /** Submissions go to each of {@code baseUrls} in turn; reads go to the first. */
  Driver(HttpClient http, List<String> baseUrls, WorkflowEnds ends) {
    this.http = http;
    this.baseUrl = baseUrls.get(0);
    this.submitUrls = List.copyOf(baseUrls);
    this.ends = ends;
  }

  /**
   * Runs {@code n} workflows with ids {@code prefix + i}, definitions from {@code definition} (given the id),
   * at most {@code inFlight} at a time, giving up on the rest after {@code timeout}.
   */
  Run run(String prefix, int n, Function<String, String> definition, int inFlight, Duration timeout) {
    return run(prefix, n, definition, inFlight, 0, timeout);
  }

  /**
   * As {@link #run(String, int, Function, int, Duration)}, but submits at most {@code perSecond} workflows a
   * second, evenly spaced (an open load: the i-th is due {@code i / perSecond} s after the start, whatever the
   * ones before it are doing); 0 for no limit.
   */
  Run run(String prefix, int n, Function<String, String> definition, int inFlight, double perSecond,
          Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Semaphore permits = new Semaphore(inFlight);
    CountDownLatch done = new CountDownLatch(n);
    List<String> ids = new ArrayList<>(n);
    double[] latency = new double[n];
    boolean[] ended = new boolean[n];
    Map<String, String> notCompleted = new ConcurrentHashMap<>();
    long[] lastEnd = {0};
    long start = System.nanoTime();
    try {
      for (int i = 0; i < n; i++) {
        if (perSecond > 0) {
          long due = start + (long) (i * 1e9 / perSecond);
          for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
            LockSupport.parkNanos(wait);
          }
        }
        if (!permits.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          break;
        }
        int index = i;
        String id = prefix + i;
        ids.add(id);
        String body = definition.apply(id);
        long submitted = System.nanoTime();
        ends.expect(id).whenComplete((end, failure) -> {
          synchronized (latency) {
            if (failure != null) {
              notCompleted.putIfAbsent(id, String.valueOf(failure.getMessage()));
            } else {
              latency[index] = (end.receivedNanos() - submitted) / 1e6;
              ended[index] = true;
              lastEnd[0] = Math.max(lastEnd[0], end.receivedNanos());
              if (!"completed".equals(end.status())) {
                notCompleted.put(id, end.status());
              }
            }
          }
          permits.release();
          done.countDown();
        });
        http.sendAsync(post(body), HttpResponse.BodyHandlers.ofString()).whenComplete((response, failure) -> {
          if (failure != null || response.statusCode() != 202) {
            String why = failure != null ? failure.toString() : "HTTP " + response.statusCode() + " " + response.body();
            ends.fail(id, new IllegalStateException("POST /workflows: " + why));
          }
        });
      }
      done.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (latency) {
      List<String> unfinished = new ArrayList<>();
      List<Double> lat = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        if (i >= ids.size()) {
          unfinished.add(prefix + i + " (never submitted)");
        } else if (ended[i]) {
          lat.add(latency[i]);
        } else if (!notCompleted.containsKey(ids.get(i))) {
          unfinished.add(ids.get(i));
          ends.forget(ids.get(i));
        }
      }
      return new Run(Collections.unmodifiableList(ids), start, lastEnd[0] == 0 ? System.nanoTime() : lastEnd[0],
          lat.stream().mapToDouble(Double::doubleValue).toArray(), Map.copyOf(notCompleted), unfinished);
    }
  }

  HttpRequest post(String body) {
    String url = submitUrls.get(Math.floorMod(turn.getAndIncrement(), submitUrls.size()));
    return HttpRequest.newBuilder(URI.create(url + "/workflows")).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
  }

  /** A GET answered 200, as JSON. */
  JsonNode getJson(String pathAndQuery, Duration timeout) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(baseUrl + pathAndQuery)).timeout(timeout)
          .GET().build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      if (r.statusCode() != 200) {
        String body = r.body();
        throw new IllegalStateException("GET " + pathAndQuery + " answered HTTP " + r.statusCode() + ": "
            + body.substring(0, Math.min(300, body.length())));
      }
      return Json.MAPPER.readTree(r.body());
    } catch (IOException e) {
      throw new IllegalStateException("GET " + pathAndQuery + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
