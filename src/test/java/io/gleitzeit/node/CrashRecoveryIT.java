package io.gleitzeit.node;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gleitzeit.testing.NodeProcess;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.function.Executable;

/**
 * Crash recovery with real node processes (SPEC §3, §4, §8): a node is killed with SIGKILL in the middle of
 * workflows, a new node process is started on the same data directory (the same H2 journal), and the
 * workflows must finish as if nothing had happened — no task completed twice, no event lost or changed,
 * sequence numbers gapless. And a node stopped cleanly serves its finished workflows identically after a
 * restart, replayed from the journal.
 *
 * <p>Progress is followed over the SSE stream {@code GET /events/stream?workflow_id=...} (history first, then
 * live): no sleeping, no polling. After a restart nothing but that stream touches a workflow until it ends,
 * so the node must resume in-flight workflows by itself.
 */
@Tag("integration")
class CrashRecoveryIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  private static final Set<String> WORKFLOW_ENDS = Set.of("workflow:completed", "workflow:failed", "workflow:cancelled");
  /**
   * How long a restarted node may take to finish what was in flight: the reattach timeout (5 s) before the
   * held attempts are reassigned, then the sleeps again (at most 4 s + 2.5 s here), with a wide margin.
   */
  private static final Duration RECOVERY_TIMEOUT = Duration.ofSeconds(30);
  /** Diagnosis only, after a workflow did not resume by itself: how long to watch it once it was touched. */
  private static final Duration AFTER_TOUCH_TIMEOUT = Duration.ofSeconds(20);

  private static Path runDir;

  @BeforeAll
  static void runDirectory() throws IOException {
    runDir = Files.createDirectories(Path.of("target", "it-nodes",
        "crash-recovery-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS"))))
        .toAbsolutePath();
  }

  private static Path dataDir(TestInfo info) throws IOException {
    return Files.createDirectories(runDir.resolve(info.getTestMethod().orElseThrow().getName())).resolve("data");
  }

  // ---------------------------------------------------------------------------------------------------------
  // kill -9 in the middle of one workflow

  private static final String MID_WORKFLOW = """
      {"id": "crash-mid", "name": "kill -9 in the middle",
       "tasks": [
         {"id": "root", "method": "test/echo", "params": {"greeting": "hello", "n": 7}},
         {"id": "p1", "method": "test/sleep", "params": {"ms": 2000, "for": "${root.result.greeting}"},
          "dependencies": ["root"]},
         {"id": "p2", "method": "test/sleep", "params": {"ms": 2500}, "dependencies": ["root"]},
         {"id": "p3", "method": "test/sleep", "params": {"ms": 3000}, "dependencies": ["root"]},
         {"id": "c1", "method": "test/sleep", "params": {"ms": 2000}, "dependencies": ["root"]},
         {"id": "c2", "method": "test/sleep", "params": {"ms": 1500}, "dependencies": ["c1"]},
         {"id": "join", "method": "test/echo", "dependencies": ["root", "p1", "p2", "p3", "c2"],
          "params": {"greeting": "${root.result.greeting}", "n": "${root.result.n}", "p1_ms": "${p1.result.slept_ms}",
                     "summary": "root said ${root.result.greeting}; p2 slept ${p2.result.slept_ms} ms",
                     "c2": "${c2.result}", "p3": "${task_p3_result}", "c1_status": "${c1.status}"}}
       ]}
      """;
  private static final Set<String> MID_TASKS = Set.of("root", "p1", "p2", "p3", "c1", "c2", "join");
  private static final Set<String> MID_SLEEPS = Set.of("p1", "p2", "p3", "c1", "c2");

  @Test
  void killNineInTheMiddleOfAWorkflowResumesOnTheSameJournal(TestInfo info) throws Exception {
    Path data = dataDir(info);
    String id = "crash-mid";
    TreeMap<Long, JsonNode> servedBeforeKill = new TreeMap<>();
    List<String> inconsistentBeforeKill = new ArrayList<>();
    long killedAt;
    String oldProvider;
    try (NodeProcess first = NodeProcess.start(data)) {
      oldProvider = "test-" + first.remotePort();
      assertEquals(id, submit(first, MID_WORKFLOW));
      try (EventFeed feed = EventFeed.open(first.baseUrl(), id)) {
        boolean midway = feed.await(events -> anyOf(events, "task:completed", null)
            && events.stream().anyMatch(e -> type(e).equals("task:started") && MID_SLEEPS.contains(taskId(e))),
            Duration.ofSeconds(30));
        assertTrue(midway, "a task completed and a test/sleep task started within 30 s; seen: " + types(feed.snapshot())
            + "\nnode stderr:\n" + first.stderr());
        List<JsonNode> listed = events(first, id);
        List<JsonNode> streamed = feed.snapshot();
        first.kill9();
        killedAt = System.nanoTime();
        for (JsonNode e : concat(listed, streamed)) {
          if (!e.path("sequence_number").isNumber()) {
            continue; // live-only events have no sequence number
          }
          JsonNode previous = servedBeforeKill.put(e.path("sequence_number").asLong(), e);
          if (previous != null && !previous.equals(e)) {
            inconsistentBeforeKill.add("GET /events and the SSE stream disagree:\n  " + previous + "\n  " + e);
          }
        }
      }
    }
    assertTrue(inconsistentBeforeKill.isEmpty(), String.join("\n", inconsistentBeforeKill));
    assertFalse(anyEnd(servedBeforeKill.values()), "the kill must hit a running workflow: " + types(servedBeforeKill.values()));
    Map<String, Integer> heldAtKill = heldAttempts(servedBeforeKill.values());
    assertTrue(heldAtKill.keySet().stream().anyMatch(MID_SLEEPS::contains),
        "some test/sleep task was held by the provider at the kill: " + heldAtKill);

    try (NodeProcess second = NodeProcess.start(data)) {
      long readyAt = System.nanoTime();
      Recovery recovery = awaitEnd(second, id);
      long endedAt = System.nanoTime();
      report("kill -9 mid-workflow: killed a node holding " + heldAtKill + "; new node ready after "
          + millis(killedAt, readyAt) + " ms; workflow ended " + millis(killedAt, endedAt) + " ms after the kill ("
          + millis(readyAt, endedAt) + " ms after the new node was ready)"
          + (recovery.resumedByItself() ? "" : " — only after GET /workflows/" + id + " woke it"));

      JsonNode workflow = getJson(second, "/workflows/" + id);
      List<JsonNode> history = events(second, id);
      Map<String, JsonNode> tasks = tasksById(workflow);
      String evidence = "\nworkflow: " + workflow + "\nhistory: " + types(history) + "\nnode stderr: " + second.stderrFile();

      List<Executable> checks = new ArrayList<>();
      checks.add(() -> assertTrue(recovery.resumedByItself(), "the restarted node resumed " + id + " by itself within "
          + RECOVERY_TIMEOUT.toSeconds() + " s (nothing but the SSE stream touched it); " + recovery.diagnosis()
          + evidence));
      checks.add(() -> assertEquals("completed", workflow.path("status").asText(), "workflow status" + evidence));
      checks.add(() -> assertEquals(MID_TASKS, tasks.keySet(), "the workflow's tasks"));
      for (String task : MID_TASKS) {
        checks.add(() -> assertEquals("completed", tasks.get(task).path("state").asText(), "state of " + task + evidence));
      }
      checks.addAll(exactlyOneCompletionPerTask(MID_TASKS, history));
      checks.add(() -> assertSequenceIsGapless(history));
      checks.add(() -> assertStillServed(servedBeforeKill.values(), history));
      checks.add(() -> assertNoOldAttemptCounted(tasks, history));
      checks.add(() -> assertTrue(ofType(history, "task:failed").isEmpty(), "no task failed: " + ofType(history, "task:failed")));
      for (Map.Entry<String, Integer> held : heldAtKill.entrySet()) {
        String task = held.getKey();
        int attempt = held.getValue();
        checks.add(() -> {
          List<JsonNode> reassigned = ofType(history, "task:reassigned").stream().filter(e -> taskId(e).equals(task))
              .collect(Collectors.toList());
          assertTrue(reassigned.stream().anyMatch(e -> e.path("payload").path("previous_attempt").asInt() == attempt
                  && e.path("payload").path("attempt").asInt() > attempt),
              task + " was held (attempt " + attempt + ") at the kill: it must get task:reassigned to a higher attempt; got "
                  + reassigned + evidence);
          assertTrue(tasks.get(task).path("attempt").asInt() > attempt,
              task + " finished on a higher attempt than the one the killed node held: " + tasks.get(task));
          assertFalse(oldProvider.equals(tasks.get(task).path("provider_id").asText()),
              task + " did not finish on the killed node's provider " + oldProvider + ": " + tasks.get(task));
        });
      }
      checks.add(() -> {
        JsonNode result = tasks.get("join").path("result");
        assertEquals("hello", result.path("greeting").asText(), "join.greeting: " + result);
        assertTrue(result.path("n").isIntegralNumber() && result.path("n").asInt() == 7, "join.n keeps its type: " + result);
        assertTrue(result.path("p1_ms").isIntegralNumber() && result.path("p1_ms").asInt() == 2000, "join.p1_ms: " + result);
        assertEquals("root said hello; p2 slept 2500 ms", result.path("summary").asText(), "join.summary: " + result);
        assertEquals(JSON.readTree("{\"slept_ms\":1500}"), result.path("c2"), "join.c2: " + result);
        assertEquals(JSON.readTree("{\"slept_ms\":3000}"), result.path("p3"), "join.p3: " + result);
        assertEquals("completed", result.path("c1_status").asText(), "join.c1_status: " + result);
        assertEquals(JSON.readTree("{\"ms\":2000,\"for\":\"hello\"}"), tasks.get("p1").path("params"),
            "p1 ran with its resolved params");
      });
      assertAll("workflow " + id + " after kill -9 and restart", checks.stream());
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // kill -9 with many workflows in flight

  private static final int FLEET = 20;
  private static final Set<String> FLEET_TASKS = Set.of("a", "b", "c");

  private static String fleetWorkflow(String id) {
    return """
        {"id": "%s", "tasks": [
          {"id": "a", "method": "test/sleep", "params": {"ms": 3000}},
          {"id": "b", "method": "test/sleep", "params": {"ms": 4000}},
          {"id": "c", "method": "test/sleep", "params": {"ms": 2500}, "dependencies": ["a"]}
        ]}
        """.formatted(id);
  }

  @Test
  void manyWorkflowsInFlightAtAKillAllFinishAfterRestart(TestInfo info) throws Exception {
    Path data = dataDir(info);
    List<String> ids = new ArrayList<>();
    for (int i = 1; i <= FLEET; i++) {
      ids.add(String.format("fleet-%02d", i));
    }
    Map<String, List<JsonNode>> beforeKill = new LinkedHashMap<>();
    long killedAt;
    try (NodeProcess first = NodeProcess.start(data)) {
      for (String id : ids) {
        assertEquals(id, submit(first, fleetWorkflow(id)));
      }
      try (Feeds feeds = Feeds.open(first.baseUrl(), ids)) {
        List<String> notStarted = feeds.awaitAll(events -> anyOf(events, "task:started", null), Duration.ofSeconds(30));
        assertTrue(notStarted.isEmpty(), "every workflow has a task started within 30 s; not: " + notStarted
            + "\nnode stderr:\n" + first.stderr());
        first.kill9();
        killedAt = System.nanoTime();
        ids.forEach(id -> beforeKill.put(id, persisted(feeds.get(id).snapshot())));
      }
    }
    List<String> endedBeforeKill = ids.stream().filter(id -> anyEnd(beforeKill.get(id))).collect(Collectors.toList());
    assertTrue(endedBeforeKill.isEmpty(), "every workflow was in flight at the kill; ended before: " + endedBeforeKill);

    try (NodeProcess second = NodeProcess.start(data)) {
      long readyAt = System.nanoTime();
      List<String> notEnded;
      List<String> wokenByGet = List.of();
      String diagnosis = "";
      try (Feeds feeds = Feeds.open(second.baseUrl(), ids)) {
        notEnded = feeds.awaitAll(CrashRecoveryIT::anyEnd, RECOVERY_TIMEOUT);
        if (!notEnded.isEmpty()) {
          // Diagnosis only (the check below fails either way): does touching the entity make it resume?
          for (String id : notEnded) {
            getJson(second, "/workflows/" + id);
          }
          wokenByGet = notEnded;
          List<String> stillNot = feeds.awaitAll(CrashRecoveryIT::anyEnd, AFTER_TOUCH_TIMEOUT);
          diagnosis = stillNot.isEmpty() ? " — all of them ended after GET /workflows/{id} woke their entities"
              : " — after GET /workflows/{id} these still did not end: " + stillNot;
        }
      }
      long endedAt = System.nanoTime();
      report("kill -9 with " + FLEET + " workflows in flight: new node ready after " + millis(killedAt, readyAt)
          + " ms; all ended " + millis(killedAt, endedAt) + " ms after the kill" + diagnosis);

      List<String> unresumed = notEnded;
      String finalDiagnosis = diagnosis;
      List<Executable> checks = new ArrayList<>();
      checks.add(() -> assertTrue(unresumed.isEmpty(), "the restarted node resumed every workflow by itself within "
          + RECOVERY_TIMEOUT.toSeconds() + " s; these did not end: " + unresumed + finalDiagnosis
          + "\nnode stderr: " + second.stderrFile()));
      int reassignments = 0;
      for (String id : ids) {
        JsonNode workflow = getJson(second, "/workflows/" + id);
        List<JsonNode> history = events(second, id);
        Map<String, JsonNode> tasks = tasksById(workflow);
        reassignments += ofType(history, "task:reassigned").size();
        checks.add(() -> assertEquals("completed", workflow.path("status").asText(), id + " status: " + workflow));
        checks.add(() -> assertTrue(FLEET_TASKS.stream().allMatch(t -> "completed".equals(tasks.get(t).path("state").asText())),
            id + ": every task completed: " + workflow));
        checks.addAll(exactlyOneCompletionPerTask(FLEET_TASKS, history).stream()
            .map(check -> (Executable) () -> {
              try {
                check.execute();
              } catch (AssertionError e) {
                throw new AssertionError(id + ": " + e.getMessage(), e);
              }
            }).collect(Collectors.toList()));
        checks.add(() -> assertSequenceIsGapless(history));
        checks.add(() -> assertStillServed(beforeKill.get(id), history));
        checks.add(() -> assertNoOldAttemptCounted(tasks, history));
      }
      int reassigned = reassignments;
      checks.add(() -> assertTrue(reassigned > 0, "tasks that were running at the kill were reassigned"));
      report("  " + reassigned + " task:reassigned over " + FLEET + " workflows; woken by GET: " + wokenByGet);
      assertAll("workflows after kill -9 and restart", checks.stream());
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // kill -9 after an outcome is written and before its provider's slot is freed

  /**
   * A provider with one slot whose slot changes are written 3 s after the first one: a 4 s task's slot is
   * written as taken while it runs, and its freeing would be written 3 s after its outcome.
   */
  private static final String ONE_SLOT_CONF = """
      gleitzeit.engine.slot-write-delay = 3s
      gleitzeit.providers.builtin = [{ id = "solo", type = test, max-concurrency = 1 }]
      """;

  @Test
  void aSlotTheJournalStillHasTakenByAFinishedAttemptIsFreedAfterTheRestart(TestInfo info) throws Exception {
    Path data = dataDir(info);
    Path conf = Files.writeString(data.getParent().resolve("one-slot.conf"), ONE_SLOT_CONF);
    try (NodeProcess first = NodeProcess.builder(data).config(conf).start()) {
      submit(first, """
          {"id": "slot-1", "tasks": [{"id": "s", "method": "test/sleep", "params": {"ms": 4000}}]}""");
      try (EventFeed feed = EventFeed.open(first.baseUrl(), "slot-1")) {
        assertTrue(feed.await(CrashRecoveryIT::anyEnd, Duration.ofSeconds(30)),
            "slot-1 ended within 30 s: " + types(feed.snapshot()));
      }
      List<String> providerEvents = new ArrayList<>();
      // The provider's own stream (the workflow's events naming solo are indexed beside it, in another order).
      getJson(first, "/events?provider_id=solo&type=provider:*").path("events")
          .forEach(e -> providerEvents.add(type(e)));
      first.kill9();
      assertEquals("provider:busy", providerEvents.get(providerEvents.size() - 1),
          "the premise: at the kill the journal has the slot taken, not freed; provider events: " + providerEvents);
    }
    try (NodeProcess second = NodeProcess.builder(data).config(conf).start()) {
      submit(second, """
          {"id": "slot-2", "tasks": [{"id": "e", "method": "test/echo", "params": {"x": 1}}]}""");
      Recovery ended = awaitEnd(second, "slot-2");
      assertTrue(ended.resumedByItself(), "a task for the one-slot provider ran after the restart: "
          + ended.diagnosis() + "\nnode stderr:\n" + second.stderr());
      assertEquals("completed", getJson(second, "/workflows/slot-2").path("status").asText());
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // a clean restart replays finished workflows from the journal

  private static final String REPLAYED = """
      {"id": "replayed", "name": "finished before a clean restart", "metadata": {"team": "qa"},
       "tasks": [
         {"id": "a", "method": "test/echo", "params": {"x": 1, "word": "hi"}},
         {"id": "b", "method": "test/sleep", "params": {"ms": 300}, "dependencies": ["a"]},
         {"id": "c", "method": "test/echo", "dependencies": ["a", "b"],
          "params": {"text": "${a.result.word} after ${b.result.slept_ms} ms", "x": "${a.result.x}"}}
       ]}
      """;

  @Test
  void cleanlyRestartedNodeServesAFinishedWorkflowIdenticallyFromTheJournal(TestInfo info) throws Exception {
    Path data = dataDir(info);
    String id = "replayed";
    JsonNode workflowBefore;
    List<JsonNode> eventsBefore;
    JsonNode stateBefore;
    try (NodeProcess first = NodeProcess.start(data)) {
      assertEquals(id, submit(first, REPLAYED));
      try (EventFeed feed = EventFeed.open(first.baseUrl(), id)) {
        assertTrue(feed.await(CrashRecoveryIT::anyEnd, Duration.ofSeconds(30)),
            "the workflow ended within 30 s: " + types(feed.snapshot()));
      }
      workflowBefore = getJson(first, "/workflows/" + id);
      eventsBefore = events(first, id);
      long last = eventsBefore.get(eventsBefore.size() - 1).path("sequence_number").asLong();
      stateBefore = getJson(first, "/workflows/" + id + "/state?at_sequence=" + last);
      assertEquals("completed", workflowBefore.path("status").asText(), "before the restart: " + workflowBefore);
      assertEquals("hi after 300 ms", tasksById(workflowBefore).get("c").path("result").path("text").asText());
      first.stop();
      assertFalse(first.isAlive(), "the node stopped on SIGTERM");
      List<String> stdout = first.stdout().lines().toList();
      assertTrue(stdout.size() == 1 && stdout.get(0).startsWith(NodeProcess.READY_PREFIX),
          "a stopped node's standard output is its ready line alone: " + stdout);
    }
    try (NodeProcess second = NodeProcess.start(data)) {
      JsonNode workflowAfter = getJson(second, "/workflows/" + id);
      List<JsonNode> eventsAfter = events(second, id);
      JsonNode stateAfter = getJson(second, "/workflows/" + id + "/state?at_sequence="
          + eventsBefore.get(eventsBefore.size() - 1).path("sequence_number").asLong());
      assertAll("workflow " + id + " after a clean restart",
          () -> assertEquals(workflowBefore, workflowAfter, "GET /workflows/" + id),
          () -> assertEquals(eventsBefore, eventsAfter, "GET /workflows/" + id + "/events"),
          () -> assertEquals(stateBefore, stateAfter, "GET /workflows/" + id + "/state"));
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // checks shared by the tests

  private static List<Executable> exactlyOneCompletionPerTask(Set<String> taskIds, List<JsonNode> history) {
    List<Executable> checks = new ArrayList<>();
    Map<String, List<JsonNode>> completions = ofType(history, "task:completed").stream()
        .collect(Collectors.groupingBy(CrashRecoveryIT::taskId));
    for (String task : taskIds) {
      checks.add(() -> assertEquals(1, completions.getOrDefault(task, List.of()).size(),
          "exactly one task:completed for " + task + ": " + completions.get(task)));
    }
    checks.add(() -> assertEquals(taskIds, completions.keySet(), "task:completed only for the workflow's tasks"));
    return checks;
  }

  /** SPEC §4: sequence numbers of a workflow's stream are 1..N, strictly increasing; event ids are unique. */
  private static void assertSequenceIsGapless(List<JsonNode> history) {
    assertFalse(history.isEmpty(), "a history");
    for (int i = 0; i < history.size(); i++) {
      JsonNode e = history.get(i);
      assertEquals(i + 1L, e.path("sequence_number").asLong(-1),
          "envelope #" + (i + 1) + " of " + e.path("workflow_id").asText() + " has sequence number "
              + e.path("sequence_number") + ": " + e);
    }
    Set<String> ids = new HashSet<>();
    for (JsonNode e : history) {
      assertTrue(ids.add(e.path("event_id").asText()), "event_id repeats: " + e);
    }
  }

  /** Every envelope served before the kill is served again, unchanged (same event_id, type, sequence, payload). */
  private static void assertStillServed(Collection<JsonNode> before, List<JsonNode> after) {
    Map<Long, JsonNode> bySequence = new HashMap<>();
    after.forEach(e -> bySequence.put(e.path("sequence_number").asLong(), e));
    List<String> problems = new ArrayList<>();
    for (JsonNode e : before) {
      long seq = e.path("sequence_number").asLong();
      JsonNode now = bySequence.get(seq);
      if (now == null) {
        problems.add("lost: " + e);
      } else if (!now.path("event_id").equals(e.path("event_id")) || !now.path("event_type").equals(e.path("event_type"))) {
        problems.add("changed identity: before " + e + "\n   after " + now);
      } else if (!now.equals(e)) {
        problems.add("changed content: before " + e + "\n   after " + now);
      }
    }
    assertTrue(problems.isEmpty(), problems.size() + " of " + before.size()
        + " envelopes served before the kill are not served identically after it:\n" + String.join("\n", problems));
  }

  /**
   * SPEC §3: only the current attempt's outcome counts; an outcome of an older attempt (a late result of an
   * attempt that was reassigned) may only appear as {@code assignment:rejected}.
   */
  private static void assertNoOldAttemptCounted(Map<String, JsonNode> tasks, List<JsonNode> history) {
    for (JsonNode e : history) {
      String type = type(e);
      if (type.equals("task:completed") || type.equals("task:failed")) {
        JsonNode task = tasks.get(taskId(e));
        assertNotNull(task, "outcome for an unknown task: " + e);
        assertEquals(task.path("attempt").asInt(), e.path("payload").path("attempt").asInt(),
            "an outcome counted for attempt " + e.path("payload").path("attempt") + " of " + taskId(e)
                + ", which ended on attempt " + task.path("attempt") + ": " + e);
      }
      if (type.equals("assignment:rejected")) {
        // Here every task ends completed, so a rejected report can only be a stale attempt's.
        JsonNode task = tasks.get(taskId(e));
        assertNotNull(task, "rejected report for an unknown task: " + e);
        assertTrue(e.path("payload").path("attempt").asInt() < task.path("attempt").asInt(),
            "a rejected report concerns an attempt older than the one that completed: " + e + " / " + task);
      }
    }
  }

  /** Tasks whose latest attempt a provider held (assigned or started, no outcome yet), by that attempt. */
  private static Map<String, Integer> heldAttempts(Collection<JsonNode> envelopes) {
    Map<String, Integer> held = new TreeMap<>();
    for (JsonNode e : envelopes) {
      String task = taskId(e);
      switch (type(e)) {
        case "task:assigned", "task:started" -> held.put(task, e.path("payload").path("attempt").asInt());
        case "task:completed", "task:failed", "task:reassigned", "task:cancelled", "task:retry_scheduled" -> held.remove(task);
        default -> { }
      }
    }
    return held;
  }

  private record Recovery(boolean resumedByItself, String diagnosis) {}

  /**
   * Follows the workflow on the restarted node until it ends. When it does not end by itself, GET
   * /workflows/{id} (which starts its entity) is tried, to tell "never resumed" from "resumed only when touched".
   */
  private static Recovery awaitEnd(NodeProcess node, String id) throws Exception {
    try (EventFeed feed = EventFeed.open(node.baseUrl(), id)) {
      if (feed.await(CrashRecoveryIT::anyEnd, RECOVERY_TIMEOUT)) {
        return new Recovery(true, "");
      }
      List<JsonNode> seen = feed.snapshot();
      JsonNode view = getJson(node, "/workflows/" + id);
      boolean endedWhenTouched = feed.await(CrashRecoveryIT::anyEnd, AFTER_TOUCH_TIMEOUT);
      return new Recovery(false, "it had not ended and its stream had served " + seen.size()
          + " envelopes, the last " + (seen.isEmpty() ? "-" : types(seen.subList(seen.size() - 1, seen.size())))
          + "; GET /workflows/" + id + " then showed " + view.path("status") + " with tasks " + taskStates(view)
          + (endedWhenTouched
          ? ", and after that GET the workflow went on and ended: its entity is only recovered (and resumed)"
            + " when something sends it a message"
          : ", and even after that GET it did not end within " + AFTER_TOUCH_TIMEOUT.toSeconds() + " s"));
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // a query right after a restart

  /**
   * After a kill -9 the journal's orderings go on past a gap (H2 hands out identities ahead of its commits), and
   * the read journal waits 5 s for the missing ones before the event index follows on (max-tries × query-delay):
   * a query that reads its writes then waits longer than its usual 3 s. A dead letter added right after the
   * restart is listed at once (black-box round 12: listed nowhere, and its requeue a 404, for ~4 s).
   */
  @Test
  void aDeadLetterAddedRightAfterARestartIsListedAtOnce(TestInfo info) throws Exception {
    Path data = dataDir(info);
    try (NodeProcess first = NodeProcess.start(data)) {
      try (EventFeed feed = EventFeed.open(first.baseUrl(), "before-kill")) {
        submit(first, "{\"id\": \"before-kill\", \"tasks\": [{\"id\": \"a\", \"method\": \"test/echo\"}]}");
        assertTrue(feed.await(events -> anyOf(events, "workflow:completed", null), Duration.ofSeconds(30)),
            "the first workflow completed: " + types(feed.snapshot()));
      }
      first.kill9();
    }
    String id = "failed-after-restart";
    try (NodeProcess second = NodeProcess.start(data)) {
      try (EventFeed feed = EventFeed.open(second.baseUrl(), id)) {
        submit(second, "{\"id\": \"" + id + "\", \"tasks\": [{\"id\": \"f\", \"method\": \"test/fail\","
            + " \"params\": {\"message\": \"no\", \"retryable\": false}}]}");
        assertTrue(feed.await(events -> anyOf(events, "workflow:failed", null), Duration.ofSeconds(30)),
            "the workflow failed: " + types(feed.snapshot()));
      }
      String deadLetterId = ofType(events(second, id), "dead_letter:added").get(0).path("payload")
          .path("dead_letter_id").asText();
      JsonNode letters = getJson(second, "/dead-letters?workflow_id=" + id).path("dead_letters");
      assertEquals(1, letters.size(), "the dead letter is listed: " + letters);
      assertEquals(deadLetterId, letters.get(0).path("id").asText(), "the dead letter is listed: " + letters);
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // HTTP and JSON helpers

  private static String submit(NodeProcess node, String definition) throws Exception {
    HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/workflows"))
            .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(definition)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(202, response.statusCode(), "POST /workflows: " + response.body());
    JsonNode body = JSON.readTree(response.body());
    assertEquals("running", body.path("status").asText(), "POST /workflows: " + response.body());
    return body.path("workflow_id").asText();
  }

  private static JsonNode getJson(NodeProcess node, String path) throws Exception {
    HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + path))
        .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      fail("GET " + path + " answered " + response.statusCode() + ": " + response.body());
    }
    return JSON.readTree(response.body());
  }

  private static List<JsonNode> events(NodeProcess node, String id) throws Exception {
    List<JsonNode> list = new ArrayList<>();
    getJson(node, "/workflows/" + id + "/events").path("events").forEach(list::add);
    return list;
  }

  private static Map<String, JsonNode> tasksById(JsonNode workflow) {
    Map<String, JsonNode> tasks = new LinkedHashMap<>();
    workflow.path("tasks").forEach(t -> tasks.put(t.path("id").asText(), t));
    return tasks;
  }

  private static String taskStates(JsonNode workflow) {
    List<String> states = new ArrayList<>();
    workflow.path("tasks").forEach(t -> states.add(t.path("id").asText() + "=" + t.path("state").asText()
        + "#" + t.path("attempt").asText()));
    return states.toString();
  }

  private static String type(JsonNode e) {
    return e.path("event_type").asText();
  }

  private static String taskId(JsonNode e) {
    return e.path("task_id").asText(null);
  }

  private static boolean anyOf(List<JsonNode> events, String type, String task) {
    return events.stream().anyMatch(e -> type(e).equals(type) && (task == null || task.equals(taskId(e))));
  }

  private static boolean anyEnd(Collection<JsonNode> events) {
    return events.stream().anyMatch(e -> WORKFLOW_ENDS.contains(type(e)));
  }

  private static List<JsonNode> ofType(List<JsonNode> events, String type) {
    return events.stream().filter(e -> type(e).equals(type)).collect(Collectors.toList());
  }

  private static List<JsonNode> persisted(List<JsonNode> events) {
    return events.stream().filter(e -> e.path("sequence_number").isNumber()).collect(Collectors.toList());
  }

  private static List<String> types(Collection<JsonNode> events) {
    return events.stream().map(e -> e.path("sequence_number").asText() + ":" + type(e)
        + (taskId(e) == null ? "" : "(" + taskId(e) + ")")).collect(Collectors.toList());
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    return Stream.concat(a.stream(), b.stream()).collect(Collectors.toList());
  }

  private static long millis(long fromNanos, long toNanos) {
    return (toNanos - fromNanos) / 1_000_000;
  }

  private static void report(String line) {
    System.out.println("[CrashRecoveryIT] " + line);
  }

  /**
   * One workflow's SSE stream ({@code GET /events/stream?workflow_id=}), read on its own thread: every
   * {@code data:} envelope is kept, and {@link #await} waits (on a monitor, with a deadline) for a condition
   * over what has arrived.
   */
  static final class EventFeed implements AutoCloseable {
    private final List<JsonNode> received = new ArrayList<>();
    private final Stream<String> lines;
    private boolean ended;
    private String endReason;

    private EventFeed(Stream<String> lines, String workflowId) {
      this.lines = lines;
      Thread reader = new Thread(this::read, "sse-" + workflowId);
      reader.setDaemon(true);
      reader.start();
    }

    static EventFeed open(String baseUrl, String workflowId) throws Exception {
      HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + "/events/stream?workflow_id="
              + URLEncoder.encode(workflowId, StandardCharsets.UTF_8)))
          .header("Accept", "text/event-stream").GET().build();
      HttpResponse<Stream<String>> response = HTTP.send(request, HttpResponse.BodyHandlers.ofLines());
      if (response.statusCode() != 200) {
        String body = response.body().collect(Collectors.joining("\n"));
        throw new AssertionError("GET /events/stream?workflow_id=" + workflowId + " answered "
            + response.statusCode() + ": " + body);
      }
      return new EventFeed(response.body(), workflowId);
    }

    private void read() {
      String reason = "the stream ended";
      try {
        Iterator<String> it = lines.iterator();
        while (it.hasNext()) {
          String line = it.next();
          String data = line.startsWith("data:") ? line.substring("data:".length()).trim() : "";
          if (!data.isEmpty()) { // keep-alive heartbeats are empty data lines
            JsonNode envelope = JSON.readTree(data);
            synchronized (this) {
              received.add(envelope);
              notifyAll();
            }
          }
        }
      } catch (IOException | RuntimeException e) {
        reason = "the stream failed: " + e;
      }
      synchronized (this) {
        ended = true;
        endReason = reason;
        notifyAll();
      }
    }

    /** True once {@code condition} holds for the envelopes received; false on timeout or end of stream. */
    synchronized boolean await(Predicate<List<JsonNode>> condition, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!condition.test(received)) {
        long left = deadline - System.nanoTime();
        if (ended || left <= 0) {
          return false;
        }
        wait(Math.max(1, left / 1_000_000));
      }
      return true;
    }

    synchronized List<JsonNode> snapshot() {
      return new ArrayList<>(received);
    }

    synchronized String endReason() {
      return ended ? endReason : null;
    }

    @Override
    public void close() {
      lines.close();
    }
  }

  /** One {@link EventFeed} per workflow. */
  static final class Feeds implements AutoCloseable {
    private final Map<String, EventFeed> feeds = new LinkedHashMap<>();

    static Feeds open(String baseUrl, List<String> ids) throws Exception {
      Feeds feeds = new Feeds();
      try {
        for (String id : ids) {
          feeds.feeds.put(id, EventFeed.open(baseUrl, id));
        }
      } catch (Exception | Error e) {
        feeds.close();
        throw e;
      }
      return feeds;
    }

    EventFeed get(String id) {
      return feeds.get(id);
    }

    /** Waits for the condition on every feed, all within one deadline; the ids for which it did not hold. */
    List<String> awaitAll(Predicate<List<JsonNode>> condition, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      List<String> missing = new ArrayList<>();
      for (Map.Entry<String, EventFeed> feed : feeds.entrySet()) {
        Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
        if (!feed.getValue().await(condition, left)) {
          missing.add(feed.getKey());
        }
      }
      return missing;
    }

    @Override
    public void close() {
      feeds.values().forEach(EventFeed::close);
    }
  }
}
