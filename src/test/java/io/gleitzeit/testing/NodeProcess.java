package io.gleitzeit.testing;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Gleitzeit node running as a real, separate JVM ({@code io.gleitzeit.node.Main server ...}) on this test
 * run's class path, for tests that kill, restart and replay nodes.
 *
 * <p>The child's stdout is read on a thread until the ready line {@code gleitzeit node ready http=...} and
 * copied to {@code <name>.stdout.log}; its stderr goes to {@code <name>.stderr.log}; both lie next to the data
 * directory (in its parent) unless another log directory is given, and stay there for diagnosis. Always use
 * it in try-with-resources: {@link #close()} kills a node that is still running, so a failed test never
 * leaves a JVM behind.
 */
public final class NodeProcess implements AutoCloseable {

  /**
   * The command line of a node JVM ({@code Main server}) on this test class path with {@code jvmOptions}; a
   * null {@code configFile} means none. The test class path carries logback-test.xml (Pekko's capturing
   * appender, which prints nothing): the child logs as a real node does, with conf/logback.xml, to stderr.
   */
  public static List<String> serverCommand(List<String> jvmOptions, int httpPort, int remotePort, Path dataDir,
                                           Path configFile) {
    return serverCommand(Path.of(System.getProperty("java.home"), "bin", "java"), jvmOptions, httpPort, remotePort,
        dataDir, configFile);
  }

  /** The same on another Java ({@code java}: its executable). */
  public static List<String> serverCommand(Path java, List<String> jvmOptions, int httpPort, int remotePort,
                                           Path dataDir, Path configFile) {
    List<String> command = new ArrayList<>();
    command.add(java.toString());
    command.addAll(jvmOptions);
    URL logback = NodeProcess.class.getResource("/logback.xml");
    if (logback != null) {
      command.add("-Dlogback.configurationFile=" + logback);
    }
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.gleitzeit.node.Main", "server",
        "--http-port", String.valueOf(httpPort), "--remote-port", String.valueOf(remotePort),
        "--data-dir", dataDir.toString()));
    if (configFile != null) {
      command.addAll(List.of("--config", configFile.toString()));
    }
    return command;
  }

  public static final String READY_PREFIX = "gleitzeit node ready ";
  public static final Duration DEFAULT_READY_TIMEOUT = Duration.ofSeconds(60);
  private static final AtomicInteger COUNTER = new AtomicInteger();

  private final Process process;
  private final String name;
  private final Path dataDir;
  private final Path stdoutFile;
  private final Path stderrFile;
  private final Integer requestedHttpPort;
  private final Integer requestedRemotePort;
  private final CompletableFuture<String> readyLine = new CompletableFuture<>();
  private final Thread stdoutReader;
  private volatile String baseUrl;
  private volatile int remotePort;

  private NodeProcess(Process process, String name, Path dataDir, Path stdoutFile, Path stderrFile,
                      Integer httpPort, Integer remotePort) {
    this.process = process;
    this.name = name;
    this.dataDir = dataDir;
    this.stdoutFile = stdoutFile;
    this.stderrFile = stderrFile;
    this.requestedHttpPort = httpPort;
    this.requestedRemotePort = remotePort;
    this.stdoutReader = new Thread(this::copyStdout, "node-stdout-" + name);
    this.stdoutReader.setDaemon(true);
    this.stdoutReader.start();
  }

  /** A node on {@code dataDir} with fresh free ports, started and ready (or an AssertionError saying why not). */
  public static NodeProcess start(Path dataDir) {
    return builder(dataDir).start();
  }

  public static Builder builder(Path dataDir) {
    return new Builder(dataDir);
  }

  /** How to start a node; unset ports are picked free. */
  public static final class Builder {
    private final Path dataDir;
    private Integer httpPort;
    private Integer remotePort;
    private Path configFile;
    private Path logDir;
    private String logLevel = "INFO";
    private final Map<String, String> env = new LinkedHashMap<>();

    private Builder(Path dataDir) {
      this.dataDir = dataDir;
    }

    public Builder httpPort(int port) {
      this.httpPort = port;
      return this;
    }

    public Builder remotePort(int port) {
      this.remotePort = port;
      return this;
    }

    public Builder config(Path file) {
      this.configFile = file;
      return this;
    }

    /** Where the stdout/stderr logs go; default: the data directory's parent. */
    public Builder logDir(Path dir) {
      this.logDir = dir;
      return this;
    }

    /** {@code GLEITZEIT_LOG_LEVEL} of the child (default INFO, for diagnosis). */
    public Builder logLevel(String level) {
      this.logLevel = level;
      return this;
    }

    public Builder env(String key, String value) {
      env.put(key, value);
      return this;
    }

    /** Starts the process without waiting for it: for nodes expected to fail, see {@link #awaitExit}. */
    public NodeProcess launch() {
      int http = httpPort != null ? httpPort : freePort();
      int remote = remotePort != null ? remotePort : freePort();
      Path logs = logDir != null ? logDir : dataDir.toAbsolutePath().getParent();
      String name = dataDir.getFileName() + "-node-" + COUNTER.incrementAndGet();
      Path out = logs.resolve(name + ".stdout.log");
      Path err = logs.resolve(name + ".stderr.log");
      // Small and quick to start: many of these run in one test suite.
      List<String> command = serverCommand(List.of("-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
          http, remote, dataDir, configFile);
      ProcessBuilder pb = new ProcessBuilder(command);
      // Nothing from the test's environment may redirect the node (GLEITZEIT_JDBC_URL, ports, ...).
      pb.environment().keySet().removeIf(k -> k.startsWith("GLEITZEIT_"));
      pb.environment().put("GLEITZEIT_LOG_LEVEL", logLevel);
      pb.environment().putAll(env);
      pb.redirectOutput(ProcessBuilder.Redirect.PIPE);
      pb.redirectError(err.toFile());
      pb.redirectInput(ProcessBuilder.Redirect.PIPE);
      try {
        Files.createDirectories(logs);
        Files.writeString(out, "");
        Process process = pb.start();
        process.getOutputStream().close();
        return new NodeProcess(process, name, dataDir, out, err, http, remote);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start a node process: " + command, e);
      }
    }

    /** Starts the node and waits for its ready line (60 s). */
    public NodeProcess start() {
      NodeProcess node = launch();
      try {
        return node.awaitReady(DEFAULT_READY_TIMEOUT);
      } catch (RuntimeException | Error e) {
        node.close();
        throw e;
      }
    }
  }

  private void copyStdout() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
         BufferedWriter copy = Files.newBufferedWriter(stdoutFile, StandardCharsets.UTF_8)) {
      String line;
      while ((line = in.readLine()) != null) {
        copy.write(line);
        copy.newLine();
        copy.flush();
        if (line.startsWith(READY_PREFIX) && !readyLine.isDone()) {
          parseReady(line);
          readyLine.complete(line);
        }
      }
    } catch (IOException | RuntimeException e) {
      // The process died or its pipe closed: handled below.
    }
    readyLine.completeExceptionally(new IllegalStateException("stdout closed before the ready line"));
  }

  private void parseReady(String line) {
    for (String part : line.substring(READY_PREFIX.length()).trim().split(" ")) {
      if (part.startsWith("http=")) {
        baseUrl = part.substring("http=".length());
      } else if (part.startsWith("remote=")) {
        remotePort = Integer.parseInt(part.substring("remote=".length()));
      }
    }
  }

  /** Waits for the ready line; fails with the captured stderr when the process exits first or times out. */
  public NodeProcess awaitReady(Duration timeout) {
    try {
      readyLine.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (baseUrl == null) {
        throw new AssertionError("node " + name + " printed a ready line without http=: " + readyLine.getNow(""));
      }
      return this;
    } catch (TimeoutException e) {
      process.destroyForcibly();
      throw new AssertionError("node " + name + " printed no ready line within " + timeout.toSeconds()
          + " s; stdout:\n" + stdout() + "\nstderr:\n" + stderr());
    } catch (ExecutionException e) {
      Integer code = exitCodeWithin(Duration.ofSeconds(10));
      throw new AssertionError("node " + name + " exited (code " + code + ") before it was ready; stdout:\n"
          + stdout() + "\nstderr:\n" + stderr());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for node " + name, e);
    }
  }

  /** Waits for the process to end by itself; its exit code, or an AssertionError (and the node killed) if not. */
  public int awaitExit(Duration timeout) {
    Integer code = exitCodeWithin(timeout);
    if (code == null) {
      process.destroyForcibly();
      throw new AssertionError("node " + name + " did not exit within " + timeout.toSeconds() + " s; stdout:\n"
          + stdout() + "\nstderr:\n" + stderr());
    }
    joinStdoutReader();
    return code;
  }

  private Integer exitCodeWithin(Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private void joinStdoutReader() {
    try {
      stdoutReader.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public String baseUrl() {
    if (baseUrl == null) {
      throw new IllegalStateException("node " + name + " is not ready");
    }
    return baseUrl;
  }

  public int httpPort() {
    return requestedHttpPort;
  }

  /** The Artery port the node reported (its built-in test provider is {@code "test-" + remotePort()}). */
  public int remotePort() {
    return remotePort != 0 ? remotePort : requestedRemotePort;
  }

  public long pid() {
    return process.pid();
  }

  public String name() {
    return name;
  }

  public Path dataDir() {
    return dataDir;
  }

  public Path stdoutFile() {
    return stdoutFile;
  }

  public Path stderrFile() {
    return stderrFile;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public String stdout() {
    return read(stdoutFile);
  }

  public String stderr() {
    return read(stderrFile);
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e + ")";
    }
  }

  /** SIGKILL on Linux: no shutdown hook, no flush, nothing. Returns once the process is gone. */
  public void kill9() {
    process.destroyForcibly();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        throw new AssertionError("node " + name + " (pid " + pid() + ") survived SIGKILL for 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while killing node " + name, e);
    }
    joinStdoutReader();
  }

  /** SIGTERM, and waits (30 s) for the node to shut down; returns the exit code. */
  public int stop() {
    process.destroy();
    Integer code = exitCodeWithin(Duration.ofSeconds(30));
    if (code == null) {
      process.destroyForcibly();
      throw new AssertionError("node " + name + " (pid " + pid() + ") did not stop within 30 s of SIGTERM; stderr:\n"
          + stderr());
    }
    joinStdoutReader();
    return code;
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public String toString() {
    return "node " + name + " (pid " + process.pid() + (baseUrl != null ? ", " + baseUrl : "") + ")";
  }

  /**
   * A port that was free a moment ago, on the loopback interface the node binds. Taken below Linux's ephemeral
   * range (32768-60999 by default), from which the kernel picks the local ports of outgoing connections: a port
   * from there (what binding port 0 gives) can be taken by some client's connection before the node binds it,
   * or before a killed node restarts on it (seen once in the bench: "Address already in use").
   */
  public static int freePort() {
    for (int attempt = 0; attempt < 100; attempt++) {
      try {
        return bound(ThreadLocalRandom.current().nextInt(20_000, 32_000));
      } catch (IOException taken) {
        // try another
      }
    }
    try {
      return bound(0);
    } catch (IOException e) {
      throw new UncheckedIOException("no free port", e);
    }
  }

  /** Binds {@code port} on loopback (0: any) and lets it go again; the port that was bound. */
  private static int bound(int port) throws IOException {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(false);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return socket.getLocalPort();
    }
  }
}
