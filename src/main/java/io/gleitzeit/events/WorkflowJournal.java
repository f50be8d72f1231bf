package io.gleitzeit.events;

import io.gleitzeit.workflow.WorkflowEntity;
import io.gleitzeit.workflow.WorkflowEvent;
import io.gleitzeit.workflow.WorkflowView;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Reads a workflow's history straight from the journal through Pekko Persistence Query: its envelopes, and
 * its state replayed up to an envelope's sequence number.
 */
public final class WorkflowJournal {

  private final ActorSystem<?> system;
  private final JdbcReadJournal readJournal;

  public WorkflowJournal(ActorSystem<?> system) {
    this.system = system;
    this.readJournal = PersistenceQuery.get(Adapter.toClassic(system))
        .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
  }

  public CompletionStage<List<WorkflowEvent>> events(String workflowId) {
    return readJournal
        .currentEventsByPersistenceId(WorkflowEntity.persistenceIdOf(workflowId).id(), 0L, Long.MAX_VALUE)
        .map(envelope -> (WorkflowEvent) envelope.event())
        .runWith(Sink.seq(), system);
  }

  public CompletionStage<List<EventEnvelope>> envelopes(String workflowId) {
    return events(workflowId).thenApply(events -> {
      List<EventEnvelope> all = new ArrayList<>();
      events.forEach(e -> all.addAll(WorkflowEnvelopes.of(e)));
      return all;
    });
  }

  /** The workflow right after envelope {@code sequence} (see {@link StateAtEnvelope}); null when there is none. */
  public CompletionStage<WorkflowView> viewAt(String workflowId, long sequence) {
    return events(workflowId).thenApply(events -> StateAtEnvelope.of(events, sequence));
  }

  /**
   * The workflow right after the last envelope (by sequence number) stamped at or before {@code time}: {@code GET
   * .../state?at_time=}. Null when the workflow had not been submitted by then (or does not exist).
   */
  public CompletionStage<WorkflowView> viewAtTime(String workflowId, java.time.Instant time) {
    return events(workflowId).thenApply(events -> {
      long sequence = StateAtEnvelope.lastSequenceAt(events, time);
      return sequence == 0 ? null : StateAtEnvelope.of(events, sequence);
    });
  }

  /** The workflow's timeline (GET .../timeline), or null when there is no such workflow. */
  public CompletionStage<io.gleitzeit.workflow.WorkflowTimeline.Timeline> timeline(String workflowId) {
    return events(workflowId).thenApply(io.gleitzeit.workflow.WorkflowTimeline::of);
  }

  /** A cheap round trip to the journal, for readiness. */
  public CompletionStage<Boolean> reachable() {
    return readJournal.currentEventsByPersistenceId("gleitzeit-readiness-probe", 0L, 1L)
        .runWith(Sink.ignore(), system)
        .thenApply(done -> true);
  }
}
