package io.gleitzeit.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.testkit.ProcessingSuccess;
import org.apache.pekko.persistence.testkit.WriteEvents;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;

/**
 * The writes one persistence id makes to Pekko's test journal, one list of events per write, as the entity
 * grouped them: what a test of group commit asserts on. Closing it takes the recording policy off the journal.
 */
public final class RecordedWrites implements AutoCloseable {

  private final PersistenceTestKit journal;
  private final List<List<Object>> writes = new CopyOnWriteArrayList<>();

  private RecordedWrites(PersistenceTestKit journal) {
    this.journal = journal;
  }

  public static RecordedWrites of(ActorSystem<?> system, String persistenceId) {
    return of(system, persistenceId, events -> { });
  }

  /** {@code beforeAck} sees each write's events before the journal acknowledges it, and may hold it there. */
  public static RecordedWrites of(ActorSystem<?> system, String persistenceId, Consumer<List<Object>> beforeAck) {
    RecordedWrites recorded = new RecordedWrites(PersistenceTestKit.create(system));
    recorded.journal.withPolicy((id, operation) -> {
      if (id.equals(persistenceId) && operation instanceof WriteEvents write) {
        List<Object> events = scala.jdk.javaapi.CollectionConverters.asJava(write.batch());
        recorded.writes.add(events);
        beforeAck.accept(events);
      }
      return ProcessingSuccess.getInstance();
    });
    return recorded;
  }

  /** Every write so far, in order (a live view). */
  public List<List<Object>> writes() {
    return writes;
  }

  @Override
  public void close() {
    journal.resetPolicy();
  }
}
