package io.gleitzeit.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gleitzeit.node.GleitzeitNode;
import io.gleitzeit.testing.ApiTestClient;
import io.gleitzeit.testing.LocalNode;
import io.gleitzeit.testing.Resources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Waiting for the event index (what retention, the resumable stream and the tests rely on) wakes for every
 * stream of a committed group, not only the stream of the group's last event: many workflows written at once
 * land in one index transaction.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class IndexProgressIT {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final int WORKFLOWS = 40;

  private GleitzeitNode node;
  private ApiTestClient api;

  @BeforeAll
  void start() throws Exception {
    Path dir = Files.createTempDirectory("gleitzeit-index-progress-it-");
    node = LocalNode.start(dir.resolve("data"), null);
    api = new ApiTestClient(node.baseUrl());
  }

  @AfterAll
  void stop() {
    Resources.closeAll(api, node);
  }

  @Test
  void everyWaiterOfAGroupWakesOnceItsEnvelopeIsIndexed() {
    List<String> ids = new ArrayList<>();
    List<CompletableFuture<Void>> submissionsIndexed = new ArrayList<>();
    for (int i = 0; i < WORKFLOWS; i++) {
      String id = "group-" + i + "-" + UUID.randomUUID();
      ids.add(id);
      // Registered before anything is written: only the projection's progress can complete it.
      submissionsIndexed.add(node.eventIndex().awaitWorkflowIndexed(id, 1, WAIT));
    }
    List<CompletableFuture<ApiTestClient.Response>> submitted = new ArrayList<>();
    for (String id : ids) {
      submitted.add(CompletableFuture.supplyAsync(() ->
          api.submit("{\"id\": \"" + id + "\", \"tasks\": [{\"id\": \"a\", \"method\": \"test/echo\"}]}")));
    }
    for (CompletableFuture<ApiTestClient.Response> s : submitted) {
      assertEquals(202, s.join().status());
    }
    for (int i = 0; i < WORKFLOWS; i++) {
      submissionsIndexed.get(i).join(); // a TimeoutException here: a waiter that never woke
      assertEquals("completed", api.awaitEnd(ids.get(i), WAIT).status(), ids.get(i));
    }
  }
}
