package io.gleitzeit.events;

import io.gleitzeit.provider.ProviderEntity;
import io.gleitzeit.workflow.WorkflowEntity;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.eventsourced.javadsl.EventSourcedProvider;
import org.apache.pekko.projection.javadsl.GroupedProjection;
import org.apache.pekko.projection.javadsl.SourceProvider;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;

/**
 * The projections that build the event index: one per journal tag ({@code workflow}, {@code provider}),
 * each following {@code eventsByTag} of the JDBC read journal and run exactly once per event, in groups
 * (a group's rows and its offset in one transaction, offsets in Pekko Projections' own offset table; group
 * size and wait in {@code pekko.projection.grouped}, event-index.conf). Each runs as a single
 * cluster-wide instance of a sharded daemon process, so it moves to another node when its node leaves.
 */
final class EventIndexProjection {

  static final String NAME = "gleitzeit-event-index";
  static final List<String> TAGS = List.of(WorkflowEntity.TAG, ProviderEntity.TAG);

  private EventIndexProjection() {}

  static void init(ActorSystem<?> system, IndexDatabase db, IndexProgress progress) {
    ShardedDaemonProcess.get(system).init(ProjectionBehavior.Command.class, NAME, TAGS.size(),
        i -> ProjectionBehavior.create(projection(system, db, progress, TAGS.get(i))),
        ShardedDaemonProcessSettings.create(system), Optional.of(ProjectionBehavior.stopMessage()));
  }

  private static GroupedProjection<Offset, EventEnvelope<Object>> projection(
      ActorSystem<?> system, IndexDatabase db, IndexProgress progress, String tag) {
    SourceProvider<Offset, EventEnvelope<Object>> source =
        EventSourcedProvider.eventsByTag(system, JdbcReadJournal.Identifier(), tag);
    return JdbcProjection.groupedWithin(ProjectionId.of(NAME, tag), source, db::session,
            EventIndexProjectionHandler::new, system)
        .withStatusObserver(progress);
  }
}
