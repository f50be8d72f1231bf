package io.gleitzeit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gleitzeit.node.GleitzeitNode;
import io.gleitzeit.testing.ApiTestClient;
import io.gleitzeit.testing.LocalNode;
import io.gleitzeit.testing.Resources;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** {@code gleitzeit watch ID} against a node in this JVM, its output captured. */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class WatchCommandIT {

  private GleitzeitNode node;
  private ApiTestClient api;

  @BeforeAll
  void start() throws Exception {
    node = LocalNode.start(Files.createTempDirectory("gleitzeit-watch-it-"), null);
    api = new ApiTestClient(node.baseUrl());
  }

  @AfterAll
  void stop() {
    Resources.closeAll(api, node);
  }

  private record Run(int exitCode, String output) {}

  private Run watch(String workflowId, boolean terminal) {
    StringWriter out = new StringWriter();
    int code = new CommandLine(new WatchCommand(new ApiClient(node.baseUrl()), terminal))
        .setOut(new PrintWriter(out, true)).execute(workflowId);
    return new Run(code, out.toString());
  }

  @Test
  void printsOneLinePerTaskStateChangeUntilTheWorkflowEnds() {
    String id = "watch-" + UUID.randomUUID();
    api.submitAccepted("{\"id\": \"" + id + "\", \"tasks\": ["
        + "{\"id\": \"a\", \"method\": \"test/flaky\", \"params\": {\"fail_times\": 1, \"value\": 1},"
        + " \"retry\": {\"max_attempts\": 2, \"backoff\": \"fixed\", \"base_delay\": 0.02, \"jitter\": false}},"
        + "{\"id\": \"b\", \"method\": \"test/sleep\", \"params\": {\"ms\": 300}, \"dependencies\": [\"a\"]}]}");
    // Started at once: the workflow is still running, so the command follows it live to its end.
    Run run = watch(id, false);

    assertEquals(0, run.exitCode(), run.output());
    List<String> lines = run.output().lines().toList();
    assertEquals("workflow " + id + " completed", lines.get(lines.size() - 1));
    List<String> a = lines.stream().filter(l -> l.startsWith("a ")).map(l -> l.replaceAll("\\s+", " ")).toList();
    String provider = api.workflow(id).path("tasks").path(0).path("provider_id").asText();
    assertEquals(List.of("a pending attempt 1 - -", "a ready attempt 1 - -", "a assigned attempt 1 " + provider + " -",
        "a running attempt 1 " + provider + " -"), a.subList(0, 4), run.output());
    assertTrue(a.get(4).startsWith("a failed, will retry attempt 1 " + provider), run.output());
    assertEquals("a ready attempt 2 - -", a.get(6), run.output());
    assertTrue(a.get(a.size() - 1).matches("a completed attempt 2 " + provider + " \\d+ ms"), run.output());
    String bLast = lines.stream().filter(l -> l.startsWith("b ")).reduce((x, y) -> y).orElseThrow()
        .replaceAll("\\s+", " ");
    assertTrue(bLast.matches("b completed attempt 1 " + provider + " \\d{3,} ms"), bLast);
    assertTrue(run.output().chars().noneMatch(c -> c == 0x1b), "no ANSI codes when not a terminal");
  }

  @Test
  void onATerminalRedrawsTheTableAndExitsNonZeroWhenTheWorkflowFails() {
    String id = "watch-" + UUID.randomUUID();
    api.submitAccepted("{\"id\": \"" + id + "\", \"tasks\": ["
        + "{\"id\": \"boom\", \"method\": \"test/fail\", \"params\": {\"message\": \"no\", \"retryable\": false}}]}");
    api.awaitEnd(id, java.time.Duration.ofSeconds(30));
    Run run = watch(id, true);

    assertEquals(1, run.exitCode(), run.output());
    String[] frames = run.output().split(java.util.regex.Pattern.quote(WatchView.CLEAR), -1);
    assertEquals("", frames[0], "every frame starts by clearing the screen");
    assertEquals(api.events(id).size(), frames.length - 1, "one frame per event");
    String last = frames[frames.length - 1];
    assertTrue(last.startsWith("workflow " + id + "  failed"), last);
    assertTrue(last.lines().anyMatch(l -> l.matches("boom\\s+failed\\s+1\\s+\\S+\\s+(\\d+ ms|-)")), last);
  }
}
