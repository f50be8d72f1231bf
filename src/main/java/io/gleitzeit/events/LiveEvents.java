package io.gleitzeit.events;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * The live event stream: Pekko's distributed pub-sub topic carrying every envelope, cluster-wide, as it
 * is persisted. The global stream's live-only part subscribes to {@link #topic()}; a workflow's stream follows
 * its workflow through this node's router ({@link #follow}), the topic's one local subscriber, which hands each
 * batch only to the streams of the workflow it belongs to.
 */
public final class LiveEvents implements EventPublisher {
  public static final String TOPIC_NAME = "gleitzeit-events";

  private final ActorRef<Topic.Command<EnvelopeBatch>> topic;
  /** The streams following each workflow on this node. */
  private final Map<String, Set<ActorRef<EnvelopeBatch>>> followers = new ConcurrentHashMap<>();

  public LiveEvents(ActorRef<Topic.Command<EnvelopeBatch>> topic) {
    this.topic = topic;
  }

  /**
   * Starts this node's topic with one subscriber of its own for the node's life, the router of workflow streams.
   * A topic makes itself known to the other nodes (through the receptionist) only while it has a local subscriber:
   * without one, the first stream opened on a node missed what other nodes published before they learned of it — a
   * gap in a stream that promises none (found with a workflow submitted on one node and its stream opened at once on
   * another). Every node then receives every envelope, streams or not. One subscriber routing by workflow, not one
   * per stream: the topic hands every batch to every subscriber, and a subscriber per workflow stream cost the node
   * its whole CPU with 64 streams open (10.5 ms per W1 task).
   */
  public static LiveEvents start(ActorSystem<?> system) {
    ActorRef<Topic.Command<EnvelopeBatch>> topic =
        system.systemActorOf(Topic.create(EnvelopeBatch.class, TOPIC_NAME), "live-events", Props.empty());
    LiveEvents live = new LiveEvents(topic);
    ActorRef<EnvelopeBatch> router = system.systemActorOf(live.router(), "live-events-router", Props.empty());
    // Once a member: the registration then goes to the nodes there are (conf/cluster.conf), not just to itself.
    Cluster.get(Adapter.toClassic(system)).registerOnMemberUp(() -> topic.tell(Topic.subscribe(router)));
    return live;
  }

  private Behavior<EnvelopeBatch> router() {
    return Behaviors.receiveMessage(batch -> {
      if (!followers.isEmpty()) {
        Set<String> workflows = new HashSet<>(2);
        for (EventEnvelope e : batch.envelopes()) {
          if (e.workflowId() != null) {
            workflows.add(e.workflowId());
          }
        }
        for (String workflowId : workflows) {
          Set<ActorRef<EnvelopeBatch>> streams = followers.get(workflowId);
          if (streams != null) {
            streams.forEach(stream -> stream.tell(batch));
          }
        }
      }
      return Behaviors.same();
    });
  }

  /**
   * Hands {@code stream} every batch with an envelope of {@code workflowId} published from now on: a batch the router
   * takes after this call reaches it (the registration is visible to the router at once).
   */
  void follow(String workflowId, ActorRef<EnvelopeBatch> stream) {
    followers.computeIfAbsent(workflowId, id -> ConcurrentHashMap.newKeySet()).add(stream);
  }

  void unfollow(String workflowId, ActorRef<EnvelopeBatch> stream) {
    followers.computeIfPresent(workflowId, (id, streams) -> {
      streams.remove(stream);
      return streams.isEmpty() ? null : streams;
    });
  }

  public ActorRef<Topic.Command<EnvelopeBatch>> topic() {
    return topic;
  }

  @Override
  public void publish(List<EventEnvelope> envelopes) {
    if (!envelopes.isEmpty()) {
      topic.tell(Topic.publish(new EnvelopeBatch(envelopes)));
    }
  }
}
