package io.gleitzeit.events;

import io.gleitzeit.provider.ProviderEvent;
import io.gleitzeit.workflow.WorkflowEvent;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.projection.HandlerRecoveryStrategy;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.StatusObserver;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the index projections running in this JVM have committed: wakes callers waiting for a workflow to be
 * indexed up to an envelope sequence number, and records how far the index
 * trails the journal (journal write time to index commit), and tells the streams that follow the index when it
 * moved on. Pekko calls {@link #afterProcess} for each envelope after the transaction with the rows and the offset
 * has committed.
 */
final class IndexProgress extends StatusObserver<EventEnvelope<Object>> {

  private static final Logger LOG = LoggerFactory.getLogger(IndexProgress.class);

  private record Waiter(long sequence, CompletableFuture<Void> done) {}

  private final Map<String, Set<Waiter>> waiters = new ConcurrentHashMap<>();
  private final AtomicLong lastLagMillis = new AtomicLong(-1);
  private final AtomicLong maxLagMillis = new AtomicLong(-1);
  /** Told the projection's key after each committed group: the streams that follow the index read again. */
  private final java.util.function.Consumer<String> committed;

  IndexProgress(java.util.function.Consumer<String> committed) {
    this.committed = committed;
  }

  /**
   * Completes once this JVM's projections have indexed the stream of {@code persistenceId} (a workflow's or a
   * provider's) up to envelope {@code sequence}. Only future progress is seen: the caller checks the table
   * after registering.
   */
  CompletableFuture<Void> register(String persistenceId, long sequence) {
    Waiter w = new Waiter(sequence, new CompletableFuture<>());
    waiters.compute(persistenceId, (k, set) -> {
      Set<Waiter> s = set != null ? set : ConcurrentHashMap.newKeySet();
      s.add(w);
      return s;
    });
    w.done().whenComplete((ok, failure) -> waiters.computeIfPresent(persistenceId, (k, set) -> {
      set.remove(w);
      return set.isEmpty() ? null : set;
    }));
    return w.done();
  }

  long lastLagMillis() {
    return lastLagMillis.get();
  }

  long maxLagMillis() {
    return maxLagMillis.get();
  }

  /** Once per committed group, for its last envelope. */
  @Override
  public void offsetProgress(ProjectionId projectionId, EventEnvelope<Object> envelope) {
    long lag = System.currentTimeMillis() - envelope.timestamp();
    lastLagMillis.set(lag);
    maxLagMillis.accumulateAndGet(lag, Math::max);
    committed.accept(projectionId.key());
  }

  /**
   * For every envelope of a group, after the transaction that indexed the group committed (an exactly-once
   * JDBC handler commits inside {@code process}). Not {@link #offsetProgress}: that sees only a group's last
   * envelope, and a waiter for another stream in the group would never wake.
   */
  @Override
  public void afterProcess(ProjectionId projectionId, EventEnvelope<Object> envelope) {
    Set<Waiter> set = waiters.get(envelope.persistenceId());
    if (set == null) {
      return;
    }
    long indexedUpTo = envelope.event() instanceof WorkflowEvent e ? e.lastSequence()
        : envelope.event() instanceof ProviderEvent e ? e.lastSequence() : -1;
    for (Waiter w : set) {
      if (w.sequence() <= indexedUpTo) {
        w.done().complete(null);
      }
    }
  }

  @Override
  public void started(ProjectionId projectionId) {
    LOG.info("event index projection {} started", projectionId.id());
  }

  @Override
  public void failed(ProjectionId projectionId, Throwable cause) {
    LOG.warn("event index projection {} failed and will restart: {}", projectionId.id(), cause.toString());
  }

  @Override
  public void stopped(ProjectionId projectionId) {
    LOG.info("event index projection {} stopped", projectionId.id());
  }

  @Override
  public void beforeProcess(ProjectionId projectionId, EventEnvelope<Object> envelope) {}

  @Override
  public void error(ProjectionId projectionId, EventEnvelope<Object> envelope, Throwable cause,
                    HandlerRecoveryStrategy recoveryStrategy) {
    LOG.warn("event index projection {} could not index {} (sequence {}): {}", projectionId.id(),
        envelope.persistenceId(), envelope.sequenceNr(), cause.toString());
  }
}
