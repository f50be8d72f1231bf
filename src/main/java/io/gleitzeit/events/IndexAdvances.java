package io.gleitzeit.events;

import io.gleitzeit.serialization.JsonSerializable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.Cluster;

/**
 * Tells every node that the event index has committed more rows: the projections (on whichever node runs them)
 * publish on a cluster-wide topic after each committed group, and each node wakes the streams that follow the
 * index ({@link EventStreams}) through {@link #next()}. A wake-up only says "read again": a stream reads what is
 * there from its own position, so one lost or merged notification costs at most a wait for the next commit.
 */
final class IndexAdvances {

  static final String TOPIC_NAME = "gleitzeit-index-advanced";

  /** The index committed a group of the projection {@code projection} ({@code workflow} or {@code provider}). */
  record Advanced(String projection) implements JsonSerializable {}

  private final ActorRef<Topic.Command<Advanced>> topic;
  private final AtomicReference<CompletableFuture<Void>> next = new AtomicReference<>(new CompletableFuture<>());

  private IndexAdvances(ActorRef<Topic.Command<Advanced>> topic) {
    this.topic = topic;
  }

  /** Starts this node's topic and its subscriber, which completes {@link #next()} at each notification. */
  static IndexAdvances start(ActorSystem<?> system) {
    ActorRef<Topic.Command<Advanced>> topic =
        system.systemActorOf(Topic.create(Advanced.class, TOPIC_NAME), "index-advances", Props.empty());
    IndexAdvances advances = new IndexAdvances(topic);
    ActorRef<Advanced> listener = system.systemActorOf(advances.listener(), "index-advances-listener", Props.empty());
    // Once a member, as LiveEvents: the subscription then makes the topic known to the other nodes.
    Cluster.get(Adapter.toClassic(system)).registerOnMemberUp(() -> topic.tell(Topic.subscribe(listener)));
    return advances;
  }

  private Behavior<Advanced> listener() {
    return Behaviors.receiveMessage(advanced -> {
      next.getAndSet(new CompletableFuture<>()).complete(null);
      return Behaviors.same();
    });
  }

  /** Called by this node's projections after a committed group. */
  void published(String projection) {
    topic.tell(Topic.publish(new Advanced(projection)));
  }

  /**
   * Completes at the next notification after this call. Take it before reading the index: a commit during the
   * read then completes it, and the reader reads again instead of waiting for a commit that already happened.
   */
  CompletionStage<Void> next() {
    return next.get();
  }
}
