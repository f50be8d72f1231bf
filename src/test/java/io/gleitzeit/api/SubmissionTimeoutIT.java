package io.gleitzeit.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.node.GleitzeitNode;
import io.gleitzeit.testing.ApiTestClient;
import io.gleitzeit.testing.LocalNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A submission whose write outlasts the ask timeout (a journal database that hangs) may still be accepted: the
 * 503 names the workflow's id, generated or given, so that a client can look before it submits again. Here the
 * ask timeout is 1 ms, shorter than any journal write.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SubmissionTimeoutIT {

  private GleitzeitNode node;
  private ApiTestClient api;

  @BeforeAll
  void start() throws Exception {
    Path dir = Files.createTempDirectory("gleitzeit-submission-timeout-it-");
    Path overlay = Files.writeString(dir.resolve("overlay.conf"), "gleitzeit.http.ask-timeout = 1ms\n");
    node = LocalNode.start(dir.resolve("data"), overlay);
    api = new ApiTestClient(node.baseUrl());
  }

  @AfterAll
  void stop() {
    api.close();
    node.close();
  }

  @Test
  void aSubmissionAnsweredTooLateNamesTheWorkflowItMayStillStart() {
    ApiTestClient.Response r = api.submit("{\"tasks\": [{\"id\": \"a\", \"method\": \"test/echo\"}]}");

    assertEquals(503, r.status(), r::toString);
    JsonNode body = r.json();
    assertEquals("unavailable", body.path("error").asText(), r::toString);
    String id = body.path("workflow_id").asText();
    assertTrue(id.startsWith("wf-"), "the generated id, which the client could not know: " + r);
    assertTrue(body.path("message").asText().contains("GET /workflows/" + id), r::toString);
    // It was accepted after all: a client that submitted it again without the id would have run it twice.
    node.eventIndex().awaitWorkflowIndexed(id, 1, Duration.ofSeconds(30)).join();
  }
}
