package io.gleitzeit.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A local cluster run by the project's own {@code scripts/cluster} (SPEC §8), for tests that kill and restart
 * nodes: every start, stop and status goes through the script, so the script is tested with the cluster.
 *
 * <p>Ports are asked from the OS ({@link NodeProcess#freePort()}) and passed as lists; the nodes run on this test
 * run's class path ({@code GLEITZEIT_CLASSPATH}: the jar is only made in Maven's package phase, after the tests),
 * with the JVM options of {@link NodeProcess}. Nothing from the test's environment reaches the nodes except what
 * the builder sets. Always use it in try-with-resources: {@link #close()} stops the cluster, and kills any node
 * the script left behind.
 */
public final class ClusterScript implements AutoCloseable {

  /** A status line: {@code node=<n> pid=<pid> http=<url> remote=<port> status=<up|down>}. */
  public record Node(int number, long pid, String baseUrl, int remotePort, boolean up) {
    /** The id of the node's built-in test provider. */
    public String testProvider() {
      return "test-" + remotePort;
    }
  }

  /** What one run of the script printed, and how it ended. */
  public record Result(int exitCode, String stdout, String stderr) {
    @Override
    public String toString() {
      return "exit " + exitCode + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr;
    }
  }

  public static final Pattern STATUS_LINE = Pattern.compile(
      "node=(\\d+) pid=(\\d+) http=(http://127\\.0\\.0\\.1:\\d+) remote=(\\d+) status=(up|down)");
  private static final Path SCRIPT = Path.of("scripts", "cluster").toAbsolutePath();
  private static final String NODE_JAVA_OPTS = "-Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1";

  private final Path dataDir;
  private final Map<String, String> env;
  private final Duration scriptTimeout;
  private volatile List<Node> lastStatus = List.of();

  private ClusterScript(Path dataDir, Map<String, String> env, Duration scriptTimeout) {
    this.dataDir = dataDir;
    this.env = env;
    this.scriptTimeout = scriptTimeout;
  }

  public static Builder builder(Path dataDir) {
    return new Builder(dataDir);
  }

  /** How to start a cluster: N nodes, the journal, extra environment for the nodes. */
  public static final class Builder {
    private final Path dataDir;
    private int nodes = 3;
    private String journal = "h2";
    private final Map<String, String> env = new LinkedHashMap<>();
    private Duration readyTimeout = Duration.ofSeconds(150);
    private String javaOpts = NODE_JAVA_OPTS;

    private Builder(Path dataDir) {
      this.dataDir = dataDir.toAbsolutePath();
    }

    public Builder nodes(int n) {
      this.nodes = n;
      return this;
    }

    /** {@code h2} (an H2 TCP server process) or {@code postgres} (a throwaway PostgreSQL the script starts). */
    public Builder journal(String journal) {
      this.journal = journal;
      return this;
    }

    /** An environment variable for the script and, through it, every node (e.g. GLEITZEIT_HEARTBEAT_INTERVAL). */
    public Builder env(String key, String value) {
      env.put(key, value);
      return this;
    }

    /** The nodes' JVM options (default: NodeProcess's small heap, serial GC, C1 only: quick to start). */
    public Builder javaOpts(String options) {
      this.javaOpts = options;
      return this;
    }

    /** How long {@code start} and {@code start-node} may wait for readiness (the script's --timeout). */
    public Builder readyTimeout(Duration timeout) {
      this.readyTimeout = timeout;
      return this;
    }

    /** A handle on the data directory that starts nothing: for running the script's commands as they are. */
    public ClusterScript unstarted() {
      Map<String, String> all = new LinkedHashMap<>();
      all.put("GLEITZEIT_CLASSPATH", System.getProperty("java.class.path"));
      all.put("GLEITZEIT_JAVA_OPTS", javaOpts);
      all.put("GLEITZEIT_LOG_LEVEL", "INFO");
      all.putAll(env);
      return new ClusterScript(dataDir, all, readyTimeout.plusSeconds(60));
    }

    /** Runs {@code scripts/cluster start N ...} on fresh free ports; an AssertionError with its output if it fails. */
    public ClusterScript start() {
      ClusterScript cluster = unstarted();
      String http = ports(nodes);
      String remote = ports(nodes);
      Result r = cluster.run("start", String.valueOf(nodes), "--journal", journal,
          "--http-port", http, "--remote-port", remote, "--journal-port", String.valueOf(NodeProcess.freePort()),
          "--timeout", String.valueOf(readyTimeout.toSeconds()));
      if (r.exitCode() != 0) {
        cluster.close();
        throw new AssertionError("scripts/cluster start " + nodes + " failed: " + r);
      }
      cluster.lastStatus = parseStatus(r.stdout());
      if (cluster.lastStatus.size() != nodes || !cluster.lastStatus.stream().allMatch(Node::up)) {
        cluster.close();
        throw new AssertionError("scripts/cluster start " + nodes + " did not report every node up: " + r);
      }
      return cluster;
    }

    private static String ports(int n) {
      return IntStream.range(0, n).mapToObj(i -> String.valueOf(NodeProcess.freePort()))
          .collect(Collectors.joining(","));
    }
  }

  /** Runs the script with these arguments, and {@code --data-dir} of this cluster unless they name one. */
  public Result run(String... args) {
    List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
    command.addAll(List.of(args));
    if (!command.contains("--data-dir")) {
      command.addAll(List.of("--data-dir", dataDir.toString()));
    }
    ProcessBuilder pb = new ProcessBuilder(command).directory(SCRIPT.getParent().getParent().toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("GLEITZEIT_"));
    pb.environment().putAll(env);
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    try {
      Files.createDirectories(dataDir);
      Path out = Files.createTempFile(dataDir, "script-", ".out");
      Path err = Files.createTempFile(dataDir, "script-", ".err");
      pb.redirectOutput(out.toFile());
      pb.redirectError(err.toFile());
      Process p = pb.start();
      if (!p.waitFor(scriptTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("scripts/cluster " + String.join(" ", args) + " did not end within "
            + scriptTimeout.toSeconds() + " s; stderr:\n" + Files.readString(err));
      }
      Result result = new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
      return result;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** {@code scripts/cluster status}, parsed; an AssertionError when a line does not have the SPEC format. */
  public List<Node> status() {
    Result r = run("status");
    List<Node> nodes = parseStatus(r.stdout());
    if (nodes.isEmpty()) {
      throw new AssertionError("scripts/cluster status printed no node: " + r);
    }
    boolean allUp = nodes.stream().allMatch(Node::up);
    if ((r.exitCode() == 0) != allUp) {
      throw new AssertionError("scripts/cluster status exits 0 exactly when every node is up: " + r);
    }
    lastStatus = nodes;
    return nodes;
  }

  /** The nodes as the last start or status reported them. */
  public List<Node> nodes() {
    return lastStatus;
  }

  public Node node(int number) {
    return lastStatus.get(number - 1);
  }

  /** The base URLs of the nodes reported up, as last reported. */
  public List<String> upUrls() {
    return lastStatus.stream().filter(Node::up).map(Node::baseUrl).toList();
  }

  /**
   * SIGKILL to node {@code number}'s JVM, by the pid {@code status} reports (which must be a running Gleitzeit
   * node); returns once the process is gone.
   */
  public void kill9(int number) {
    Node node = status().get(number - 1);
    ProcessHandle handle = ProcessHandle.of(node.pid())
        .orElseThrow(() -> new AssertionError("status reports pid " + node.pid() + " of node " + number
            + ", but no such process runs"));
    String commandLine = commandLine(node.pid());
    if (!commandLine.contains("io.gleitzeit.node.Main")) {
      throw new AssertionError("pid " + node.pid() + " of node " + number + " is not a Gleitzeit node: "
          + commandLine.substring(0, Math.min(200, commandLine.length())));
    }
    handle.destroyForcibly();
    try {
      handle.onExit().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("node " + number + " (pid " + node.pid() + ") survived SIGKILL: " + e, e);
    }
  }

  /** {@code scripts/cluster start-node K}: returns once the node is ready again, with its status line. */
  public Node startNode(int number) {
    Result r = run("start-node", String.valueOf(number), "--timeout", String.valueOf(
        scriptTimeout.minusSeconds(60).toSeconds()));
    List<Node> lines = parseStatus(r.stdout());
    if (r.exitCode() != 0 || lines.size() != 1 || !lines.get(0).up()) {
      throw new AssertionError("scripts/cluster start-node " + number + " failed: " + r);
    }
    return lines.get(0);
  }

  /** {@code scripts/cluster stop-node K}: SIGTERM, and it returns once the node's JVM has ended. */
  public void stopNode(int number) {
    Result r = run("stop-node", String.valueOf(number));
    if (r.exitCode() != 0) {
      throw new AssertionError("scripts/cluster stop-node " + number + " failed: " + r);
    }
  }

  public Path dataDir() {
    return dataDir;
  }

  /** The log of node {@code number} (every run of it, appended). */
  public Path nodeLog(int number) {
    return dataDir.resolve("node-" + number).resolve("node.log");
  }

  /** The last {@code lines} lines of every node's log, for failure messages. */
  public String logTails(int lines) {
    StringBuilder out = new StringBuilder();
    for (Node n : lastStatus) {
      out.append("\n--- node ").append(n.number()).append(" log (end) ---\n");
      try {
        List<String> all = Files.readAllLines(nodeLog(n.number()), StandardCharsets.UTF_8);
        all.subList(Math.max(0, all.size() - lines), all.size()).forEach(l -> out.append(l).append('\n'));
      } catch (IOException e) {
        out.append("(cannot read: ").append(e).append(")\n");
      }
    }
    return out.toString();
  }

  /**
   * A process's whole command line ({@code /proc/PID/cmdline}; ProcessHandle.Info cuts long ones short), or "" when
   * it does not run.
   */
  static String commandLine(long pid) {
    try {
      return new String(Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "cmdline")), StandardCharsets.UTF_8)
          .replace('\0', ' ');
    } catch (IOException e) {
      return "";
    }
  }

  public static List<Node> parseStatus(String stdout) {
    List<Node> nodes = new ArrayList<>();
    for (String line : stdout.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      Matcher m = STATUS_LINE.matcher(line.trim());
      if (!m.matches()) {
        throw new AssertionError("not a status line of SPEC §8: '" + line + "'");
      }
      nodes.add(new Node(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)), m.group(3),
          Integer.parseInt(m.group(4)), "up".equals(m.group(5))));
    }
    return nodes;
  }

  /** Stops the cluster with the script; then kills whatever node it recorded that still runs. */
  @Override
  public void close() {
    try {
      run("stop");
    } finally {
      for (Node n : lastStatus) {
        Optional<ProcessHandle> left = ProcessHandle.of(n.pid());
        left.filter(h -> commandLine(h.pid()).contains("io.gleitzeit.node.Main"))
            .ifPresent(ProcessHandle::destroyForcibly);
      }
    }
  }
}
