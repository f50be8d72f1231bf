package io.gleitzeit.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Gleitzeit's benchmark suite (issue 4): drives a real node (a separate JVM on an H2 file journal) through
 * its public HTTP API with the built-in {@code test} provider, observes every workflow's end on one live
 * event stream, and prints one {@code bench workload=...} line per workload on stdout. Progress goes to
 * stderr. Run it with {@code scripts/bench}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Gleitzeit benchmark suite: W1 chain, W2 fan-out/fan-in, W3 wide, W4 recovery, W5 idle footprint,"
        + " raw H2 insert ceiling.")
public final class Bench implements Callable<Integer> {

  @Option(names = "--workloads", split = ",", description = "Any of W1,W2,W3,W4,W5,raw (default: W1,W2,W3,W5,raw).")
  List<String> workloads = List.of("W1", "W2", "W3", "W5", "raw");

  @Option(names = "--quick", description = "A short smoke run: small sizes everywhere.")
  boolean quick;

  @Option(names = "--n", description = "Workflows of W1 (at the peak, then at half of it) and of W2 (default 3000;"
      + " --quick 100).")
  Integer n;

  @Option(names = "--in-flight", description = "Workflows in flight at once in W1, W2, W5 (default ${DEFAULT-VALUE}).")
  int inFlight = 64;

  @Option(names = "--warm-up-s", description = "Seconds of W1 and W2 rounds before the first measurement, so that"
      + " the JIT has compiled the hot paths (default 30; --quick 3).")
  Integer warmUpSeconds;

  @Option(names = "--w3-sizes", split = ",", description = "Tasks per W3 workflow, one line each (default 1000,10000; --quick 1000,3000).")
  List<Integer> w3Sizes;

  @Option(names = "--w4-workflows", description = "Workflows running at the kill (default 2000; --quick 300).")
  Integer w4Workflows;

  @Option(names = "--w4-sleep-ms", description = "The test/sleep of each W4 workflow (default ${DEFAULT-VALUE}).")
  int w4SleepMs = 10_000;

  @Option(names = "--w5-workflows", description = "Completed workflows before W5 measures the heap (default 20000;"
      + " --quick 1000; the issue's figure is 100000).")
  Integer w5Workflows;

  @Option(names = "--w5-passivation", description = "The W5 node's gleitzeit.engine.idle-passivation (default ${DEFAULT-VALUE}).")
  String w5Passivation = "3s";

  @Option(names = "--raw-rows", description = "Rows of the raw H2 insert (default 200000; --quick 20000).")
  Integer rawRows;

  @Option(names = "--raw-batch", description = "Rows per batch (and commit) of the raw insert (default ${DEFAULT-VALUE}).")
  int rawBatch = 100;

  @Option(names = "--dispatch-sample", description = "Workflows whose events are fetched for dispatch times (default ${DEFAULT-VALUE}).")
  int dispatchSample = 500;

  @Option(names = "--timeout-s", description = "Limit of each workload (default 900; --quick 120).")
  Integer timeoutSeconds;

  @Option(names = "--node-jvm-opts", description = "JVM options of the node (default: \"${DEFAULT-VALUE}\").")
  String nodeJvmOptions = "-Xms512m -Xmx1g";

  @Option(names = "--node-java", description = "The node's Java: a JDK's directory or its java executable (default: the"
      + " bench's own, ${sys:java.home}). The node runs on any JDK from 17 on; the build stays on 17.")
  Path nodeJava;

  @Option(names = "--keep", description = "Keep the data and log directories (default: deleted unless a workload fails).")
  boolean keep;

  /** The node's Java version, on every line: the JDK changes the figures (README "Latest figures"). */
  private static String nodeJavaVersion = "unknown";

  /** The longest a workload's aftermath may keep the node busy before the next one starts anyway. */
  private static final Duration SETTLE_LIMIT = Duration.ofSeconds(60);

  private Path root;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();
  private int failures;

  public static void main(String[] args) {
    int code = new CommandLine(new Bench()).execute(args);
    System.exit(code);
  }

  @Override
  public Integer call() throws Exception {
    n = n != null ? n : quick ? 100 : 3000;
    w3Sizes = w3Sizes != null ? w3Sizes : quick ? List.of(1000, 3000) : List.of(1000, 10_000);
    w4Workflows = w4Workflows != null ? w4Workflows : quick ? 300 : 2000;
    w5Workflows = w5Workflows != null ? w5Workflows : quick ? 1000 : 20_000;
    rawRows = rawRows != null ? rawRows : quick ? 20_000 : 200_000;
    timeoutSeconds = timeoutSeconds != null ? timeoutSeconds : quick ? 120 : 900;
    warmUpSeconds = warmUpSeconds != null ? warmUpSeconds : quick ? 3 : 30;
    Set<String> selected = new LinkedHashSet<>();
    for (String w : workloads) {
      String name = w.trim().equalsIgnoreCase("raw") ? "raw" : w.trim().toUpperCase(Locale.ROOT);
      if (!List.of("W1", "W2", "W3", "W4", "W5", "raw").contains(name)) {
        throw new CommandLine.ParameterException(new CommandLine(this), "unknown workload: " + w);
      }
      selected.add(name);
    }
    root = Files.createTempDirectory("gleitzeit-bench-");
    log("data and logs in " + root + "; machine: " + Runtime.getRuntime().availableProcessors() + " cores, load "
        + loadAverage());
    nodeJava = javaExecutable(nodeJava);
    nodeJavaVersion = javaVersion(nodeJava);
    log("node JVM: " + nodeJava + " (" + nodeJavaVersion + "), options: " + nodeJvmOptions);

    if (selected.contains("raw")) {
      guarded("raw", this::raw);
    }
    if (selected.contains("W1") || selected.contains("W2") || selected.contains("W3")) {
      guarded("W1-W3", () -> mainNode(selected));
    }
    if (selected.contains("W4")) {
      guarded("W4", this::recovery);
    }
    if (selected.contains("W5")) {
      guarded("W5", this::idleFootprint);
    }
    log("load average at the end: " + loadAverage());
    if (failures == 0 && !keep) {
      deleteRecursively(root);
    } else {
      log("kept " + root);
    }
    return failures == 0 ? 0 : 1;
  }

  private interface Step {
    void run() throws Exception;
  }

  private void guarded(String name, Step step) {
    try {
      step.run();
    } catch (Exception | AssertionError e) {
      failures++;
      out("bench workload=" + name + " error=\"" + String.valueOf(e.getMessage()).replace('"', '\'').replace('\n', ' ') + "\"");
      e.printStackTrace();
    }
  }

  // ---- raw ----

  private void raw() throws Exception {
    Path dir = Files.createDirectories(root.resolve("raw"));
    log("raw: " + rawRows + " journal-shaped rows into a fresh H2 file (WRITE_DELAY=0), " + rawBatch + " per commit");
    RawH2Insert.Result r = RawH2Insert.run(dir, Math.min(20_000, rawRows / 5), rawRows, rawBatch);
    out("bench workload=raw_h2_insert rows_per_s=" + Stats.f(r.rowsPerSecond(), 0) + " rows=" + r.rows()
        + " batch=" + r.batch() + " wall_s=" + Stats.f(r.seconds(), 2));
    RawH2Insert.Result single = RawH2Insert.run(Files.createDirectories(root.resolve("raw1")), 2_000,
        Math.max(5_000, rawRows / 20), 1);
    out("bench workload=raw_h2_insert rows_per_s=" + Stats.f(single.rowsPerSecond(), 0) + " rows=" + single.rows()
        + " batch=1 wall_s=" + Stats.f(single.seconds(), 2));
  }

  // ---- W1, W2, W3 on one node ----

  private void mainNode(Set<String> selected) throws Exception {
    try (Session s = Session.start(this, "main", null)) {
      warmUp(s);
      if (selected.contains("W1")) {
        guarded("W1", () -> {
          double peak = many(s, "W1", "w1-", n, Workflows::chain, Workflows.CHAIN_TASKS, true, 0);
          // The dispatch target is at half of the peak load: the same chains, submitted at half the rate
          // the node sustained (its wall time plus the time its event index took to catch up).
          many(s, "W1_half", "w1h-", n, Workflows::chain, Workflows.CHAIN_TASKS, true, peak / 2);
        });
      }
      if (selected.contains("W2")) {
        guarded("W2", () -> many(s, "W2", "w2-", n, Workflows::fanOutIn, Workflows.FAN_TASKS, true, 0));
      }
      if (selected.contains("W3")) {
        for (int size : w3Sizes) {
          guarded("W3", () -> wide(s, size));
        }
      }
    }
  }

  /**
   * Rounds of W1 and W2 until {@code --warm-up-s} have passed, then one small W3. A shorter warm-up measures the
   * JIT: after 300 W1 workflows its compiler threads still used more CPU than the node's actors, and W1 at one
   * in flight ran at 157 tasks/s instead of the 270 it reaches once compiled.
   */
  private void warmUp(Session s) {
    int count = quick ? 50 : 300;
    int wide = quick ? 200 : 500;
    log("warm-up: rounds of " + count + " W1 and " + count / 5 + " W2 workflows for " + warmUpSeconds
        + " s, then one W3 of " + wide + " tasks");
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmUpSeconds);
    int round = 0;
    do {
      requireOk("warm-up", s.driver.run("warm-w1-" + round + "-", count, Workflows::chain, inFlight, timeout()));
      requireOk("warm-up", s.driver.run("warm-w2-" + round + "-", count / 5, Workflows::fanOutIn, inFlight, timeout()));
      round++;
    } while (System.nanoTime() < until);
    requireOk("warm-up", s.driver.run("warm-w3-", 1, id -> Workflows.wide(id, wide, 10), 1, timeout()));
    log("warm-up: the node was quiet " + Stats.f(NodeCpu.awaitQuiet(s.node.pid(), SETTLE_LIMIT), 1) + " s later");
  }

  /**
   * A workload of many equal workflows (W1, W2): throughput, latency, dispatch, journal rows. At most {@code
   * perSecond} submissions a second (0: as many as {@code --in-flight} allows). Returns the workflows per second
   * it sustained: over its wall time and the time the node then took to settle.
   */
  private double many(Session s, String name, String prefix, int count, Function<String, String> definition,
                      int tasksPerWorkflow, boolean dispatch, double perSecond) {
    log(name + ": " + count + " workflows of " + tasksPerWorkflow + " tasks, " + inFlight + " in flight"
        + (perSecond > 0 ? ", submitted at " + Stats.f(perSecond, 1) + " a second" : ""));
    JournalProbe.Rows before = s.probe.rows();
    double cpuBefore = NodeCpu.millis(s.node.pid());
    Driver.Run run = s.driver.run(prefix, count, definition, inFlight, perSecond, timeout());
    double settleS = NodeCpu.awaitQuiet(s.node.pid(), SETTLE_LIMIT);
    double cpuMs = NodeCpu.millis(s.node.pid()) - cpuBefore;
    JournalProbe.Rows after = s.probe.rows();
    requireOk(name, run);
    double[] dispatchMs = dispatch ? dispatchTimes(s.driver, sample(run.ids(), dispatchSample)) : new double[0];
    long tasks = (long) count * tasksPerWorkflow;
    out(line(name, count, run.wallSeconds(), count, tasks, run.latencyMs(), dispatchMs,
        after.since(before) / (double) tasks, cpuPerTask(cpuMs, tasks) + settled(settleS, tasks, run.wallSeconds())
            + commitsPerTask(before, after, tasks) + dbSize(s.node)));
    return count / (run.wallSeconds() + settleS);
  }

  /** W3: one workflow of {@code size} tasks. */
  private void wide(Session s, int size) {
    int sample = 10;
    log("W3: one workflow of " + size + " tasks (" + (size - 1) + " independent, a join over " + sample + ")");
    JournalProbe.Rows before = s.probe.rows();
    double cpuBefore = NodeCpu.millis(s.node.pid());
    Driver.Run run = s.driver.run("w3-" + size + "-", 1, id -> Workflows.wide(id, size, sample), 1, timeout());
    double settleS = NodeCpu.awaitQuiet(s.node.pid(), SETTLE_LIMIT);
    double cpuMs = NodeCpu.millis(s.node.pid()) - cpuBefore;
    JournalProbe.Rows after = s.probe.rows();
    requireOk("W3", run);
    String id = run.ids().get(0);
    double[] dispatchMs;
    String source = "events";
    try {
      dispatchMs = dispatchTimes(s.driver, List.of(id));
    } catch (RuntimeException e) {
      log("W3: GET /workflows/" + id + "/events failed (" + e.getMessage() + "); dispatch from the task times of"
          + " GET /workflows/" + id);
      source = "workflow_view";
      dispatchMs = dispatchFromView(s.driver.getJson("/workflows/" + id, Duration.ofSeconds(120)));
    }
    out(line("W3", size, run.wallSeconds(), 1, size, run.latencyMs(), dispatchMs,
        after.since(before) / (double) size, " ms_per_task=" + Stats.f(run.wallSeconds() * 1000 / size, 3)
            + cpuPerTask(cpuMs, size) + settled(settleS, size, run.wallSeconds())
            + " dispatch_from=" + source + dbSize(s.node)));
  }

  // ---- W4 ----

  private void recovery() throws Exception {
    int count = w4Workflows;
    List<String> ids = new ArrayList<>();
    Map<String, WorkflowEnds.End> endedBeforeKill = new HashMap<>();
    Session s = Session.start(this, "w4", null);
    JournalProbe.Rows before;
    BenchNode node = s.node;
    try {
      requireOk("warm-up", s.driver.run("warm-w1-", quick ? 50 : 200, Workflows::chain, inFlight, timeout()));
      log("W4: " + count + " workflows (test/sleep " + w4SleepMs + " ms, then test/echo), kill -9 once all are accepted");
      before = s.probe.rows();
      List<java.util.concurrent.CompletableFuture<WorkflowEnds.End>> endings = new ArrayList<>();
      java.util.concurrent.Semaphore posts = new java.util.concurrent.Semaphore(inFlight);
      List<java.util.concurrent.CompletableFuture<?>> accepted = new ArrayList<>();
      long submitStart = System.nanoTime();
      for (int i = 0; i < count; i++) {
        String id = "w4-" + i;
        ids.add(id);
        endings.add(s.ends.expect(id));
        posts.acquire();
        accepted.add(http.sendAsync(s.driver.post(Workflows.sleeper(id, w4SleepMs)),
            java.net.http.HttpResponse.BodyHandlers.ofString()).whenComplete((r, e) -> posts.release())
            .thenAccept(r -> {
              if (r.statusCode() != 202) {
                throw new IllegalStateException("POST /workflows " + id + ": HTTP " + r.statusCode() + " " + r.body());
              }
            }));
      }
      java.util.concurrent.CompletableFuture.allOf(accepted.toArray(new java.util.concurrent.CompletableFuture[0]))
          .get(timeoutSeconds, TimeUnit.SECONDS);
      log("W4: " + count + " accepted in " + Stats.f((System.nanoTime() - submitStart) / 1e9, 2) + " s; kill -9");
      for (int i = 0; i < count; i++) {
        WorkflowEnds.End end = endings.get(i).getNow(null);
        if (end != null) {
          endedBeforeKill.put(ids.get(i), end);
        }
      }
      s.detach();
      node.kill9();
    } catch (Exception | AssertionError e) {
      s.close();
      throw e;
    }
    long restart = System.nanoTime();
    node.start(Duration.ofSeconds(120));
    long ready = System.nanoTime();
    double[] latency;
    long lastEnd;
    JournalProbe.Rows after;
    double[] dispatchMs;
    try (Session r = Session.attach(this, node)) {
      List<String> waiting = ids.stream().filter(id -> !endedBeforeKill.containsKey(id)).toList();
      Map<String, java.util.concurrent.CompletableFuture<WorkflowEnds.End>> futures = new HashMap<>();
      for (String id : waiting) {
        futures.put(id, r.ends.expect(id));
      }
      if (!endedBeforeKill.isEmpty()) {
        // Some ended before the kill (the sleep was shorter than the submission): the stream may not have
        // delivered the last of those ends before the kill, so ask once for every other one's status.
        for (String id : waiting) {
          String status = r.driver.getJson("/workflows/" + id, Duration.ofSeconds(30)).path("status").asText();
          if (!status.equals("running")) {
            r.ends.fail(id, new IllegalStateException("already " + status + " at the restart"));
            endedBeforeKill.put(id, new WorkflowEnds.End(id, status, restart));
          }
        }
        waiting = waiting.stream().filter(id -> !endedBeforeKill.containsKey(id)).toList();
        futures.keySet().retainAll(waiting);
      }
      java.util.concurrent.CompletableFuture.allOf(futures.values().toArray(new java.util.concurrent.CompletableFuture[0]))
          .handle((v, e) -> null).get(timeoutSeconds, TimeUnit.SECONDS);
      List<String> unfinished = new ArrayList<>();
      List<String> notCompleted = new ArrayList<>();
      List<Double> lat = new ArrayList<>();
      lastEnd = ready;
      for (String id : waiting) {
        WorkflowEnds.End end = futures.get(id).isCompletedExceptionally() ? null : futures.get(id).getNow(null);
        if (end == null) {
          unfinished.add(id);
        } else {
          lat.add((end.receivedNanos() - restart) / 1e6);
          lastEnd = Math.max(lastEnd, end.receivedNanos());
          if (!end.status().equals("completed")) {
            notCompleted.add(id + "=" + end.status());
          }
        }
      }
      after = r.probe.rows();
      if (!unfinished.isEmpty() || !notCompleted.isEmpty()) {
        JsonNode running = r.driver.getJson("/workflows?status=running&limit=5", Duration.ofSeconds(30));
        throw new AssertionError("W4: after the restart " + unfinished.size() + " of " + waiting.size()
            + " workflows did not end within " + timeoutSeconds + " s (e.g. " + unfinished.stream().limit(5).toList()
            + "), " + notCompleted.size() + " ended otherwise than completed " + notCompleted.stream().limit(5).toList()
            + "; GET /workflows?status=running: " + running + "; node stderr: " + node.stderrFile());
      }
      latency = lat.stream().mapToDouble(Double::doubleValue).toArray();
      dispatchMs = dispatchTimes(r.driver, sample(waiting, dispatchSample));
      r.node.stop();
    }
    double wall = (lastEnd - restart) / 1e9;
    long tasks = (long) count * Workflows.SLEEPER_TASKS;
    out(line("W4", count, wall, count - endedBeforeKill.size(), tasks, latency, dispatchMs,
        after.since(before) / (double) tasks, " ready_s=" + Stats.f((ready - restart) / 1e9, 2)
            + " ended_before_kill=" + endedBeforeKill.size() + " sleep_ms=" + w4SleepMs + dbSize(node)));
  }

  // ---- W5 ----

  private void idleFootprint() throws Exception {
    Path config = root.resolve("w5.conf");
    Files.writeString(config, "gleitzeit.engine.idle-passivation = " + w5Passivation + "\n");
    int count = w5Workflows;
    try (Session s = Session.start(this, "w5", config)) {
      int warm = quick ? 200 : 500;
      log("W5: warm-up of " + warm + " workflows, then waiting for their passivation (" + w5Passivation + " idle)");
      requireOk("warm-up", s.driver.run("w5warm-", warm, Workflows::single, inFlight, timeout()));
      awaitPassivated(s, "w5warm-", warm);
      awaitQuietForTheHeap(s);
      long jstatBefore = usedHeapAfterGc(nodeTools(), s.node.pid());
      long heapBefore = liveHeap(nodeTools(), s.node.pid(), root.resolve("w5-histogram-before.txt"));
      long cacheBefore = s.probe.h2CacheMb();
      log("W5: live heap " + heapBefore / 1024 + " KiB (jstat used after GC " + jstatBefore / 1024 + " KiB); " + count + " workflows of 1 task, " + inFlight + " in flight");
      JournalProbe.Rows before = s.probe.rows();
      Driver.Run run = s.driver.run("w5-", count, Workflows::single, inFlight, timeout());
      JournalProbe.Rows after = s.probe.rows();
      requireOk("W5", run);
      long passivationStart = System.nanoTime();
      awaitPassivated(s, "w5-", count);
      double passivationSeconds = (System.nanoTime() - passivationStart) / 1e9;
      awaitQuietForTheHeap(s);
      long jstatAfter = usedHeapAfterGc(nodeTools(), s.node.pid());
      long heapAfter = liveHeap(nodeTools(), s.node.pid(), root.resolve("w5-histogram-after.txt"));
      log("W5: class histograms before and after in " + root + " (kept with --keep)");
      long cacheAfter = s.probe.h2CacheMb();
      log("W5: live heap " + heapAfter / 1024 + " KiB (jstat " + jstatAfter / 1024 + " KiB) once all " + count + " were passivated");
      out(line("W5", count, run.wallSeconds(), count, count, run.latencyMs(), new double[0],
          after.since(before) / (double) count,
          " heap_per_wf_bytes=" + Stats.f((heapAfter - heapBefore) / (double) count, 0)
              + " heap_before_kb=" + heapBefore / 1024 + " heap_after_kb=" + heapAfter / 1024
              + " heap_per_wf_jstat_bytes=" + Stats.f((jstatAfter - jstatBefore) / (double) count, 0)
              + " heap_per_wf_excl_h2_cache_bytes="
              + Stats.f((heapAfter - heapBefore - (cacheAfter - cacheBefore) * 1024 * 1024) / (double) count, 0)
              + " h2_cache_mb_before=" + cacheBefore + " h2_cache_mb_after=" + cacheAfter
              + " passivated_after_s=" + Stats.f(passivationSeconds, 1) + dbSize(s.node)));
    }
  }

  /**
   * Waits until the node is quiet: the event index may still be indexing the workflows' events, and a
   * histogram taken meanwhile counts its batch in flight (a few MB) as heap of idle workflows.
   */
  private static void awaitQuietForTheHeap(Session s) {
    log("W5: the node was quiet " + Stats.f(NodeCpu.awaitQuiet(s.node.pid(), SETTLE_LIMIT), 1) + " s later");
  }

  /**
   * Waits until sharding has recorded {@code count} passivated workflows with this id prefix in the journal.
   * Passivation has no API event, so this is the one wait of the bench that checks a condition repeatedly
   * (every 500 ms, on the journal rows the passivations write) instead of reacting to an event.
   */
  private void awaitPassivated(Session s, String prefix, int count) {
    long deadline = System.nanoTime() + timeout().toNanos();
    while (true) {
      int stopped = s.probe.stopped(prefix);
      if (stopped >= count) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("only " + stopped + " of " + count + " workflows '" + prefix
            + "*' were passivated within " + timeoutSeconds + " s");
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500));
    }
  }

  /** Used heap of the node after two full GCs (jcmd GC.run), from jstat -gc: S0U + S1U + EU + OU. */
  private static long usedHeapAfterGc(Path bin, long pid) {
    exec(bin.resolve("jcmd").toString(), String.valueOf(pid), "GC.run");
    exec(bin.resolve("jcmd").toString(), String.valueOf(pid), "GC.run");
    String[] lines = exec(bin.resolve("jstat").toString(), "-gc", String.valueOf(pid)).trim().split("\n");
    String[] header = lines[0].trim().split("\\s+");
    String[] values = lines[lines.length - 1].trim().split("\\s+");
    double kb = 0;
    for (int i = 0; i < header.length; i++) {
      if (Set.of("S0U", "S1U", "EU", "OU").contains(header[i])) {
        kb += Double.parseDouble(values[i]);
      }
    }
    return (long) (kb * 1024);
  }

  /**
   * The node's live objects in bytes: the total of {@code jcmd GC.class_histogram} (itself a full GC), which is
   * written to {@code file} so that what an idle workflow leaves behind can be looked up by class.
   */
  private static long liveHeap(Path bin, long pid, Path file) throws IOException {
    Path jcmd = bin.resolve("jcmd");
    String histogram = exec(jcmd.toString(), String.valueOf(pid), "GC.class_histogram");
    Files.writeString(file, histogram);
    for (String line : histogram.split("\n")) {
      String[] parts = line.trim().split("\\s+");
      if (parts.length == 3 && parts[0].equals("Total")) {
        return Long.parseLong(parts[2]);
      }
    }
    throw new IllegalStateException("no Total line in jcmd GC.class_histogram: " + file);
  }

  private static String exec(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
      }
      return output;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  // ---- dispatch times ----

  /**
   * For every task with dependencies in these workflows: from the last of its dependencies'
   * {@code task:completed} to its {@code task:started}, by the events' timestamps (ms).
   */
  private static double[] dispatchTimes(Driver driver, List<String> workflowIds) {
    List<Double> out = new ArrayList<>();
    for (String id : workflowIds) {
      JsonNode events = driver.getJson("/workflows/" + id + "/events", Duration.ofSeconds(120)).path("events");
      Map<String, List<String>> deps = new HashMap<>();
      Map<String, Instant> completed = new HashMap<>();
      Map<String, Instant> started = new HashMap<>();
      for (JsonNode e : events) {
        String task = e.path("task_id").asText(null);
        switch (e.path("event_type").asText()) {
          case "task:created" -> {
            List<String> d = new ArrayList<>();
            e.path("payload").path("dependencies").forEach(x -> d.add(x.asText()));
            deps.put(task, d);
          }
          case "task:started" -> started.put(task, Instant.parse(e.path("timestamp").asText()));
          case "task:completed" -> completed.put(task, Instant.parse(e.path("timestamp").asText()));
          default -> { }
        }
      }
      addDispatches(out, deps, completed, started);
    }
    return out.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /** The same from {@code GET /workflows/{id}}: tasks' dependencies, started_at and completed_at. */
  private static double[] dispatchFromView(JsonNode workflow) {
    Map<String, List<String>> deps = new HashMap<>();
    Map<String, Instant> completed = new HashMap<>();
    Map<String, Instant> started = new HashMap<>();
    for (JsonNode t : workflow.path("tasks")) {
      String id = t.path("id").asText();
      List<String> d = new ArrayList<>();
      t.path("dependencies").forEach(x -> d.add(x.asText()));
      deps.put(id, d);
      if (t.hasNonNull("started_at")) {
        started.put(id, Instant.parse(t.path("started_at").asText()));
      }
      if (t.hasNonNull("completed_at")) {
        completed.put(id, Instant.parse(t.path("completed_at").asText()));
      }
    }
    List<Double> out = new ArrayList<>();
    addDispatches(out, deps, completed, started);
    return out.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static void addDispatches(List<Double> out, Map<String, List<String>> deps, Map<String, Instant> completed,
                                    Map<String, Instant> started) {
    deps.forEach((task, ds) -> {
      if (ds.isEmpty() || !started.containsKey(task) || !ds.stream().allMatch(completed::containsKey)) {
        return;
      }
      Instant last = ds.stream().map(completed::get).max(Comparator.naturalOrder()).orElseThrow();
      out.add((double) Duration.between(last, started.get(task)).toMillis());
    });
  }

  private static List<String> sample(List<String> ids, int size) {
    if (ids.size() <= size) {
      return ids;
    }
    List<String> out = new ArrayList<>(size);
    double step = ids.size() / (double) size;
    for (int i = 0; i < size; i++) {
      out.add(ids.get((int) (i * step)));
    }
    return out;
  }

  // ---- output ----

  private static String line(String name, long n, double wallSeconds, long workflows, long tasks, double[] latencyMs,
                             double[] dispatchMs, double rowsPerTask, String extra) {
    return "bench workload=" + name + " n=" + n
        + " wall_s=" + Stats.f(wallSeconds, 2)
        + " wf_per_s=" + Stats.f(workflows / wallSeconds, 1)
        + " tasks_per_s=" + Stats.f(tasks / wallSeconds, 1)
        + " p50_ms=" + Stats.f(Stats.percentile(latencyMs, 50), 1)
        + " p95_ms=" + Stats.f(Stats.percentile(latencyMs, 95), 1)
        + " p99_ms=" + Stats.f(Stats.percentile(latencyMs, 99), 1)
        + " dispatch_p50_ms=" + Stats.f(Stats.percentile(dispatchMs, 50), 0)
        + " dispatch_p99_ms=" + Stats.f(Stats.percentile(dispatchMs, 99), 0)
        + " journal_rows_per_task=" + Stats.f(rowsPerTask, 2)
        + extra + " node_java=" + nodeJavaVersion;
  }

  /**
   * Seconds the node stayed busy after the workload's last workflow ended (its CPU counts in
   * node_cpu_ms_per_task), mostly the event index catching up with the journal, and the tasks per second
   * counting that time: the rate the node can keep up for good.
   */
  private static String settled(double seconds, long tasks, double wallSeconds) {
    return " settle_s=" + Stats.f(seconds, 1) + " sustained_tasks_per_s=" + Stats.f(tasks / (wallSeconds + seconds), 1);
  }

  /** Journal commits (H2 store versions, each a chunk written to the file) per task: writes batched or not. */
  private static String commitsPerTask(JournalProbe.Rows before, JournalProbe.Rows after, long tasks) {
    return " journal_commits_per_task=" + Stats.f(after.commitsSince(before) / (double) tasks, 2);
  }

  /** The node's CPU time per task: comparable across runs even when other work shares the machine. */
  private static String cpuPerTask(double cpuMs, long tasks) {
    return cpuMs < 0 ? "" : " node_cpu_ms_per_task=" + Stats.f(cpuMs / tasks, 2);
  }

  /** The size of the journal's H2 file now (WRITE_DELAY=0 makes it grow under load until compacted). */
  private static String dbSize(BenchNode node) {
    try {
      return " db_file_mb=" + Stats.f(Files.size(node.dataDir().resolve("journal.mv.db")) / 1048576.0, 0);
    } catch (IOException e) {
      return "";
    }
  }

  private static void out(String line) {
    System.out.println(line);
    System.out.flush();
  }

  static void log(String message) {
    System.err.println("bench: " + message);
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }

  private Duration timeout() {
    return Duration.ofSeconds(timeoutSeconds);
  }

  private static void requireOk(String name, Driver.Run run) {
    if (!run.ok()) {
      throw new AssertionError(name + ": " + run.problems());
    }
  }

  /** The java executable of {@code javaOrHome} (a JDK directory or the executable itself); the bench's own if null. */
  private static Path javaExecutable(Path javaOrHome) {
    if (javaOrHome == null) {
      return Path.of(System.getProperty("java.home"), "bin", "java");
    }
    return Files.isDirectory(javaOrHome) ? javaOrHome.resolve("bin").resolve("java") : javaOrHome;
  }

  /** The directory of the node's java, whose jcmd and jstat can attach to it (the bench's own may be older). */
  private Path nodeTools() {
    return nodeJava.toAbsolutePath().getParent();
  }

  /** The version {@code java -version} prints (the quoted part of its first line), or "unknown". */
  private static String javaVersion(Path java) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(java.toString(), "-version").redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new CommandLine.ParameterException(new CommandLine(new Bench()), "--node-java: " + java
          + " -version failed: " + output.strip());
    }
    int open = output.indexOf('"');
    int close = output.indexOf('"', open + 1);
    return open >= 0 && close > open ? output.substring(open + 1, close) : "unknown";
  }

  private List<String> jvmOptions() {
    return Arrays.stream(nodeJvmOptions.trim().split("\\s+")).filter(s -> !s.isEmpty()).toList();
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      log("could not delete " + dir + ": " + e);
    }
  }

  /** A node, the bench's one event stream to it, its journal probe and a driver. */
  private static final class Session implements AutoCloseable {
    final BenchNode node;
    final WorkflowEnds ends;
    final JournalProbe probe;
    final Driver driver;
    private boolean detached;

    private Session(BenchNode node, WorkflowEnds ends, JournalProbe probe, Driver driver) {
      this.node = node;
      this.ends = ends;
      this.probe = probe;
      this.driver = driver;
    }

    static Session start(Bench bench, String name, Path config) throws IOException {
      Path data = bench.root.resolve(name + "-data");
      BenchNode node = new BenchNode(data, bench.root, bench.nodeJava, bench.jvmOptions(), BenchNode.jdbcUrlFor(data),
          config);
      long t0 = System.nanoTime();
      node.start(Duration.ofSeconds(120));
      log("node " + name + " ready in " + Stats.f((System.nanoTime() - t0) / 1e9, 2) + " s at " + node.baseUrl()
          + " (pid " + node.pid() + ")");
      try {
        return attach(bench, node);
      } catch (RuntimeException e) {
        node.close();
        throw e;
      }
    }

    static Session attach(Bench bench, BenchNode node) {
      WorkflowEnds ends = WorkflowEnds.open(bench.http, node.baseUrl());
      JournalProbe probe = new JournalProbe(BenchNode.jdbcUrlFor(node.dataDir()));
      return new Session(node, ends, probe, new Driver(bench.http, node.baseUrl(), ends));
    }

    /** Closes the stream and the journal connection, leaving the node running (to be killed). */
    void detach() {
      if (!detached) {
        detached = true;
        probe.close();
        ends.close();
      }
    }

    @Override
    public void close() {
      detach();
      node.stop();
    }
  }
}
