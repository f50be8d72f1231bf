package io.gleitzeit.events;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.event.Logging;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.BufferOverflowException;
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
 * Event streams for subscribers. For one workflow: its history from the journal followed seamlessly by its live
 * events (no gap, no duplicate: one journal, one order). For all workflows (the global stream): live envelopes from
 * the cluster-wide topic; resumed with a Last-Event-ID, the event index's rows in index order as it commits them, so
 * that the next Last-Event-ID says exactly what the client had, with live-only envelopes beside them.
 */
public final class EventStreams {

  /** A subscriber that falls too far behind fails its stream, which logs one WARN of its own (see subscribe). */
  private static final OverflowStrategy OVERFLOW = OverflowStrategy.fail().withLogLevel(Logging.DebugLevel());

  /** Where {@link #bufferedBatches} is configured (conf/gleitzeit.conf). */
  public static final String BUFFER_SETTING = "gleitzeit.http.stream-buffer-events";

  /** How long a resuming stream waits for the event index to catch up with the journal before giving up. */
  public static final Duration CATCH_UP_TIMEOUT = Duration.ofSeconds(10);

  /**
   * How long a subscription buffers for a stream that has not started yet: a resume subscribes, then waits for
   * the index (up to {@link #CATCH_UP_TIMEOUT}) before its response starts. Pekko's default of 5 s cut such a
   * subscription off, and the response ended with nothing sent (seventh black-box round).
   */
  static final Duration UNCLAIMED_SUBSCRIPTION_TIMEOUT = CATCH_UP_TIMEOUT.plusSeconds(20);

  private final ActorSystem<?> system;
  /**
   * How many journal events with envelopes that match its filters a subscriber may fall behind before its stream
   * ends: a slow client is disconnected (and may resume with Last-Event-ID) instead of growing the server's
   * memory.
   */
  private final int bufferedBatches;
  /** Completes every subscriber's live part when the node stops, so that streams end instead of breaking. */
  private final SharedKillSwitch stopping = KillSwitches.shared("event-streams");
  private final LiveEvents live;
  private final WorkflowJournal journal;
  private final EventIndex index;

  public EventStreams(ActorSystem<?> system, LiveEvents live, WorkflowJournal journal, EventIndex index) {
    this.system = system;
    this.bufferedBatches = system.settings().config().getInt(BUFFER_SETTING);
    this.live = live;
    this.journal = journal;
    this.index = index;
  }

  /**
   * The global stream from now on: every envelope matching the filter as it is published, live. Across workflows
   * that is the order of publication, which can differ from the index's (see {@link #resume}).
   */
  public Source<EventEnvelope, NotUsed> live(EventFilter filter) {
    return subscribe(null, filter::matches);
  }

  /**
   * A workflow's envelopes after {@code afterEventId} (all when null), then its live ones; empty when the
   * workflow's journal does not hold {@code afterEventId}. Subscribes first and reads the journal once the
   * subscription is in place; live envelopes already read from the journal are dropped by sequence number.
   */
  public CompletionStage<Optional<Source<EventEnvelope, NotUsed>>> workflow(String workflowId, String afterEventId,
                                                                           EventFilter filter) {
    // Only the workflow's own stream: a provider's report dead letter names the workflow too.
    Source<EventEnvelope, NotUsed> liveOnes = subscribe(workflowId, e -> filter.matches(e)
        && workflowId.equals(e.workflowId()) && !ProviderEnvelopes.SUPERVISOR.equals(e.sourceComponent()));
    // Following from here on (LiveEvents#follow): whatever is published after this read is not missed.
    CompletionStage<Optional<Source<EventEnvelope, NotUsed>>> history = journal.envelopes(workflowId)
        .thenApply(all -> after(all, afterEventId).map(replayed -> {
          long lastRead = all.isEmpty() ? 0 : all.get(all.size() - 1).sequenceNumber();
          String replayedSubmission = all.isEmpty() ? null : all.get(0).eventId();
          return Source.from(replayed).filter(filter::matches) // the live ones were filtered on arrival
              .concat(liveOnes.statefulMap(() -> new NotReplayed(lastRead, replayedSubmission),
                  (state, e) -> Pair.create(state, state.keep(e) ? List.of(e) : List.<EventEnvelope>of()),
                  state -> Optional.empty())
                  .mapConcat(kept -> kept));
        }));
    return unsubscribedUnlessStreamed(history, liveOnes);
  }

  /**
   * Which live envelopes of a workflow the replayed history did not hold: those past its last sequence number, and
   * every one from a new submission under the same id on — retention deleted the workflow and its id was used
   * again, so the numbers start again at 1 (black-box round 12: the stream dropped the new workflow's events).
   */
  private static final class NotReplayed {
    private final long lastRead;
    private final String replayedSubmission;
    private boolean resubmitted;

    NotReplayed(long lastRead, String replayedSubmission) {
      this.lastRead = lastRead;
      this.replayedSubmission = replayedSubmission;
    }

    boolean keep(EventEnvelope e) {
      if (!resubmitted && "workflow:submitted".equals(e.eventType()) && !e.eventId().equals(replayedSubmission)) {
        resubmitted = true;
      }
      return resubmitted || e.sequenceNumber() == null || e.sequenceNumber() > lastRead;
    }
  }

  /**
   * The global stream resumed right after the persisted envelope {@code afterEventId}: every indexed envelope
   * after it (matching the filter), in index order, as far as the index goes and on as it commits more, with the
   * live-only envelopes beside them. Empty when the index does not hold that envelope; fails with a
   * TimeoutException when the index does not catch up within {@link #CATCH_UP_TIMEOUT}.
   *
   * <p>A resumed stream sends persisted envelopes in the index's order, so the envelope a client names on its next
   * reconnect says exactly what it had: from then on no gap and no duplicate. The connection it resumes from, if it
   * started live, came in publication order, which across workflows differs from the index's by up to a large
   * workflow's journal write (~170 ms): around that first resume point envelopes of other workflows can be missed
   * or repeated (README "Resuming the live stream"). A live stream stays live because a stream that follows the
   * index trails the journal by its lag, seconds in a burst. It first waits until the index holds every journal
   * event committed before the call, so that an envelope just read from a live stream is found too.
   */
  public CompletionStage<Optional<Source<EventEnvelope, NotUsed>>> resume(String afterEventId, EventFilter filter) {
    Source<EventEnvelope, NotUsed> liveOnly = liveOnly(filter);
    CompletionStage<Optional<Source<EventEnvelope, NotUsed>>> resumed = index.journalHighWater()
        .thenCompose(high -> index.awaitIndexedUpTo(high, CATCH_UP_TIMEOUT))
        .thenCompose(caughtUp -> index.positionOf(afterEventId))
        .thenApply(position -> position.map(after -> followIndex(after, filter).merge(liveOnly)));
    return unsubscribedUnlessStreamed(resumed, liveOnly);
  }

  /**
   * The persisted envelopes matching the filter after index position {@code after}, in index order, read a page at
   * a time and again each time the index commits (no poll: {@link EventIndex#nextAdvance}). Reads only as fast as
   * its client takes them, so a slow client trails the index instead of filling the server's memory.
   */
  private Source<EventEnvelope, NotUsed> followIndex(long after, EventFilter filter) {
    record Step(long after, CompletionStage<Void> ready) {}
    CompletionStage<Void> now = CompletableFuture.completedFuture(null);
    return Source.<Step, List<String>>unfoldAsync(new Step(after, now), step -> step.ready().thenCompose(ready -> {
          // Taken before the read: a commit during it completes this one, and the next step reads again at once.
          CompletionStage<Void> advanced = index.nextAdvance();
          return index.tail(filter, step.after()).thenApply(tail -> Optional.of(
              Pair.create(new Step(tail.last(), tail.more() ? now : advanced), tail.envelopes())));
        }))
        .mapConcat(page -> page)
        .map(json -> Json.MAPPER.readValue(json, EventEnvelope.class))
        .via(stopping.flow());
  }

  /** The live-only envelopes (no sequence number: heartbeats, progress) matching the filter, from now on. */
  private Source<EventEnvelope, NotUsed> liveOnly(EventFilter filter) {
    return subscribe(null, e -> e.sequenceNumber() == null && filter.matches(e));
  }

  /** Ends the live subscription when no stream will be built on it (a failure, or nothing to resume after). */
  private <T> CompletionStage<Optional<T>> unsubscribedUnlessStreamed(
      CompletionStage<Optional<T>> built, Source<EventEnvelope, NotUsed> subscription) {
    return built.whenComplete((source, failure) -> {
      if (failure != null || source.isEmpty()) {
        subscription.runWith(Sink.cancelled(), system); // unsubscribes
      }
    });
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
   * Subscribes now, to one workflow's batches through this node's router ({@code workflowId} given; visible to the
   * router at once) or to the whole topic (null: the global stream's live-only part), for a stream that may start
   * seconds later: the envelopes that {@code keep} drops are dropped as they arrive, so that only journal events
   * with envelopes the stream will send count against {@link #bufferedBatches} meanwhile (a burst of other
   * workflows' events overflowed a stream still waiting to start).
   */
  private Source<EventEnvelope, NotUsed> subscribe(
      String workflowId, java.util.function.Predicate<EventEnvelope> keep) {
    // Batches stay whole in the buffer: one journal event (a workflow's submission) yields thousands of envelopes.
    Source<EventEnvelope, ActorRef<EnvelopeBatch>> source = ActorSource.<EnvelopeBatch>actorRef(
            batch -> false, batch -> Optional.empty(), bufferedBatches, OVERFLOW)
        .map(batch -> batch.envelopes().stream().filter(keep).toList())
        .filter(kept -> !kept.isEmpty())
        .buffer(bufferedBatches, OVERFLOW)
        // A client that fell that far behind is let go with a normal end of its response (an SSE client
        // reconnects with Last-Event-ID): failing the response aborted the connection and logged a stack trace.
        .recoverWithRetries(1, BufferOverflowException.class, () -> {
          system.log().warn("A live event stream{} fell {} journal events behind its client and was closed; the "
              + "client may resume with Last-Event-ID", workflowId == null ? "" : " of workflow " + workflowId,
              bufferedBatches);
          return Source.empty();
        })
        .mapConcat(kept -> kept)
        // However the stream ends (its client went, the node stops, nobody ever ran it): no longer routed to.
        .watchTermination((ref, done) -> {
          if (workflowId != null) {
            done.whenComplete((d, failure) -> live.unfollow(workflowId, ref));
          }
          return ref;
        });
    // Source.preMaterialize, with room for the wait before the stream is run.
    Pair<ActorRef<EnvelopeBatch>, org.reactivestreams.Publisher<EventEnvelope>> pre = source
        .toMat(Sink.asPublisher(AsPublisher.WITH_FANOUT), Keep.both())
        .addAttributes(ActorAttributes.streamSubscriptionTimeout(UNCLAIMED_SUBSCRIPTION_TIMEOUT,
            StreamSubscriptionTimeoutTerminationMode.cancel()))
        .run(system);
    if (workflowId == null) {
      live.topic().tell(Topic.subscribe(pre.first()));
    } else {
      live.follow(workflowId, pre.first());
    }
    subscribers.incrementAndGet();
    return Source.fromPublisher(pre.second()).via(stopping.flow())
        .watchTermination((notUsed, done) -> {
          done.whenComplete((d, failure) -> subscribers.decrementAndGet());
          return NotUsed.getInstance();
        });
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
