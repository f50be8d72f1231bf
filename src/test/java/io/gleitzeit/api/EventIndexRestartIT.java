package io.gleitzeit.api;

import static io.gleitzeit.testing.ApiTestClient.enc;
import static io.gleitzeit.testing.ApiTestClient.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.node.GleitzeitNode;
import io.gleitzeit.node.NodeConfig;
import io.gleitzeit.testing.ApiTestClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The event index keeps its place across a restart (SPEC §5, issue 6): its projections store their offsets
 * with the rows they write, so a node started again on the same data directory indexes what the journal
 * gained meanwhile — and nothing twice.
 */
@Tag("integration")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class EventIndexRestartIT {

  private static final int WORKFLOWS_PER_BATCH = 20;
  private static final int LEAVES = 9;
  private static final Duration END = Duration.ofSeconds(60);
  /** Generous: after a restart the index catches up on a whole batch first. */
  private static final Duration CATCH_UP = Duration.ofSeconds(20);

  @Test
  void afterARestartTheIndexResumesWithEveryEnvelopeExactlyOnce() throws Exception {
    Path dataDir = Files.createTempDirectory("gleitzeit-index-restart-it-");
    List<String> ids = new ArrayList<>();

    try (GleitzeitNode node = GleitzeitNode.start(NodeConfig.load(0, 0, dataDir, null));
         ApiTestClient api = new ApiTestClient(node.baseUrl())) {
      // Stop as soon as the workflows end, without waiting for the index: what it has not indexed yet it
      // must pick up after the restart.
      ids.addAll(runBatch(api));
    }

    try (GleitzeitNode node = GleitzeitNode.start(NodeConfig.load(0, 0, dataDir, null));
         ApiTestClient api = new ApiTestClient(node.baseUrl())) {
      awaitIndexed(node, api, ids);
      int before = assertIndexHoldsTheJournalExactlyOnce(api, ids);
      ids.addAll(runBatch(api));
      awaitIndexed(node, api, ids);
      int after = assertIndexHoldsTheJournalExactlyOnce(api, ids);
      assertTrue(before > 2000 && after > before, "a few thousand envelopes: " + before + ", then " + after);
      assertTheListHoldsEveryWorkflowOnceNewestFirst(api, ids);
    }
  }

  /**
   * An index written before event ids were time-ordered (format 1: no format recorded, other ids) is emptied at
   * start and built again from the journal, so that {@code GET /events} and the per-workflow endpoint agree on
   * every id again.
   */
  @Test
  void anIndexOfAnOlderFormatIsBuiltAgainFromTheJournal() throws Exception {
    Path dataDir = Files.createTempDirectory("gleitzeit-index-format-it-");
    List<String> ids = new ArrayList<>();
    try (GleitzeitNode node = GleitzeitNode.start(NodeConfig.load(0, 0, dataDir, null));
         ApiTestClient api = new ApiTestClient(node.baseUrl())) {
      ids.addAll(runBatch(api));
      awaitIndexed(node, api, ids);
    }
    try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + dataDir.resolve("journal-index"), "sa", "");
         Statement s = c.createStatement()) {
      // Other ids, in the rows' envelopes as in their id column.
      assertTrue(s.executeUpdate("UPDATE gleitzeit_event_index SET envelope = REPLACE(envelope, event_id, "
          + "'00000000' || SUBSTRING(event_id, 9)), event_id = '00000000' || SUBSTRING(event_id, 9)") > 1000);
      s.executeUpdate("DROP TABLE gleitzeit_event_index_format");
    }

    try (GleitzeitNode node = GleitzeitNode.start(NodeConfig.load(0, 0, dataDir, null));
         ApiTestClient api = new ApiTestClient(node.baseUrl())) {
      awaitIndexed(node, api, ids);
      assertTrue(assertIndexHoldsTheJournalExactlyOnce(api, ids) > 1000);
      assertTheListHoldsEveryWorkflowOnceNewestFirst(api, ids);
    }
  }

  /**
   * A journal file deleted beside its index (the index of an embedded node is a file of its own): the new journal's
   * orderings start again below the index's offsets, so the index kept the old workflows and never indexed a new
   * one (the eleventh black-box round). It is built again from the journal the node now has.
   */
  @Test
  void anIndexBesideAnotherJournalIsBuiltAgainFromIt() throws Exception {
    Path dataDir = Files.createTempDirectory("gleitzeit-index-journal-it-");
    try (GleitzeitNode node = GleitzeitNode.start(NodeConfig.load(0, 0, dataDir, null));
         ApiTestClient api = new ApiTestClient(node.baseUrl())) {
      awaitIndexed(node, api, runBatch(api));
    }
    Files.delete(dataDir.resolve("journal.mv.db"));

    try (GleitzeitNode node = GleitzeitNode.start(NodeConfig.load(0, 0, dataDir, null));
         ApiTestClient api = new ApiTestClient(node.baseUrl())) {
      List<String> ids = runBatch(api);
      awaitIndexed(node, api, ids);
      assertTrue(assertIndexHoldsTheJournalExactlyOnce(api, ids) > 1000);
      assertTheListHoldsEveryWorkflowOnceNewestFirst(api, ids);
    }
  }

  /** Submits a batch of fan-out workflows at once and waits until all have ended; their ids in submission order. */
  private static List<String> runBatch(ApiTestClient api) {
    StringBuilder tasks = new StringBuilder("{\"id\": \"root\", \"method\": \"test/echo\"}");
    for (int i = 1; i <= LEAVES; i++) {
      tasks.append(", {\"id\": \"leaf").append(i).append("\", \"method\": \"test/echo\", \"dependencies\": [\"root\"],")
          .append(" \"params\": {\"i\": ").append(i).append("}}");
    }
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < WORKFLOWS_PER_BATCH; i++) {
      ids.add(api.submitAccepted("{\"id\": \"r-" + UUID.randomUUID() + "\", \"tasks\": [" + tasks + "]}"));
    }
    List<CompletableFuture<ApiTestClient.Ended>> ends = ids.stream().map(id -> api.followToEnd(id, END)).toList();
    for (CompletableFuture<ApiTestClient.Ended> end : ends) {
      assertEquals("completed", end.join().status());
    }
    return ids;
  }

  private static void awaitIndexed(GleitzeitNode node, ApiTestClient api, List<String> ids) {
    for (String id : ids) {
      List<JsonNode> events = api.events(id);
      long last = events.get(events.size() - 1).path("sequence_number").asLong();
      try {
        node.eventIndex().awaitWorkflowIndexed(id, last, CATCH_UP).join();
      } catch (CompletionException e) {
        throw new AssertionError("workflow " + id + " was not indexed up to envelope " + last + " within "
            + CATCH_UP.toSeconds() + " s", e.getCause());
      }
    }
  }

  /**
   * Walks {@code GET /events} page by page: every envelope of every workflow is there once, each workflow's
   * in its own order and identical to the per-workflow endpoint. Returns how many there are.
   */
  private static int assertIndexHoldsTheJournalExactlyOnce(ApiTestClient api, List<String> ids) {
    List<JsonNode> indexed = new ArrayList<>();
    String next = null;
    do {
      JsonNode page = ok(api.get("/events?limit=1000" + (next == null ? "" : "&after=" + enc(next))));
      page.path("events").forEach(indexed::add);
      next = page.path("next").isNull() ? null : page.path("next").asText();
    } while (next != null);

    Set<String> seen = new HashSet<>();
    Map<String, List<JsonNode>> byWorkflow = new LinkedHashMap<>();
    for (JsonNode e : indexed) {
      assertTrue(seen.add(e.path("event_id").asText()), "indexed twice: " + e);
      if (!e.path("event_type").asText().startsWith("provider:")) {
        byWorkflow.computeIfAbsent(e.path("workflow_id").asText(), k -> new ArrayList<>()).add(e);
      }
    }
    assertEquals(new HashSet<>(ids), byWorkflow.keySet());
    int total = 0;
    for (String id : ids) {
      List<JsonNode> journal = api.events(id);
      // In the walk, each workflow's envelopes come in its own sequence order, interleaved with others'.
      assertEquals(journal, byWorkflow.get(id), "workflow " + id);
      total += journal.size();
    }
    return total;
  }

  private static void assertTheListHoldsEveryWorkflowOnceNewestFirst(ApiTestClient api, List<String> ids) {
    List<String> listed = new ArrayList<>();
    String next = null;
    do {
      JsonNode page = ok(api.get("/workflows?limit=7" + (next == null ? "" : "&after=" + enc(next))));
      page.path("workflows").forEach(w -> {
        assertEquals("completed", w.path("status").asText(), w::toString);
        listed.add(w.path("workflow_id").asText());
      });
      next = page.path("next").isNull() ? null : page.path("next").asText();
    } while (next != null);
    List<String> newestFirst = new ArrayList<>(ids);
    Collections.reverse(newestFirst);
    assertEquals(newestFirst, listed);
  }
}
