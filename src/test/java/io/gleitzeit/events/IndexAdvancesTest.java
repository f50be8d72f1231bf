package io.gleitzeit.events;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The notification that the event index moved on crosses nodes (StreamResumeIT and ClusterStreamIT follow the index
 * with it).
 */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IndexAdvancesTest {

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ConfigFactory.load("application-test")).build();

  @Test
  void shouldSerializeTheNotificationForOtherNodes() {
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
    IndexAdvances.Advanced advanced = new IndexAdvances.Advanced("workflow");
    var serializer = serialization.findSerializerFor(advanced);
    byte[] bytes = serialization.serialize(advanced).get();
    assertEquals(advanced, serialization.deserialize(bytes, serializer.identifier(),
        Serializers.manifestFor(serializer, advanced)).get());
  }
}
