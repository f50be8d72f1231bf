package io.gleitzeit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.gleitzeit.domain.Json;
import io.gleitzeit.testing.LocalServers;
import io.gleitzeit.testing.McpServers;
import io.gleitzeit.testing.NodeProcess;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gleitzeit demo} as a user runs it, in a JVM of its own: on the real MCP filesystem server with the
 * {@code wc} analysis when no LLM answers, with an LLM when one does (a local server speaking Ollama's API), and
 * on the test provider when the MCP servers are not installed.
 */
@Tag("integration")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DemoIT {

  @TempDir
  Path dir;

  private record Run(int exit, String output) {}

  private Run demo(Map<String, String> env) throws Exception {
    return demo(env, Files.createTempDirectory(dir, "demo").toString());
  }

  /**
   * The demo with {@code --data-dir dataDir}, started in {@link #dir} (where a relative one is); without one (null)
   * when {@code dataDir} is null, its temporary directory then under {@link #dir}.
   */
  private Run demo(Map<String, String> env, String dataDir) throws Exception {
    return demo(env, dataDir, null);
  }

  /** As above; once the demo's output has a line containing {@code stopAt}, it is sent SIGTERM (as Ctrl-C would). */
  private Run demo(Map<String, String> env, String dataDir, String stopAt) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx384m", "-XX:TieredStopAtLevel=1"));
    URL logback = DemoIT.class.getResource("/logback.xml");
    if (logback != null) {
      command.add("-Dlogback.configurationFile=" + logback);
    }
    command.add("-Djava.io.tmpdir=" + dir);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.gleitzeit.node.Main", "demo"));
    if (dataDir != null) {
      command.addAll(List.of("--data-dir", dataDir));
    }
    Path output = dir.resolve("demo-" + System.nanoTime() + ".log");
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(output.toFile());
    builder.environment().keySet().removeIf(k -> k.startsWith("GLEITZEIT_"));
    builder.environment().putAll(env);
    Process p = builder.start();
    if (stopAt != null) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (p.isAlive() && !Files.readString(output).contains(stopAt) && System.nanoTime() < deadline) {
        Thread.sleep(10); // the output is a file: read again until the line is there
      }
      p.destroy();
    }
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError("the demo did not end within 90 s");
    }
    Path log;
    try (var logs = Files.list(dir)) {
      log = logs.filter(f -> f.getFileName().toString().startsWith("demo-")).max(Path::compareTo).orElseThrow();
    }
    return new Run(p.exitValue(), Files.readString(log));
  }

  private static String mcpDir() {
    McpServers.filesystem(); // installed, or an AssertionError saying why not
    return McpServers.installDir().toString();
  }

  private static int closedPort() {
    return NodeProcess.freePort();
  }

  @Test
  void shouldListAndReadTheSampleProjectOverMcpAndAnalyseItWithWcWhenNoLlmAnswers() throws Exception {
    McpServers.node();
    // A relative data directory, whose name a placeholder would break: the MCP server resolved the relative path
    // again from its own directory (round 14), and "${x}" made the demo's own submission a 400.
    Run run = demo(Map.of("GLEITZEIT_MCP_DIR", mcpDir(), "GLEITZEIT_LLM_URL", "http://127.0.0.1:" + closedPort()),
        "relative ${x}");
    String out = run.output();
    assertEquals(0, run.exit(), out);
    assertTrue(out.contains("journal in " + dir.resolve("relative ${x}")), out);
    assertTrue(out.contains("Note: No LLM answers at GLEITZEIT_LLM_URL=http://127.0.0.1:"), out);
    assertTrue(out.contains("MCP provider 'files' registered 14 tools: "), out);
    assertTrue(out.contains("task:completed                list@files"), out);
    assertTrue(out.contains("substituted ${list.result.text} at $.stdin = [FILE] README.md\\n[DIR] docs\\n[DIR] src"
        + "\\n[DIR] tests"), out);
    assertTrue(out.contains("analyze  completed  attempt 1 on tools"), out);
    assertTrue(out.contains("Provider health (GET /providers):"), out);
    assertTrue(out.matches("(?s).*\n  files +mcp +available +health [01]\\.\\d\\d .*"), out);
    assertTrue(out.contains("tasks     {completed=5}"), out);
    assertTrue(out.contains(" completed. Stopping the node."), out);
    // pekko-projection-jdbc's debugging line for a stopping projection is not the demo's output.
    assertTrue(out.lines().noneMatch(l -> l.startsWith("# stop ")), out);
  }

  @Test
  void shouldHaveTheLlmAnalyseTheMcpResultsWhenOneAnswers() throws Exception {
    McpServers.node();
    AtomicReference<JsonNode> generate = new AtomicReference<>();
    HttpServer llm = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    llm.createContext("/api/tags", ex -> LocalServers.respondJson(ex, 200, "{\"models\":[]}"));
    llm.createContext("/api/generate", ex -> {
      generate.set(Json.MAPPER.readTree(ex.getRequestBody().readAllBytes()));
      LocalServers.respondJson(ex, 200, "{\"model\":\"tiny\",\"response\":\"A weather report tool; add tests.\","
          + "\"done\":true,\"total_duration\":1000000,\"prompt_eval_count\":50,\"eval_count\":8}");
    });
    llm.start();
    try {
      Run run = demo(Map.of("GLEITZEIT_MCP_DIR", mcpDir(), "GLEITZEIT_LLM_MODEL", "tiny",
          "GLEITZEIT_LLM_URL", "http://127.0.0.1:" + llm.getAddress().getPort()));
      String out = run.output();
      assertEquals(0, run.exit(), out);
      assertTrue(out.contains("Using the LLM at http://127.0.0.1:"), out);
      assertTrue(out.contains("analyze  completed  attempt 1 on llm"), out);
      assertTrue(out.contains("A weather report tool; add tests."), out);
      String prompt = generate.get().path("prompt").asText();
      assertTrue(prompt.contains("[FILE] README.md\n[DIR] docs\n[DIR] src\n[DIR] tests"), prompt);
      assertTrue(prompt.contains("Status: the report works"), prompt);
      assertEquals("tiny", generate.get().path("model").asText());
      assertTrue(generate.get().path("stream").asBoolean(), "the demo streams the answer");
      assertTrue(out.contains("task:progress"), out);
    } finally {
      llm.stop(0);
    }
  }

  /** Ctrl-C or SIGTERM stops the node and removes the temporary directory too (round 18: it was left behind). */
  @Test
  void shouldRemoveTheTemporaryDirectoryWhenInterrupted() throws Exception {
    Run run = demo(Map.of(), null, "Node ready at");
    String out = run.output();
    assertEquals(143, run.exit(), "stopped by SIGTERM while its workflow ran: " + out);
    Matcher journal = Pattern.compile("journal in (\\S+), removed when the demo ends").matcher(out);
    assertTrue(journal.find(), out);
    assertFalse(Files.exists(Path.of(journal.group(1))), "the demo's temporary directory is removed: " + out);
  }

  /** A data directory that cannot be one is one line (round 18: a stack trace), and an empty one is refused. */
  @Test
  void shouldSayInOneLineWhenTheDataDirectoryCannotBeUsed() throws Exception {
    Path file = Files.writeString(dir.resolve("a-file"), "x");
    Run underAFile = demo(Map.of(), file.toString());
    assertEquals(1, underAFile.exit(), underAFile.output());
    assertTrue(underAFile.output().contains("gleitzeit: cannot start the demo node: cannot write into the data "
        + "directory " + file), underAFile.output());
    assertFalse(underAFile.output().contains("\tat "), "no stack trace: " + underAFile.output());

    Run empty = demo(Map.of(), "");
    assertEquals(1, empty.exit(), empty.output());
    assertTrue(empty.output().contains("the data directory is empty"), empty.output());
    try (var left = Files.list(dir)) {
      assertTrue(left.noneMatch(f -> f.getFileName().toString().startsWith("journal")), "nothing written into "
          + "the working directory");
    }
  }

  @Test
  void shouldRunOnTheTestProviderAndSaySoWhenTheMcpServersAreNotInstalled() throws Exception {
    Run run = demo(Map.of(), null);
    String out = run.output();
    assertEquals(0, run.exit(), out);
    Matcher journal = Pattern.compile("journal in (\\S+), removed when the demo ends").matcher(out);
    assertTrue(journal.find(), out);
    assertTrue(Path.of(journal.group(1)).startsWith(dir), out);
    assertFalse(Files.exists(Path.of(journal.group(1))), "the demo's temporary directory is removed: " + out);
    assertTrue(out.contains("Note: The MCP servers are not installed"), out);
    assertTrue(out.contains("the demo runs on the built-in test provider instead"), out);
    assertTrue(out.contains("workflow:completed"), out);
    assertFalse(out.contains("MCP provider 'files' registered"), out);
    assertTrue(out.contains("list_files completed"), out);
  }
}
