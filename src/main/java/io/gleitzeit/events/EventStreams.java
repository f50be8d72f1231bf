package io.gleitzeit.events;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSource;

/**
 * Event streams for subscribers: live envelopes from the cluster-wide topic, and for one workflow its
 * history from the journal followed seamlessly by its live events (no gap, no duplicate).
 */
public final class EventStreams {

  /**
   * How many batches a subscriber may fall behind before its stream fails: a slow client is disconnected
   * (and may resume with Last-Event-ID) instead of growing the server's memory.
   */
  public static final int BUFFERED_BATCHES = 4096;

  private final ActorSystem<?> system;
  private final LiveEvents live;
  private final WorkflowJournal journal;

  public EventStreams(ActorSystem<?> system, LiveEvents live, WorkflowJournal journal) {
    this.system = system;
    this.live = live;
    this.journal = journal;
  }

  /** Live envelopes matching the filter, from the moment of subscription. */
  public Source<EventEnvelope, NotUsed> live(EventFilter filter) {
    return subscribe().second().mapConcat(EnvelopeBatch::envelopes).filter(filter::matches);
  }

  /**
   * A workflow's envelopes after {@code afterEventId} (all when null), then its live ones. Subscribes
   * first and reads the journal once the subscription is in place; live envelopes already read from the
   * journal are dropped by sequence number.
   */
  public Source<EventEnvelope, NotUsed> workflow(String workflowId, String afterEventId, EventFilter filter) {
    Pair<ActorRef<EnvelopeBatch>, Source<EnvelopeBatch, NotUsed>> subscription = subscribe();
    CompletionStage<List<EventEnvelope>> history = AskPattern.<Topic.Command<EnvelopeBatch>, Topic.TopicStats>ask(
            live.topic(), Topic::getTopicStats, Duration.ofSeconds(5), system.scheduler())
        .thenCompose(stats -> journal.envelopes(workflowId));
    Source<EventEnvelope, NotUsed> liveOnes = subscription.second().mapConcat(EnvelopeBatch::envelopes)
        .filter(e -> workflowId.equals(e.workflowId()));
    return Source.completionStage(history).flatMapConcat(all -> {
      long lastRead = all.isEmpty() ? 0 : all.get(all.size() - 1).sequenceNumber();
      return Source.from(after(all, afterEventId))
          .concat(liveOnes.filter(e -> e.sequenceNumber() == null || e.sequenceNumber() > lastRead));
    }).filter(filter::matches);
  }

  private static List<EventEnvelope> after(List<EventEnvelope> all, String afterEventId) {
    if (afterEventId == null) {
      return all;
    }
    for (int i = 0; i < all.size(); i++) {
      if (all.get(i).eventId().equals(afterEventId)) {
        return new ArrayList<>(all.subList(i + 1, all.size()));
      }
    }
    return all;
  }

  private Pair<ActorRef<EnvelopeBatch>, Source<EnvelopeBatch, NotUsed>> subscribe() {
    Source<EnvelopeBatch, ActorRef<EnvelopeBatch>> source = ActorSource.actorRef(
        batch -> false, batch -> Optional.empty(), BUFFERED_BATCHES, OverflowStrategy.fail());
    Pair<ActorRef<EnvelopeBatch>, Source<EnvelopeBatch, NotUsed>> pre = source.preMaterialize(system);
    live.topic().tell(Topic.subscribe(pre.first()));
    return pre;
  }
}
