package io.gleitzeit.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.node.GleitzeitNode;
import io.gleitzeit.testing.ApiTestClient;
import io.gleitzeit.testing.LocalNode;
import io.gleitzeit.testing.Resources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node configured with {@code gleitzeit.limits.batch-roots} expands batch workflows over folders under those
 * roots only; any other directory is a 400 naming {@code batch.directory}, and nothing is accepted.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BatchRootsIT {

  @TempDir
  static Path tmp;

  private GleitzeitNode node;
  private ApiTestClient api;
  private Path root;
  private Path outside;

  @BeforeAll
  void start() throws Exception {
    root = Files.createDirectories(tmp.resolve("batches/run-1"));
    Files.writeString(root.resolve("a.txt"), "a");
    Files.writeString(root.resolve("b.txt"), "b");
    outside = Files.createDirectories(tmp.resolve("home"));
    Files.writeString(outside.resolve("notes.txt"), "n");
    Path config = tmp.resolve("roots.conf");
    Files.writeString(config, "gleitzeit.limits.batch-roots = [\"" + tmp.resolve("batches") + "\"]\n");
    node = LocalNode.start(tmp.resolve("data"), config);
    api = new ApiTestClient(node.baseUrl());
  }

  @AfterAll
  void stop() {
    Resources.closeAll(api, node);
  }

  private static String batch(String id, Path directory) {
    return "{\"id\": \"" + id + "\", \"type\": \"batch\", \"batch\": {\"directory\": \"" + directory + "\", "
        + "\"pattern\": \"*.txt\"}, \"template\": {\"id\": \"item\", \"method\": \"test/echo\", "
        + "\"params\": {\"file\": \"${batch.file}\"}}}";
  }

  @Test
  void shouldExpandABatchUnderARootAndRefuseOneElsewhereWithThePathOfTheProblem() {
    api.submitAccepted(batch("inside", root));
    assertEquals("completed", api.awaitEnd("inside", Duration.ofSeconds(30)).status());

    ApiTestClient.Response refused = api.submit(batch("outside", outside));
    assertEquals(400, refused.status(), refused::toString);
    JsonNode detail = refused.json().at("/details/0");
    assertEquals("batch.directory", detail.path("path").asText(), refused::toString);
    assertTrue(detail.path("message").asText().contains("not under a batch root"), refused::toString);
    assertEquals(404, api.get("/workflows/outside").status(), "nothing was accepted");
  }
}
