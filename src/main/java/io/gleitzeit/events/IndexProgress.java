package io.gleitzeit.events;

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
 * trails the journal (journal write time to index commit). Pekko calls {@link #offsetProgress} after the
 * transaction with the rows and the offset has committed.
 */
final class IndexProgress extends StatusObserver<EventEnvelope<Object>> {

  private static final Logger LOG = LoggerFactory.getLogger(IndexProgress.class);

  private record Waiter(long sequence, CompletableFuture<Void> done) {}

  private final Map<String, Set<Waiter>> waiters = new ConcurrentHashMap<>();
  private final AtomicLong lastLagMillis = new AtomicLong(-1);
  private final AtomicLong maxLagMillis = new AtomicLong(-1);

  /**
   * Completes once this JVM's workflow projection has indexed the workflow up to envelope {@code sequence}.
   * Only future progress is seen: the caller checks the table after registering.
   */
  CompletableFuture<Void> register(String workflowId, long sequence) {
    Waiter w = new Waiter(sequence, new CompletableFuture<>());
    waiters.compute(workflowId, (k, set) -> {
      Set<Waiter> s = set != null ? set : ConcurrentHashMap.newKeySet();
      s.add(w);
      return s;
    });
    w.done().whenComplete((ok, failure) -> waiters.computeIfPresent(workflowId, (k, set) -> {
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

  @Override
  public void offsetProgress(ProjectionId projectionId, EventEnvelope<Object> envelope) {
    long lag = System.currentTimeMillis() - envelope.timestamp();
    lastLagMillis.set(lag);
    maxLagMillis.accumulateAndGet(lag, Math::max);
    if (envelope.event() instanceof WorkflowEvent e) {
      Set<Waiter> set = waiters.get(e.workflowId());
      if (set != null) {
        for (Waiter w : set) {
          if (w.sequence() <= e.lastSequence()) {
            w.done().complete(null);
          }
        }
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
  public void afterProcess(ProjectionId projectionId, EventEnvelope<Object> envelope) {}

  @Override
  public void error(ProjectionId projectionId, EventEnvelope<Object> envelope, Throwable cause,
                    HandlerRecoveryStrategy recoveryStrategy) {
    LOG.warn("event index projection {} could not index {} (sequence {}): {}", projectionId.id(),
        envelope.persistenceId(), envelope.sequenceNr(), cause.toString());
  }
}
