package io.gleitzeit.bench;

import io.gleitzeit.testing.NodeProcess;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A node under benchmark: {@code io.gleitzeit.node.Main server} as a separate JVM, like
 * {@link NodeProcess} (same ready line, same logging, same kill -9), but with the JVM options of a real
 * deployment rather than the test suite's ({@code NodeProcess} pins {@code -Xmx384m -XX:+UseSerialGC
 * -XX:TieredStopAtLevel=1}, which keeps tests fast and would make every figure here a C1-only one). The
 * options are the bench's {@code --node-jvm-opts}; the ports are fixed at construction so that a restart
 * after kill -9 comes back as the same node (same built-in provider {@code test-<remote port>}), as an
 * operator's restart would.
 */
final class BenchNode implements AutoCloseable {

  private final Path dataDir;
  private final Path logDir;
  private final Path java;
  private final List<String> jvmOptions;
  private final String jdbcUrl;
  private final Path configFile;
  private final int httpPort = NodeProcess.freePort();
  private final int remotePort = NodeProcess.freePort();
  private int starts;
  private Process process;
  private Path stderrFile;

  BenchNode(Path dataDir, Path logDir, Path java, List<String> jvmOptions, String jdbcUrl, Path configFile) {
    this.dataDir = dataDir;
    this.logDir = logDir;
    this.java = java;
    this.jvmOptions = jvmOptions;
    this.jdbcUrl = jdbcUrl;
    this.configFile = configFile;
  }

  /** The journal URL every node of this bench gets: the default file URL, served to other JVMs too. */
  static String jdbcUrlFor(Path dataDir) {
    // The default URL (conf/persistence.conf), so that the bench measures what users run, and AUTO_SERVER to let
    // the bench JVM open the database the node holds (to count journal rows). H2 refuses AUTO_SERVER together
    // with the default URL's DB_CLOSE_ON_EXIT=FALSE, so that one setting is dropped.
    return "jdbc:h2:file:" + dataDir.toAbsolutePath() + "/journal;WRITE_DELAY=0;MAX_LENGTH_INPLACE_LOB=65536"
        + ";AUTO_SERVER=TRUE";
  }

  /** Starts the node (again, after a kill) and returns once it printed its ready line. */
  BenchNode start(Duration timeout) {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("node already running (pid " + process.pid() + ")");
    }
    starts++;
    String name = dataDir.getFileName() + "-node-" + starts;
    Path stdoutFile = logDir.resolve(name + ".stdout.log");
    stderrFile = logDir.resolve(name + ".stderr.log");
    List<String> command = NodeProcess.serverCommand(java, jvmOptions, httpPort, remotePort, dataDir, configFile);
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().keySet().removeIf(k -> k.startsWith("GLEITZEIT_"));
    pb.environment().put("GLEITZEIT_JDBC_URL", jdbcUrl);
    pb.redirectError(stderrFile.toFile());
    CompletableFuture<String> ready = new CompletableFuture<>();
    try {
      Files.createDirectories(logDir);
      process = pb.start();
      process.getOutputStream().close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start a node: " + command, e);
    }
    Process p = process;
    Thread reader = new Thread(() -> copyStdout(p, stdoutFile, ready), "bench-node-stdout-" + name);
    reader.setDaemon(true);
    reader.start();
    try {
      ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return this;
    } catch (Exception e) {
      p.destroyForcibly();
      throw new IllegalStateException("node " + name + " did not get ready within " + timeout.toSeconds()
          + " s (" + e + "); its logs: " + stdoutFile + ", " + stderrFile, e);
    }
  }

  private static void copyStdout(Process p, Path file, CompletableFuture<String> ready) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
         BufferedWriter copy = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      String line;
      while ((line = in.readLine()) != null) {
        copy.write(line);
        copy.newLine();
        copy.flush();
        if (line.startsWith(NodeProcess.READY_PREFIX)) {
          ready.complete(line);
        }
      }
    } catch (IOException e) {
      // the process ended; handled below
    }
    ready.completeExceptionally(new IllegalStateException("the node's stdout closed before its ready line"));
  }

  String baseUrl() {
    return "http://127.0.0.1:" + httpPort;
  }

  long pid() {
    return process.pid();
  }

  Path dataDir() {
    return dataDir;
  }

  Path stderrFile() {
    return stderrFile;
  }

  /** SIGKILL; returns once the process is gone. */
  void kill9() {
    process.destroyForcibly();
    awaitExit(Duration.ofSeconds(30));
  }

  /** SIGTERM, waiting up to 30 s for the node to stop (then SIGKILL). */
  void stop() {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!awaitExit(Duration.ofSeconds(30))) {
        kill9();
      }
    }
  }

  private boolean awaitExit(Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      awaitExit(Duration.ofSeconds(30));
    }
  }
}
