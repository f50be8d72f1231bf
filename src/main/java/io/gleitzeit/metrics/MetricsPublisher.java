package io.gleitzeit.metrics;

import io.gleitzeit.events.EventEnvelope;
import io.gleitzeit.events.EventPublisher;
import java.util.List;

/**
 * Counts what entities persist on their way to the live stream: every persisted envelope, and task
 * outcomes by kind. Wraps the real publisher, so the entities know nothing of metrics.
 */
public final class MetricsPublisher implements EventPublisher {

  private final EventPublisher delegate;
  private final EngineMetrics metrics;

  public MetricsPublisher(EventPublisher delegate, EngineMetrics metrics) {
    this.delegate = delegate;
    this.metrics = metrics;
  }

  @Override
  public void publish(List<EventEnvelope> envelopes) {
    int persisted = 0;
    for (EventEnvelope e : envelopes) {
      if (e.sequenceNumber() != null) {
        persisted++;
      }
      String outcome = outcomeOf(e);
      if (outcome != null) {
        metrics.taskOutcome(outcome);
      }
    }
    metrics.eventsWritten(persisted);
    if (persisted > 0) {
      // Published right after the write: the time since the decision is the journal write as the entity saw it.
      long millis = System.currentTimeMillis() - java.time.Instant.parse(envelopes.get(0).timestamp()).toEpochMilli();
      metrics.journalWrite(java.time.Duration.ofMillis(Math.max(0, millis)));
    }
    delegate.publish(envelopes);
  }

  private static String outcomeOf(EventEnvelope e) {
    return switch (e.eventType()) {
      case "task:completed" -> "completed";
      case "task:failed" -> e.payload().path("will_retry").asBoolean() ? "retried" : "failed";
      case "task:reassigned" -> "reassigned";
      case "task:cancelled" -> "cancelled";
      case "task:skipped" -> "skipped";
      default -> null;
    };
  }
}
