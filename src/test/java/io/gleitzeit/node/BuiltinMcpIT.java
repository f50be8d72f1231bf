package io.gleitzeit.node;

import static io.gleitzeit.testing.EventWatch.type;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.testing.ApiTestClient;
import io.gleitzeit.testing.EventWatch;
import io.gleitzeit.testing.LocalNode;
import io.gleitzeit.testing.McpServers;
import io.gleitzeit.testing.Resources;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The built-in mcp provider end to end, against real MCP servers from npm: a node started from a configuration
 * file declaring server-filesystem over stdio (three times: plain, with a tool filter and a directory taken away,
 * and one whose program changes between restarts) and server-everything over streamable HTTP; workflows
 * submitted over the public API. MCP results feed later tasks through {@code ${...}}, a tool error fails the
 * task for good, a server killed in the middle of a call fails the attempt retryably and the retry runs on the
 * restarted server, a server that cannot start turns its provider unhealthy until it can, and a restart that
 * brings other tools registers them.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BuiltinMcpIT {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private Path files;
  private Path flakyFiles;
  private Path switchLink;
  private McpServers.HttpEverything everything;
  private GleitzeitNode node;
  private ApiTestClient api;

  @BeforeAll
  void start() throws Exception {
    Path dir = Files.createTempDirectory("gleitzeit-builtin-mcp-it-");
    files = Files.createDirectory(dir.resolve("project"));
    Files.writeString(files.resolve("README.md"), "# Sample\nA sample project.\n");
    Files.writeString(files.resolve("main.py"), "print('hello')\n");
    flakyFiles = Files.createDirectory(dir.resolve("flaky"));
    switchLink = Files.createSymbolicLink(dir.resolve("switch.js"), McpServers.filesystem());
    everything = McpServers.HttpEverything.start(dir.resolve("everything.log"));
    String node = McpServers.node();
    String backoff = "restart-min-backoff = 200ms, restart-max-backoff = 1s";
    Path config = dir.resolve("node.conf");
    Files.writeString(config, "gleitzeit.providers.heartbeat-interval = 500ms\n"
        + "gleitzeit.providers.builtin = [\n"
        + "  { id = \"\", type = test, max-concurrency = 100 }\n"
        + "  { id = fs, type = mcp, max-concurrency = 4, settings { command = \"" + node + "\","
        + "    args = [\"" + McpServers.filesystem() + "\", \"" + files + "\"], " + backoff + " } }\n"
        + "  { id = flaky-fs, type = mcp, methods = [\"mcp/tool.list_allowed_*\"], settings { command = \"" + node
        + "\", args = [\"" + McpServers.filesystem() + "\", \"" + flakyFiles + "\"], " + backoff + " } }\n"
        + "  { id = switch, type = mcp, methods = [\"mcp/tool.echo\", \"mcp/tool.list_allowed_directories\"],"
        + "    settings { command = \"" + node + "\", args = [\"" + switchLink + "\"], " + backoff + " } }\n"
        + "  { id = everything, type = mcp, max-concurrency = 4, settings { url = \"" + everything.url() + "\" } }\n"
        + "]\n");
    this.node = LocalNode.start(dir.resolve("data"), config);
    api = new ApiTestClient(this.node.baseUrl());
  }

  @AfterAll
  void stop() {
    Resources.closeAll(api, node);
    if (everything != null) {
      everything.close();
    }
  }

  private static String q(String json) {
    return json.replace('\'', '"');
  }

  /** {@code GET /providers/{id}} once it matches; registration follows the server's start, so it is waited for. */
  private JsonNode awaitProvider(String id, Predicate<JsonNode> wanted) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      ApiTestClient.Response r = api.get("/providers/" + id);
      if (r.status() == 200) {
        last = r.json();
        if (wanted.test(last)) {
          return last;
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("provider " + id + " did not reach the expected state within " + WAIT + ": " + last);
  }

  private static List<String> methods(JsonNode provider) {
    List<String> out = new ArrayList<>();
    provider.path("methods").forEach(m -> out.add(m.asText()));
    return out;
  }

  /** The process of the MCP server whose command line names {@code marker}: a child of this JVM's node. */
  private static ProcessHandle serverProcess(String marker) {
    return ProcessHandle.current().descendants()
        .filter(p -> p.info().commandLine().map(c -> c.contains(marker)).orElse(false))
        .findFirst().orElseThrow(() -> new AssertionError("no MCP server process running with " + marker));
  }

  @Test
  void shouldRegisterTheToolsTheServerListsAndFeedTheirResultsIntoLaterTasks() throws Exception {
    JsonNode fs = awaitProvider("fs", p -> p.path("methods").size() > 0);
    assertTrue(methods(fs).containsAll(List.of("mcp/tool.list_directory", "mcp/tool.read_text_file")), fs::toString);
    assertEquals("mcp", fs.path("type").asText());
    JsonNode flaky = awaitProvider("flaky-fs", p -> p.path("methods").size() > 0);
    assertEquals(List.of("mcp/tool.list_allowed_directories"), methods(flaky), "narrowed to its configured methods");
    // The tools' series are in /metrics at 0 once registered, before any attempt (README "HTTP API").
    String metrics = api.get("/metrics").body();
    assertTrue(metrics.contains("gleitzeit_task_duration_seconds_count{method=\"mcp/tool.list_directory\","
        + "provider=\"fs\"} 0"), metrics);

    JsonNode wf = api.runToEnd(q("{'id': 'mcp-chain-1', 'tasks': ["
        + "{'id': 'list', 'method': 'mcp/tool.list_directory', 'params': {'path': '" + files + "'}},"
        + "{'id': 'read', 'method': 'mcp/tool.read_text_file', 'params': {'path': '" + files.resolve("README.md") + "'}},"
        + "{'id': 'report', 'method': 'test/echo', 'dependencies': ['list', 'read'],"
        + " 'params': {'prompt': 'Files:\\n${list.result.text}\\nReadme: ${read.result.text}',"
        + "            'first': '${list.result.content[0].type}'}}]}"), WAIT);
    assertEquals("completed", wf.path("status").asText(), wf::toString);
    JsonNode list = ApiTestClient.task(wf, "list");
    assertEquals("fs", list.path("provider_id").asText());
    assertEquals("[FILE] README.md\n[FILE] main.py", list.at("/result/text").asText());
    JsonNode report = ApiTestClient.task(wf, "report");
    assertEquals("Files:\n[FILE] README.md\n[FILE] main.py\nReadme: # Sample\nA sample project.\n",
        report.at("/result/prompt").asText());
    assertEquals("text", report.at("/result/first").asText());
    JsonNode resolved = api.events("mcp-chain-1").stream()
        .filter(e -> e.path("event_type").asText().equals("parameters:resolved")
            && e.path("task_id").asText().equals("report"))
        .findFirst().orElseThrow();
    assertEquals(3, resolved.at("/payload/substitutions").size(), resolved::toString);
    assertEquals("${list.result.text}", resolved.at("/payload/substitutions/0/placeholder").asText());
    assertEquals("[FILE] README.md\n[FILE] main.py", resolved.at("/payload/substitutions/0/value").asText());
  }

  @Test
  void shouldFailTheTaskForGoodWithTheToolsTextOnAToolError() {
    JsonNode wf = api.runToEnd(q("{'id': 'mcp-tool-error-1', 'tasks': [{'id': 'read',"
        + " 'method': 'mcp/tool.read_text_file', 'params': {'path': '" + files.resolve("missing.txt") + "'},"
        + " 'retry': {'max_attempts': 3}}]}"), WAIT);
    assertEquals("failed", wf.path("status").asText(), wf::toString);
    JsonNode read = ApiTestClient.task(wf, "read");
    assertEquals(1, read.path("attempt").asInt(), "a tool error is not retried");
    assertFalse(read.at("/error/retryable").asBoolean(true));
    assertTrue(read.at("/error/message").asText().contains("ENOENT"), read::toString);
  }

  /**
   * The task reads a named pipe: the server blocks in the call until the test opens the pipe for writing,
   * so once that open returns the server is provably in the middle of the call. Then it is killed.
   */
  @Test
  void shouldRetryACallInterruptedByAServerCrashOnTheRestartedServer() throws Exception {
    Path fifo = files.resolve("pipe");
    assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
    try (EventWatch events = EventWatch.open(node.baseUrl(), "workflow_id=mcp-crash-1")) {
      api.submitAccepted(q("{'id': 'mcp-crash-1', 'tasks': [{'id': 'read', 'method': 'mcp/tool.read_text_file',"
          + " 'provider': 'fs', 'params': {'path': '" + fifo + "'},"
          + " 'retry': {'max_attempts': 3, 'backoff': 'fixed', 'base_delay': 0.1, 'jitter': false}}]}"));
      try (OutputStream first = openForWriting(fifo)) {
        serverProcess(files.toString()).destroyForcibly();
        JsonNode failed = events.await("the first attempt failing", type("task:failed"), WAIT);
        assertEquals(1, failed.at("/payload/attempt").asInt());
        assertTrue(failed.at("/payload/will_retry").asBoolean(), failed::toString);
        assertTrue(failed.at("/payload/error/message").asText().contains("stopped during the call"), failed::toString);
      }
      try (OutputStream second = openForWriting(fifo)) { // the restarted server, in the second attempt
        second.write("after the crash".getBytes(StandardCharsets.UTF_8));
      }
      api.awaitEnd("mcp-crash-1", WAIT);
    } finally {
      Files.deleteIfExists(fifo);
    }
    JsonNode read = ApiTestClient.task(api.workflow("mcp-crash-1"), "read");
    assertEquals("completed", read.path("state").asText(), read::toString);
    assertEquals(2, read.path("attempt").asInt());
    assertEquals("after the crash", read.at("/result/text").asText());
  }

  private static OutputStream openForWriting(Path fifo) throws Exception {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return (OutputStream) new FileOutputStream(fifo.toFile());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }).get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  @Test
  void shouldTurnTheProviderUnhealthyWhileItsServerCannotStartAndRecoverWhenItCan() throws Exception {
    awaitProvider("flaky-fs", p -> "available".equals(p.path("status").asText()));
    Path away = flakyFiles.resolveSibling("flaky-away");
    try (EventWatch events = EventWatch.open(node.baseUrl(), "provider_id=flaky-fs")) {
      Files.move(flakyFiles, away); // server-filesystem does not start without its directory
      serverProcess(flakyFiles.toString()).destroyForcibly();
      JsonNode unhealthy = events.await("provider:unhealthy", type("provider:unhealthy"), WAIT);
      assertEquals("flaky-fs", unhealthy.path("provider_id").asText());
      assertEquals("unhealthy", api.get("/providers/flaky-fs").json().path("status").asText());
      Files.move(away, flakyFiles);
      events.await("provider:recovered", type("provider:recovered"), WAIT);
    }
    JsonNode wf = api.runToEnd(q("{'id': 'mcp-recovered-1', 'tasks': [{'id': 'dirs',"
        + " 'method': 'mcp/tool.list_allowed_directories', 'provider': 'flaky-fs'}]}"), WAIT);
    assertEquals("completed", wf.path("status").asText(), wf::toString);
    assertTrue(ApiTestClient.task(wf, "dirs").at("/result/text").asText().contains(flakyFiles.toString()));
  }

  @Test
  void shouldRegisterTheNewToolsOfAServerThatComesBackWithOthers() throws Exception {
    JsonNode before = awaitProvider("switch", p -> p.path("methods").size() > 0);
    assertEquals(List.of("mcp/tool.list_allowed_directories"), methods(before));
    try (EventWatch events = EventWatch.open(node.baseUrl(), "provider_id=switch")) {
      Files.delete(switchLink);
      Files.createSymbolicLink(switchLink, McpServers.everything()); // the next start runs another server
      serverProcess(switchLink.toString()).destroyForcibly();
      JsonNode registered = events.await("provider:registered again", type("provider:registered"), WAIT);
      assertTrue(registered.at("/payload/update").asBoolean(), registered::toString);
    }
    assertEquals(List.of("mcp/tool.echo"), methods(awaitProvider("switch", p -> methods(p).contains("mcp/tool.echo"))));
    JsonNode wf = api.runToEnd(q("{'id': 'mcp-switch-1', 'tasks': [{'id': 'echo', 'method': 'mcp/tool.echo',"
        + " 'provider': 'switch', 'params': {'message': 'switched'}}]}"), WAIT);
    assertEquals("Echo: switched", ApiTestClient.task(wf, "echo").at("/result/text").asText(), wf::toString);
  }

  @Test
  void shouldRunABatchWorkflowOverTheFilesOfADirectoryWithAJoin() throws Exception {
    String yaml = "id: mcp-batch-1\ntype: batch\n"
        + "batch: {directory: '" + files + "', pattern: '*.*'}\n"
        + "template:\n  id: read\n  method: mcp/tool.read_text_file\n  params: {path: '${batch.file}'}\n"
        + "join:\n  id: report\n  method: test/echo\n"
        + "  params: {texts: '${batch.results.text}', files: '${batch.files}'}\n";
    ApiTestClient.Response accepted = api.post("/workflows", "application/yaml", yaml);
    assertEquals(202, accepted.status(), accepted::toString);
    api.awaitEnd("mcp-batch-1", WAIT);
    JsonNode wf = api.workflow("mcp-batch-1");
    assertEquals("completed", wf.path("status").asText(), wf::toString);
    assertEquals("README.md", ApiTestClient.task(wf, "read_1").path("name").asText());
    JsonNode report = ApiTestClient.task(wf, "report");
    assertEquals(List.of("read_1", "read_2"), List.of(report.at("/dependencies/0").asText(),
        report.at("/dependencies/1").asText()));
    assertEquals("# Sample\nA sample project.\n", report.at("/result/texts/0").asText());
    assertEquals("print('hello')\n", report.at("/result/texts/1").asText());
    assertEquals(files.resolve("main.py").toString(), report.at("/result/files/1").asText());

    ApiTestClient.Response missing = api.post("/workflows", "application/yaml",
        yaml.replace("id: mcp-batch-1", "id: mcp-batch-2").replace(files.toString(), files + "-missing"));
    assertEquals(400, missing.status(), missing::toString);
    assertEquals("batch.directory", missing.json().at("/details/0/path").asText(), missing::toString);
  }

  @Test
  void shouldStreamAToolsProgressNotificationsAsTaskProgressEvents() throws Exception {
    awaitProvider("everything", p -> p.path("methods").size() > 0);
    try (EventWatch events = EventWatch.open(node.baseUrl(), "workflow_id=mcp-progress-1")) {
      api.submitAccepted(q("{'id': 'mcp-progress-1', 'tasks': [{'id': 'long', 'provider': 'everything',"
          + " 'method': 'mcp/tool.trigger-long-running-operation', 'params': {'duration': 0.4, 'steps': 4}}]}"));
      events.await("workflow:completed", type("workflow:completed"), WAIT);
      List<JsonNode> progress = events.received().stream()
          .filter(e -> e.path("event_type").asText().equals("task:progress")).toList();
      assertEquals(List.of(1.0, 2.0, 3.0, 4.0), progress.stream().map(e -> e.at("/payload/progress").asDouble())
          .toList(), progress::toString);
      JsonNode first = progress.get(0);
      assertEquals("long", first.path("task_id").asText());
      assertEquals("everything", first.path("provider_id").asText());
      assertEquals(4, first.at("/payload/total").asInt());
      assertEquals(1, first.at("/payload/attempt").asInt());
      assertTrue(first.path("sequence_number").isNull(), "live only");
    }
    assertTrue(api.events("mcp-progress-1").stream()
        .noneMatch(e -> e.path("event_type").asText().equals("task:progress")), "never stored");
  }

  @Test
  void shouldCallAServerOverStreamableHttp() throws Exception {
    awaitProvider("everything", p -> p.path("methods").size() > 0);
    JsonNode wf = api.runToEnd(q("{'id': 'mcp-http-1', 'tasks': ["
        + "{'id': 'sum', 'method': 'mcp/tool.get-sum', 'provider': 'everything', 'params': {'a': 20, 'b': 22}},"
        + "{'id': 'echo', 'method': 'mcp/tool.echo', 'provider': 'everything', 'dependencies': ['sum'],"
        + " 'params': {'message': '${sum.result.text}'}}]}"), WAIT);
    assertEquals("completed", wf.path("status").asText(), wf::toString);
    String sum = ApiTestClient.task(wf, "sum").at("/result/text").asText();
    assertTrue(sum.contains("42"), sum);
    assertEquals("Echo: " + sum, ApiTestClient.task(wf, "echo").at("/result/text").asText());
  }
}
