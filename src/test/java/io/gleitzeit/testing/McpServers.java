package io.gleitzeit.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The real MCP servers from npm that tests run ({@code @modelcontextprotocol/server-filesystem} and
 * {@code server-everything}), as installed by {@code scripts/mcp/install} at the versions its lock pins, into
 * {@code target/mcp} or {@code $GLEITZEIT_MCP_DIR}. {@code scripts/test} installs them first; a test run
 * without them installs them once here, and fails with a message saying why when that is not possible: a
 * missing server never skips a test.
 */
public final class McpServers {

  public static final String FILESYSTEM = "@modelcontextprotocol/server-filesystem";
  public static final String EVERYTHING = "@modelcontextprotocol/server-everything";

  private static String installProblem;

  private McpServers() {}

  /** The entry script of server-filesystem: {@code node <it> <allowed dir>...} serves those directories. */
  public static Path filesystem() {
    return entry(FILESYSTEM);
  }

  /** The entry script of server-everything: {@code node <it> stdio} or {@code node <it> streamableHttp}. */
  public static Path everything() {
    return entry(EVERYTHING);
  }

  /** The node executable's name; an AssertionError when it is not on the PATH. */
  public static String node() {
    try {
      Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
      if (p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0) {
        return "node";
      }
    } catch (IOException | InterruptedException e) {
      // reported below
    }
    throw new AssertionError("node is not on the PATH: the MCP server tests need Node.js (Debian: apt-get install"
        + " nodejs npm)");
  }

  private static Path entry(String pkg) {
    Path script = installDir().resolve("node_modules").resolve(pkg).resolve("dist/index.js");
    if (!Files.isRegularFile(script)) {
      install();
    }
    if (!Files.isRegularFile(script)) {
      throw new AssertionError("the MCP server " + pkg + " is not installed (no " + script + "): run"
          + " scripts/mcp/install (scripts/test does), which needs node and npm"
          + (installProblem == null ? "" : "; it said: " + installProblem));
    }
    return script;
  }

  /** Where scripts/mcp/install puts the servers: {@code $GLEITZEIT_MCP_DIR}, else {@code target/mcp}. */
  public static Path installDir() {
    String dir = System.getenv("GLEITZEIT_MCP_DIR");
    return dir != null && !dir.isBlank() ? Path.of(dir) : Path.of("target", "mcp").toAbsolutePath();
  }

  private static synchronized void install() {
    if (installProblem != null) {
      return; // tried once already
    }
    try {
      Process p = new ProcessBuilder("bash", "scripts/mcp/install").redirectErrorStream(true).start();
      boolean done = p.waitFor(5, TimeUnit.MINUTES);
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      installProblem = !done ? "scripts/mcp/install did not finish within 5 minutes"
          : p.exitValue() != 0 ? output : "";
    } catch (IOException | InterruptedException e) {
      installProblem = "cannot run scripts/mcp/install: " + e;
    }
  }

  /**
   * server-everything serving streamable HTTP on a free port of 127.0.0.1, started and listening ({@code url()}
   * is its endpoint); closing it kills it.
   */
  public static final class HttpEverything implements AutoCloseable {
    private final Process process;
    private final int port;

    private HttpEverything(Process process, int port) {
      this.process = process;
      this.port = port;
    }

    /** Starts it and returns once it says it listens; its output goes to {@code logFile}. */
    public static HttpEverything start(Path logFile) throws IOException {
      int port = NodeProcess.freePort();
      ProcessBuilder builder = new ProcessBuilder(List.of(node(), everything().toString(), "streamableHttp"))
          .redirectErrorStream(true);
      builder.environment().put("PORT", String.valueOf(port));
      Process process = builder.start();
      HttpEverything server = new HttpEverything(process, port);
      CompletableFuture<Void> listening = new CompletableFuture<>();
      Thread reader = new Thread(() -> {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8)); Writer log = Files.newBufferedWriter(logFile)) {
          String line;
          while ((line = out.readLine()) != null) {
            log.write(line + "\n");
            log.flush();
            if (line.contains("listening on port " + port)) {
              listening.complete(null);
            }
          }
        } catch (IOException e) {
          // the process ended
        }
        listening.completeExceptionally(new IllegalStateException("it exited"));
      }, "server-everything-output");
      reader.setDaemon(true);
      reader.start();
      try {
        listening.get(30, TimeUnit.SECONDS);
        return server;
      } catch (Exception e) {
        server.close();
        throw new AssertionError("server-everything did not start listening on port " + port + " (" + e
            + "); its output is in " + logFile);
      }
    }

    public String url() {
      return "http://127.0.0.1:" + port + "/mcp";
    }

    @Override
    public void close() {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
  }
}
