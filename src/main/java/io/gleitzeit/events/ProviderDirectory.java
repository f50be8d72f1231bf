package io.gleitzeit.events;

import io.gleitzeit.provider.ProviderEntity;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;

/** Which providers exist: the provider entities that have a journal. */
public final class ProviderDirectory {

  private static final String PREFIX = ProviderEntity.ENTITY_KEY.name() + "|";

  private final ActorSystem<?> system;
  private final JdbcReadJournal readJournal;

  public ProviderDirectory(ActorSystem<?> system) {
    this.system = system;
    this.readJournal = PersistenceQuery.get(Adapter.toClassic(system))
        .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
  }

  public CompletionStage<List<String>> providerIds() {
    return readJournal.currentPersistenceIds()
        .filter(id -> id.startsWith(PREFIX))
        .map(id -> id.substring(PREFIX.length()))
        .runWith(Sink.seq(), system);
  }
}
