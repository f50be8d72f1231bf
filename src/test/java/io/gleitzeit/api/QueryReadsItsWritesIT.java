package io.gleitzeit.api;

import static io.gleitzeit.testing.ApiTestClient.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.node.GleitzeitNode;
import io.gleitzeit.node.NodeConfig;
import io.gleitzeit.testing.ApiTestClient;
import io.gleitzeit.testing.Resources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * {@code GET /events}, {@code GET /workflows} and {@code GET /dead-letters} read the event index, which
 * follows the journal by ~100 ms. A user who saw a workflow end and then asks for its history must get all
 * of it: each query first waits until the index holds what the journal had when the query came. Nothing
 * here waits for the index; without that wait these queries missed the workflow's last events.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class QueryReadsItsWritesIT {

  private static final Duration END = Duration.ofSeconds(30);
  private static final String CHAIN = "{\"tasks\": [{\"id\": \"a\", \"method\": \"test/echo\", \"params\": {\"v\": 1}},"
      + " {\"id\": \"b\", \"method\": \"test/echo\", \"params\": {\"v\": \"${a.result.v}\"},"
      + " \"dependencies\": [\"a\"]}]}";
  private static final String FAILING = "{\"tasks\": [{\"id\": \"boom\", \"method\": \"test/fail\","
      + " \"params\": {\"message\": \"no\", \"retryable\": false}}]}";

  private GleitzeitNode node;
  private ApiTestClient api;

  @BeforeAll
  void startNode() throws Exception {
    Path dataDir = Files.createTempDirectory("gleitzeit-read-your-writes-it-");
    node = GleitzeitNode.start(NodeConfig.load(0, 0, dataDir, null));
    api = new ApiTestClient(node.baseUrl());
  }

  @AfterAll
  void stopNode() {
    Resources.closeAll(api, node);
  }

  @Test
  void aQueryRightAfterAWorkflowEndedSeesItsWholeHistoryItsStatusAndItsDeadLetter() {
    for (int round = 1; round <= 5; round++) {
      String completed = api.submitAccepted(CHAIN);
      String failed = api.submitAccepted(FAILING);
      assertEquals("completed", api.awaitEnd(completed, END).status());
      assertEquals("failed", api.awaitEnd(failed, END).status());

      assertEquals(eventIds(api.events(completed)),
          eventIds(ok(api.get("/events?limit=1000&workflow_id=" + completed)).path("events")),
          "round " + round + ": GET /events holds every event of the journal");
      assertTrue(listed("/workflows?limit=1000&status=completed", "workflows", "workflow_id").contains(completed),
          "round " + round + ": listed as completed");
      assertTrue(listed("/workflows?limit=1000&status=failed", "workflows", "workflow_id").contains(failed),
          "round " + round + ": listed as failed");
      assertEquals(List.of(failed), listed("/dead-letters?workflow_id=" + failed, "dead_letters", "workflow_id"),
          "round " + round + ": its dead letter is queued");
    }
  }

  private List<String> listed(String query, String array, String field) {
    List<String> values = new ArrayList<>();
    ok(api.get(query)).path(array).forEach(row -> values.add(row.path(field).asText()));
    return values;
  }

  private static List<String> eventIds(Iterable<JsonNode> events) {
    List<String> ids = new ArrayList<>();
    events.forEach(e -> ids.add(e.path("event_id").asText()));
    return ids;
  }
}
