package io.gleitzeit.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The meters of one node. Names follow Prometheus conventions once rendered: {@code gleitzeit_task_duration_seconds}
 * (histogram; labels method, provider), {@code gleitzeit_tasks_total} (label outcome),
 * {@code gleitzeit_workflows} (label status), {@code gleitzeit_provider_health} and
 * {@code gleitzeit_provider_load} (label provider), {@code gleitzeit_events_written_total}.
 */
public final class EngineMetrics {

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Counter eventsWritten;
  private final Map<String, AtomicLong> workflowsByStatus = new ConcurrentHashMap<>();
  private final Map<String, double[]> providers = new ConcurrentHashMap<>();

  /**
   * Every outcome {@link #taskOutcome} counts. Each starts at 0 when the node starts, so that the series exist before
   * the first task ends (SPEC §5 lists them; a series that appears only later breaks Prometheus' rate() and alerts).
   */
  public static final List<String> OUTCOMES = List.of("completed", "failed", "retried", "reassigned", "cancelled",
      "skipped");

  public EngineMetrics() {
    eventsWritten = Counter.builder("gleitzeit.events.written")
        .description("Event envelopes persisted by this node's entities").register(registry);
    OUTCOMES.forEach(this::outcomes);
    for (String status : new String[] {"running", "completed", "failed", "cancelled"}) {
      AtomicLong count = new AtomicLong();
      workflowsByStatus.put(status, count);
      Gauge.builder("gleitzeit.workflows", count, AtomicLong::get).description("Workflows by status")
          .tag("status", status).register(registry);
    }
  }

  /** One attempt finished on a provider of this node. */
  public void taskExecuted(String method, String provider, Duration duration) {
    durations(method, provider).record(duration);
  }

  /**
   * A provider of this node serves {@code method}: its duration histogram is shown, empty, before its first attempt.
   * Method patterns ({@code mcp/tool.*}) name no series of their own and are skipped.
   */
  public void serves(String method, String provider) {
    if (!method.contains("*")) {
      durations(method, provider);
    }
  }

  /** Micrometer's histogram stops at 30 s by default; LLM calls and scripts take minutes (+Inf alone says little). */
  static final Duration LONGEST_BUCKET = Duration.ofHours(1);

  private Timer durations(String method, String provider) {
    return Timer.builder("gleitzeit.task.duration").description("Time a provider took to run an attempt")
        .tag("method", method).tag("provider", provider).publishPercentileHistogram()
        .maximumExpectedValue(LONGEST_BUCKET).register(registry);
  }

  /** How long a ready task waited for a provider: from the request to the grant, at the coordinator. */
  public void assignmentWait(Duration wait) {
    Timer.builder("gleitzeit.assignment.wait").description("Time a ready task waited for a provider slot")
        .publishPercentileHistogram().register(registry).record(wait);
  }

  /** From a decision to its persisted event (the journal write, as an entity sees it). */
  public void journalWrite(Duration latency) {
    Timer.builder("gleitzeit.journal.write").description("Journal write latency seen by the entities")
        .publishPercentileHistogram().register(registry).record(latency);
  }

  /** A gauge read on every scrape. */
  public void gauge(String name, String description, java.util.function.Supplier<Number> value) {
    Gauge.builder(name, value).description(description).register(registry);
  }

  /** A task outcome decided by a workflow on this node: completed, failed, retried, reassigned, cancelled, skipped. */
  public void taskOutcome(String outcome) {
    outcomes(outcome).increment();
  }

  private Counter outcomes(String outcome) {
    return Counter.builder("gleitzeit.tasks").description("Task outcomes").tag("outcome", outcome).register(registry);
  }

  public void eventsWritten(int count) {
    eventsWritten.increment(count);
  }

  /** The cluster's workflows by status, as the read model counts them (refreshed before each scrape). */
  public void workflows(Map<String, Long> counts) {
    workflowsByStatus.forEach((status, gauge) -> gauge.set(counts.getOrDefault(status, 0L)));
  }

  /** A provider's latest health score and load, as published by its entity. */
  public void provider(String id, double healthScore, int load) {
    double[] values = providers.computeIfAbsent(id, key -> {
      double[] v = new double[2];
      Gauge.builder("gleitzeit.provider.health", v, a -> a[0]).description("Provider health score (0..1)")
          .tag("provider", key).register(registry);
      Gauge.builder("gleitzeit.provider.load", v, a -> a[1]).description("Attempts the provider holds")
          .tag("provider", key).register(registry);
      return v;
    });
    values[0] = healthScore;
    values[1] = load;
  }

  /** The Prometheus text exposition of every meter. */
  public String scrape() {
    return registry.scrape();
  }
}
