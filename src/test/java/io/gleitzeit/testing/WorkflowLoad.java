package io.gleitzeit.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * A steady load of workflows against a cluster, as a client with several node addresses sees it: one submission
 * every {@code interval}, each sent to the next node in turn. A submission that meets a dead node (connection
 * refused), a node that cannot answer in time (503 while a lost node's shards move) or any other 5xx is sent again,
 * with the same workflow id, to the next node a moment later, until it is accepted or its deadline passes. 202 and
 * 409 (the id exists: an earlier try was stored although its answer was lost) both mean accepted. Anything else
 * (400, ...) is a failure the test sees in {@link #failures()}.
 */
public final class WorkflowLoad implements AutoCloseable {

  /** A workflow the cluster accepted: when, from which node, after how many tries. */
  public record Accepted(String id, Instant at, String node, int tries) {}

  private static final Duration RETRY_DELAY = Duration.ofMillis(300);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);

  private final List<String> nodes;
  private final String prefix;
  private final IntFunction<String> definition;
  private final Duration submissionDeadline;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "workflow-load");
    t.setDaemon(true);
    return t;
  });
  private final AtomicInteger next = new AtomicInteger();
  private final AtomicInteger nodeTurn = new AtomicInteger();
  private final List<Accepted> accepted = new CopyOnWriteArrayList<>();
  private final Map<String, String> failures = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<Void>> pending = new ConcurrentHashMap<>();
  private final List<Waiter> waiters = new ArrayList<>();

  private record Waiter(int count, CompletableFuture<Void> reached) {}

  /**
   * @param nodes the nodes' base URLs, tried in turn
   * @param prefix workflow ids are {@code prefix + i}
   * @param definition the JSON definition of workflow {@code i}, given {@code i}; its id must be {@code prefix + i}
   * @param submissionDeadline how long one submission keeps trying before it counts as failed
   */
  public WorkflowLoad(List<String> nodes, String prefix, IntFunction<String> definition, Duration submissionDeadline) {
    this.nodes = List.copyOf(nodes);
    this.prefix = prefix;
    this.definition = definition;
    this.submissionDeadline = submissionDeadline;
  }

  /** Starts submitting, one workflow every {@code interval}. */
  public WorkflowLoad start(Duration interval) {
    scheduler.scheduleAtFixedRate(this::submitNext, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  /** Stops submitting and waits (up to the submission deadline) until every submission begun was decided. */
  public void stop() {
    scheduler.shutdown();
    try {
      scheduler.awaitTermination(10, TimeUnit.SECONDS);
      CompletableFuture.allOf(pending.values().toArray(CompletableFuture[]::new))
          .get(submissionDeadline.toMillis() + 5_000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      pending.keySet().forEach(id -> failures.putIfAbsent(id, "still undecided when the load stopped: " + e));
    }
  }

  /** Completes once {@code count} more workflows than now have been accepted. */
  public CompletableFuture<Void> acceptedMore(int count) {
    synchronized (waiters) {
      Waiter w = new Waiter(accepted.size() + count, new CompletableFuture<>());
      waiters.add(w);
      return w.reached();
    }
  }

  public List<Accepted> accepted() {
    return List.copyOf(accepted);
  }

  public List<String> acceptedIds() {
    return accepted.stream().map(Accepted::id).toList();
  }

  /** Submissions given up, with why. */
  public Map<String, String> failures() {
    return Map.copyOf(failures);
  }

  private void submitNext() {
    int i = next.getAndIncrement();
    String id = prefix + i;
    CompletableFuture<Void> decided = new CompletableFuture<>();
    pending.put(id, decided);
    decided.whenComplete((x, e) -> pending.remove(id));
    attempt(id, definition.apply(i), 1, System.nanoTime() + submissionDeadline.toNanos(), new StringBuilder(), decided);
  }

  private void attempt(String id, String body, int tries, long deadline, StringBuilder trail,
                       CompletableFuture<Void> decided) {
    String node = nodes.get(Math.floorMod(nodeTurn.getAndIncrement(), nodes.size()));
    HttpRequest request = HttpRequest.newBuilder(URI.create(node + "/workflows")).timeout(REQUEST_TIMEOUT)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
    http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((response, failure) -> {
      int status = failure == null ? response.statusCode() : -1;
      if (status == 202 || status == 409) {
        accepted.add(new Accepted(id, Instant.now(), node, tries));
        notifyWaiters();
        decided.complete(null);
        return;
      }
      String why = failure != null ? failure.toString() : "HTTP " + status + " " + response.body();
      trail.append("\n  try ").append(tries).append(" at ").append(node).append(": ").append(why);
      boolean retryable = failure != null || status >= 500;
      if (!retryable || System.nanoTime() > deadline) {
        failures.put(id, (retryable ? "not accepted in time:" : "refused:") + trail);
        decided.complete(null);
        return;
      }
      CompletableFuture.delayedExecutor(RETRY_DELAY.toMillis(), TimeUnit.MILLISECONDS)
          .execute(() -> attempt(id, body, tries + 1, deadline, trail, decided));
    });
  }

  private void notifyWaiters() {
    synchronized (waiters) {
      int now = accepted.size();
      waiters.removeIf(w -> now >= w.count() && w.reached().complete(null));
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
