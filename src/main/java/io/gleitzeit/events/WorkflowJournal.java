package io.gleitzeit.events;

import io.gleitzeit.workflow.WorkflowEntity;
import io.gleitzeit.workflow.WorkflowEvent;
import io.gleitzeit.workflow.WorkflowState;
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

  /**
   * The state after envelope {@code sequence}: every journal event up to and including the one that yields
   * it. A journal event is one decision, so its envelopes apply together. Empty state when there is none.
   */
  public CompletionStage<WorkflowState> stateAt(String workflowId, long sequence) {
    return events(workflowId).thenApply(events -> {
      WorkflowState state = WorkflowState.empty();
      for (WorkflowEvent e : events) {
        if (e.firstSequence() > sequence) {
          break;
        }
        state.apply(e);
      }
      return state;
    });
  }

  /**
   * The state after every journal event whose envelopes begin at or before {@code time}: {@code GET
   * .../state?at_time=}. An event's envelopes apply together, as for {@code at_sequence}: an outcome that
   * carries its attempt's start applies from the start's time. Empty state when the workflow had not been
   * submitted by then (or does not exist).
   */
  public CompletionStage<WorkflowState> stateAtTime(String workflowId, java.time.Instant time) {
    return events(workflowId).thenApply(events -> {
      WorkflowState state = WorkflowState.empty();
      for (WorkflowEvent e : events) {
        if (e.firstAt().isAfter(time)) {
          break;
        }
        state.apply(e);
      }
      return state;
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
