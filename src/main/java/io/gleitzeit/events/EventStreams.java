package io.gleitzeit.events;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.StreamSubscriptionTimeoutTerminationMode;
import org.apache.pekko.stream.javadsl.AsPublisher;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import io.gleitzeit.domain.Json;
import org.apache.pekko.stream.typed.javadsl.ActorSource;

/**
 * Event streams for subscribers: live envelopes from the cluster-wide topic, and for one workflow its
 * history from the journal followed seamlessly by its live events (no gap, no duplicate).
 */
public final class EventStreams {

  /**
   * How many journal events with envelopes that match its filters a subscriber may fall behind before its stream
   * fails: a slow client is disconnected (and may resume with Last-Event-ID) instead of growing the server's
   * memory.
   */
  public static final int BUFFERED_BATCHES = 4096;

  /** How long a resuming stream waits for the event index to catch up with the journal before giving up. */
  public static final Duration CATCH_UP_TIMEOUT = Duration.ofSeconds(10);

  /**
   * How long a subscription buffers for a stream that has not started yet: a resume subscribes, then waits for
   * the index (up to {@link #CATCH_UP_TIMEOUT}) before its response starts. Pekko's default of 5 s cut such a
   * subscription off, and the response ended with nothing sent (seventh black-box round).
   */
  static final Duration UNCLAIMED_SUBSCRIPTION_TIMEOUT = CATCH_UP_TIMEOUT.plusSeconds(20);

  private final ActorSystem<?> system;
  /** Completes every subscriber's live part when the node stops, so that streams end instead of breaking. */
  private final SharedKillSwitch stopping = KillSwitches.shared("event-streams");
  private final LiveEvents live;
  private final WorkflowJournal journal;
  private final EventIndex index;

  public EventStreams(ActorSystem<?> system, LiveEvents live, WorkflowJournal journal, EventIndex index) {
    this.system = system;
    this.live = live;
    this.journal = journal;
    this.index = index;
  }

  /** Live envelopes matching the filter, from the moment of subscription. */
  public Source<EventEnvelope, NotUsed> live(EventFilter filter) {
    return subscribe(filter::matches).second();
  }

  /**
   * A workflow's envelopes after {@code afterEventId} (all when null), then its live ones; empty when the
   * workflow's journal does not hold {@code afterEventId}. Subscribes first and reads the journal once the
   * subscription is in place; live envelopes already read from the journal are dropped by sequence number.
   */
  public CompletionStage<Optional<Source<EventEnvelope, NotUsed>>> workflow(String workflowId, String afterEventId,
                                                                           EventFilter filter) {
    // Only the workflow's own stream: a provider's report dead letter names the workflow too.
    Pair<ActorRef<EnvelopeBatch>, Source<EventEnvelope, NotUsed>> subscription = subscribe(e -> filter.matches(e)
        && workflowId.equals(e.workflowId()) && !ProviderEnvelopes.SUPERVISOR.equals(e.sourceComponent()));
    Source<EventEnvelope, NotUsed> liveOnes = subscription.second();
    CompletionStage<Optional<Source<EventEnvelope, NotUsed>>> history = subscribed()
        .thenCompose(stats -> journal.envelopes(workflowId))
        .thenApply(all -> after(all, afterEventId).map(replayed -> {
          long lastRead = all.isEmpty() ? 0 : all.get(all.size() - 1).sequenceNumber();
          return Source.from(replayed).filter(filter::matches) // the live ones were filtered on arrival
              .concat(liveOnes.filter(e -> e.sequenceNumber() == null || e.sequenceNumber() > lastRead));
        }));
    return unsubscribedUnlessStreamed(history, subscription);
  }

  /**
   * The global stream resumed right after the persisted envelope {@code afterEventId}: every indexed envelope
   * after it (matching the filter), in index order, then live envelopes. Empty when the index does not hold
   * that envelope; fails with a TimeoutException when the index does not catch up within
   * {@link #CATCH_UP_TIMEOUT}.
   *
   * <p>No gap: it subscribes to the live topic first; then waits until the index holds every journal event
   * committed before that moment (so what is not in the index yet is published after the subscription, and
   * arrives live); then reads the index after the envelope's position to its end. No duplicate: a live
   * envelope of a workflow (or provider) stream whose sequence number the index part already reached for
   * that stream is dropped — within a stream index order is sequence order, so the highest number sent per
   * stream says exactly what was sent, in bounded memory.
   */
  public CompletionStage<Optional<Source<EventEnvelope, NotUsed>>> resume(String afterEventId, EventFilter filter) {
    Pair<ActorRef<EnvelopeBatch>, Source<EventEnvelope, NotUsed>> subscription = subscribe(filter::matches);
    CompletionStage<Optional<Source<EventEnvelope, NotUsed>>> resumed = subscribed()
        .thenCompose(stats -> index.journalHighWater())
        .thenCompose(high -> index.awaitIndexedUpTo(high, CATCH_UP_TIMEOUT))
        .thenCompose(caughtUp -> index.positionOf(afterEventId))
        .thenApply(position -> position.map(after -> {
          Source<Pair<Boolean, EventEnvelope>, NotUsed> replayed = indexedAfter(after, filter)
              .map(e -> Pair.create(true, e));
          Source<Pair<Boolean, EventEnvelope>, NotUsed> liveOnes = subscription.second()
              .map(e -> Pair.create(false, e));
          return replayed.concat(liveOnes).statefulMapConcat(EventStreams::withoutWhatWasReplayed);
        }));
    return unsubscribedUnlessStreamed(resumed, subscription);
  }

  /**
   * Drops the live envelopes the replay already sent: of each stream, the replay's highest sequence number. One
   * stage after the concatenation, so it sees the whole replay before any live envelope whatever the concat pulls
   * ahead; it remembers only the replay's streams, so its memory stays bounded on a stream that runs for days.
   */
  private static org.apache.pekko.japi.function.Function<Pair<Boolean, EventEnvelope>, Iterable<EventEnvelope>>
      withoutWhatWasReplayed() {
    Map<String, Long> replayedUpTo = new java.util.HashMap<>();
    return tagged -> {
      EventEnvelope e = tagged.second();
      if (e.sequenceNumber() == null) {
        return List.of(e);
      }
      if (tagged.first()) {
        replayedUpTo.merge(streamOf(e), e.sequenceNumber(), Math::max);
        return List.of(e);
      }
      return e.sequenceNumber() > replayedUpTo.getOrDefault(streamOf(e), 0L) ? List.of(e) : List.of();
    };
  }

  /** Ends the live subscription when no stream will be built on it (a failure, or nothing to resume after). */
  private <T> CompletionStage<Optional<T>> unsubscribedUnlessStreamed(
      CompletionStage<Optional<T>> built, Pair<ActorRef<EnvelopeBatch>, Source<EventEnvelope, NotUsed>> subscription) {
    return built.whenComplete((source, failure) -> {
      if (failure != null || source.isEmpty()) {
        subscription.second().runWith(Sink.cancelled(), system); // unsubscribes
      }
    });
  }

  /**
   * The journal stream an envelope belongs to: its workflow's, or its provider's for the envelopes a provider
   * entity writes (provider:*, and the dead letters of reports it could not deliver).
   */
  private static String streamOf(EventEnvelope e) {
    return (ProviderEnvelopes.SUPERVISOR.equals(e.sourceComponent()) ? "provider/" : "workflow/") + e.correlationId();
  }

  /** Every indexed envelope after {@code position} that matches, a page at a time, up to the index's end. */
  private Source<EventEnvelope, NotUsed> indexedAfter(long position, EventFilter filter) {
    return Source.<Optional<Long>, List<String>>unfoldAsync(Optional.of(position), after -> after.isEmpty()
            ? CompletableFuture.completedFuture(Optional.empty())
            : index.events(new EventIndex.EventQuery(filter, null, null, EventIndex.MAX_LIMIT, after.get()))
                .thenApply(page -> page.envelopes().isEmpty() ? Optional.empty()
                    : Optional.of(Pair.create(Optional.ofNullable(page.next()), page.envelopes()))))
        .mapConcat(page -> page)
        .map(json -> Json.MAPPER.readValue(json, EventEnvelope.class));
  }

  /** Completes once the topic has processed the subscription sent before it (one mailbox, in order). */
  private CompletionStage<Topic.TopicStats> subscribed() {
    return AskPattern.<Topic.Command<EnvelopeBatch>, Topic.TopicStats>ask(
        live.topic(), Topic::getTopicStats, Duration.ofSeconds(5), system.scheduler());
  }

  /** The envelopes after {@code afterEventId} (all when null); empty when none of them is that one. */
  private static Optional<List<EventEnvelope>> after(List<EventEnvelope> all, String afterEventId) {
    if (afterEventId == null) {
      return Optional.of(all);
    }
    for (int i = 0; i < all.size(); i++) {
      if (all.get(i).eventId().equals(afterEventId)) {
        return Optional.of(new ArrayList<>(all.subList(i + 1, all.size())));
      }
    }
    return Optional.empty();
  }

  /**
   * Subscribes to the live topic now, for a stream that may start seconds later (a resume first waits for the
   * index): the envelopes that {@code keep} drops are dropped as they arrive, so that only journal events with
   * envelopes the stream will send count against {@link #BUFFERED_BATCHES} meanwhile (a burst of other
   * workflows' events overflowed a resume still waiting for the index).
   */
  private Pair<ActorRef<EnvelopeBatch>, Source<EventEnvelope, NotUsed>> subscribe(
      java.util.function.Predicate<EventEnvelope> keep) {
    // Batches stay whole in the buffer: one journal event (a workflow's submission) yields thousands of envelopes.
    Source<EventEnvelope, ActorRef<EnvelopeBatch>> source = ActorSource.<EnvelopeBatch>actorRef(
            batch -> false, batch -> Optional.empty(), BUFFERED_BATCHES, OverflowStrategy.fail())
        .map(batch -> batch.envelopes().stream().filter(keep).toList())
        .filter(kept -> !kept.isEmpty())
        .buffer(BUFFERED_BATCHES, OverflowStrategy.fail())
        .mapConcat(kept -> kept);
    // Source.preMaterialize, with room for the wait before the stream is run.
    Pair<ActorRef<EnvelopeBatch>, org.reactivestreams.Publisher<EventEnvelope>> pre = source
        .toMat(Sink.asPublisher(AsPublisher.WITH_FANOUT), Keep.both())
        .addAttributes(ActorAttributes.streamSubscriptionTimeout(UNCLAIMED_SUBSCRIPTION_TIMEOUT,
            StreamSubscriptionTimeoutTerminationMode.cancel()))
        .run(system);
    live.topic().tell(Topic.subscribe(pre.first()));
    subscribers.incrementAndGet();
    Source<EventEnvelope, NotUsed> counted = Source.fromPublisher(pre.second()).via(stopping.flow())
        .watchTermination((notUsed, done) -> {
          done.whenComplete((d, failure) -> subscribers.decrementAndGet());
          return NotUsed.getInstance();
        });
    return Pair.create(pre.first(), counted);
  }

  private final java.util.concurrent.atomic.AtomicInteger subscribers = new java.util.concurrent.atomic.AtomicInteger();

  /**
   * Ends every stream's live part: each stream completes (an SSE response ends normally) instead of failing when
   * the actor system stops under it. Called first when the node stops.
   */
  public void endAll() {
    stopping.shutdown();
  }

  /** Live stream subscribers connected to this node now (a metric). */
  public int subscribers() {
    return subscribers.get();
  }
}
