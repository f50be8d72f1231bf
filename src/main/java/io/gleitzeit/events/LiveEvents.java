package io.gleitzeit.events;

import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * The live event stream: Pekko's distributed pub-sub topic carrying every envelope, cluster-wide, as it
 * is persisted. Subscribers (the demo, the SSE endpoint) subscribe to {@link #topic()}.
 */
public final class LiveEvents implements EventPublisher {
  public static final String TOPIC_NAME = "gleitzeit-events";

  private final ActorRef<Topic.Command<EnvelopeBatch>> topic;

  public LiveEvents(ActorRef<Topic.Command<EnvelopeBatch>> topic) {
    this.topic = topic;
  }

  /**
   * Starts this node's topic with one subscriber of its own that drops everything, for the node's life. A topic
   * makes itself known to the other nodes (through the receptionist) only while it has a local subscriber: without
   * one, the first stream opened on a node missed what other nodes published before they learned of it — a gap in
   * a stream that promises none (found with a workflow submitted on one node and its stream opened at once on
   * another). Every node then receives every envelope, streams or not.
   */
  public static LiveEvents start(ActorSystem<?> system) {
    ActorRef<Topic.Command<EnvelopeBatch>> topic =
        system.systemActorOf(Topic.create(EnvelopeBatch.class, TOPIC_NAME), "live-events", Props.empty());
    ActorRef<EnvelopeBatch> anchor = system.systemActorOf(Behaviors.ignore(), "live-events-anchor", Props.empty());
    // Once a member: the registration then goes to the nodes there are (conf/cluster.conf), not just to itself.
    Cluster.get(Adapter.toClassic(system)).registerOnMemberUp(() -> topic.tell(Topic.subscribe(anchor)));
    return new LiveEvents(topic);
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
