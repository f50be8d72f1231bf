package io.gleitzeit.events;

import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * The live event stream: Pekko's distributed pub-sub topic carrying every envelope, cluster-wide, as it
 * is persisted. Subscribers (the demo, later the SSE endpoint) subscribe to {@link #topic()}.
 */
public final class LiveEvents implements EventPublisher {
  public static final String TOPIC_NAME = "gleitzeit-events";

  private final ActorRef<Topic.Command<EnvelopeBatch>> topic;

  public LiveEvents(ActorRef<Topic.Command<EnvelopeBatch>> topic) {
    this.topic = topic;
  }

  public static LiveEvents start(ActorSystem<?> system) {
    ActorRef<Topic.Command<EnvelopeBatch>> topic =
        system.systemActorOf(Topic.create(EnvelopeBatch.class, TOPIC_NAME), "live-events", Props.empty());
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
