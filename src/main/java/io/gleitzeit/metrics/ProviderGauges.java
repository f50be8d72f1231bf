package io.gleitzeit.metrics;

import io.gleitzeit.provider.ProviderStatus;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;

/** Keeps the provider gauges current from the status topic the provider entities publish on. */
public final class ProviderGauges {

  private ProviderGauges() {}

  public static Behavior<ProviderStatus> create(ActorRef<Topic.Command<ProviderStatus>> statusTopic,
                                                EngineMetrics metrics) {
    return Behaviors.setup(ctx -> {
      statusTopic.tell(Topic.subscribe(ctx.getSelf()));
      return Behaviors.receiveMessage(status -> {
        metrics.provider(status.id(), status.healthScore(), status.load());
        return Behaviors.same();
      });
    });
  }
}
