package io.gleitzeit.api;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gleitzeit.node.GleitzeitNode;
import io.gleitzeit.testing.ApiTestClient;
import io.gleitzeit.testing.EventWatch;
import io.gleitzeit.testing.LocalNode;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A node that stops ends its live event streams as complete responses (the client reads the end of the stream),
 * instead of breaking their connections under them: Pekko HTTP logged each broken one as an error, at the end of
 * every demo among others.
 */
@Tag("integration")
class StreamShutdownIT {

  @Test
  void stoppingTheNodeEndsEveryLiveStreamAsACompleteResponse() throws Exception {
    GleitzeitNode node = LocalNode.start(Files.createTempDirectory("gleitzeit-stream-shutdown-it-"), null);
    try (ApiTestClient api = new ApiTestClient(node.baseUrl());
         EventWatch all = EventWatch.open(node.baseUrl(), "");
         EventWatch ofOne = EventWatch.open(node.baseUrl(), "workflow_id=not-submitted-yet")) {
      String id = api.submitAccepted("{\"tasks\": [{\"id\": \"a\", \"method\": \"test/echo\"}]}");
      all.await("the end of " + id, e -> id.equals(e.path("workflow_id").asText())
          && ApiTestClient.WORKFLOW_ENDS.contains(e.path("event_type").asText()), Duration.ofSeconds(30));
      node.close();
      assertTrue(all.ended().get(30, TimeUnit.SECONDS), "the live stream ended as a complete response");
      assertTrue(ofOne.ended().get(30, TimeUnit.SECONDS), "a workflow's stream too");
    }
  }
}
