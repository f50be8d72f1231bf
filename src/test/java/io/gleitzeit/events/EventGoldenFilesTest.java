package io.gleitzeit.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
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
 * Every persisted event version has a golden file under {@code src/test/resources/events/}: the JSON the
 * journal holds. Each must still deserialize to the same event, so a change that breaks reading old
 * journals fails here. Run with {@code -Dgleitzeit.golden.write=true} to write the files of new versions.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EventGoldenFilesTest {

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ConfigFactory.load("application-test")).build();

  @Test
  void shouldReadEveryGoldenEventFileBackToTheSameEvent() throws Exception {
    check(SampleEvents.all());
  }

  @Test
  void shouldReadEveryGoldenProviderEventFileBackToTheSameEvent() throws Exception {
    check(SampleProviderEvents.all());
  }

  private void check(Map<String, ?> samples) throws Exception {
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
    for (Map.Entry<String, ?> sample : samples.entrySet()) {
      String resource = "/events/" + sample.getKey() + ".json";
      Object event = sample.getValue();
      var serializer = serialization.findSerializerFor(event);
      Path file = Path.of("src/test/resources/events", sample.getKey() + ".json");
      if (Boolean.getBoolean("gleitzeit.golden.write") && !Files.exists(file)) {
        Files.createDirectories(file.getParent());
        Files.write(file, serializer.toBinary(event));
        continue;
      }
      byte[] golden = read(resource);
      assertNotNull(golden, "missing golden file " + resource + " (write it with -Dgleitzeit.golden.write=true)");
      Object back = serialization.deserialize(golden, serializer.identifier(),
          Serializers.manifestFor(serializer, event)).get();
      assertEquals(event, back, "golden file " + resource + " no longer reads back to the same event");
    }
  }

  private static byte[] read(String resource) throws IOException {
    try (InputStream in = EventGoldenFilesTest.class.getResourceAsStream(resource)) {
      return in == null ? null : in.readAllBytes();
    }
  }

}
