package io.gleitzeit.provider.script;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.provider.TaskExecutor;
import io.gleitzeit.provider.TaskFailure;
import io.gleitzeit.provider.TaskKey;
import io.gleitzeit.provider.TaskRequest;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The built-in {@code script} provider: {@code script/run} starts an allow-listed program with
 * {@link ProcessBuilder} (arguments as a list, never through a shell) on threads of its own, never an actor's:
 * one waits for the process, two drain its output, one feeds its stdin. The result is
 * {@code {exit_code, stdout, stderr, json, stdout_truncated, stderr_truncated}}; a non-zero exit fails for good
 * with the tail of stderr; a timeout kills the process tree and fails retryably; {@link #cancel} kills it.
 */
public final class ScriptExecutor implements TaskExecutor {

  public static final List<String> METHODS = List.of("script/run");

  /** How long output readers may take after the process ended (a detached grandchild may hold the pipes). */
  private static final long DRAIN_GRACE_MS = 2_000;
  static final int STDERR_TAIL_CHARS = 2_000;

  private static final AtomicInteger THREADS = new AtomicInteger();

  /**
   * Runs a program so that the kernel kills it when its parent ends ({@code prctl(PR_SET_PDEATHSIG)}, util-linux's
   * {@code setpriv}): after a kill -9 of the node, the attempt its restarted provider reports as stopped must not
   * go on and do its work a second time beside the new attempt. The parent the kernel watches is the thread that
   * started the process, which waits for it to end ({@link #run}). Empty where {@code setpriv} is missing: the
   * process then outlives a crashed node (README "Decisions").
   */
  static final List<String> PARENT_DEATH_SIGNAL = java.util.stream.Stream.of("/usr/bin/setpriv", "/bin/setpriv")
      .filter(path -> java.nio.file.Files.isExecutable(java.nio.file.Path.of(path))).findFirst()
      .map(path -> List.of(path, "--pdeathsig", "KILL", "--")).orElse(List.of());

  private final ScriptSettings settings;
  private final Map<String, String> nodeEnvironment;
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "gleitzeit-script-" + THREADS.incrementAndGet());
    t.setDaemon(true);
    return t;
  });
  private final Map<TaskKey, Run> running = new ConcurrentHashMap<>();

  /** One attempt's process, once started; {@code cancelled} may come first. */
  private static final class Run {
    volatile Process process;
    volatile boolean cancelled;
  }

  public ScriptExecutor(ScriptSettings settings) {
    this(settings, System.getenv());
  }

  ScriptExecutor(ScriptSettings settings, Map<String, String> nodeEnvironment) {
    this.settings = settings;
    this.nodeEnvironment = Map.copyOf(nodeEnvironment);
  }

  @Override
  public CompletionStage<JsonNode> execute(TaskRequest request, Runnable started) {
    if (!"script/run".equals(request.method())) {
      return CompletableFuture.failedFuture(
          new TaskFailure("the script provider does not serve " + request.method(), false));
    }
    ScriptParams params;
    try {
      params = ScriptParams.parse(request.params(), settings);
    } catch (TaskFailure f) {
      return CompletableFuture.failedFuture(f);
    }
    CompletableFuture<JsonNode> outcome = new CompletableFuture<>();
    Run run = new Run();
    running.put(request.key(), run);
    threads.execute(() -> {
      try {
        outcome.complete(run(run, params, started));
      } catch (TaskFailure f) {
        outcome.completeExceptionally(f);
      } catch (Throwable t) {
        outcome.completeExceptionally(new TaskFailure("script/run " + params.name() + " failed: " + t, true));
      } finally {
        running.remove(request.key(), run);
      }
    });
    return outcome;
  }

  @Override
  public void cancel(TaskKey key) {
    Run run = running.get(key);
    if (run != null) {
      run.cancelled = true;
      Process p = run.process;
      if (p != null) {
        ProcessTree.kill(p.toHandle());
      }
    }
  }

  /**
   * The node stops: every process still running is killed with what it started. Its attempt runs again as a new
   * attempt once its provider is found gone; the old one must not go on beside it.
   */
  @Override
  public void close() {
    running.keySet().forEach(this::cancel);
  }

  private JsonNode run(Run run, ScriptParams params, Runnable started) throws InterruptedException {
    if (run.cancelled) {
      throw new TaskFailure("script/run " + params.name() + " was cancelled", false);
    }
    if (!java.nio.file.Files.isExecutable(params.program())) { // said here: setpriv would only exit 127
      throw new TaskFailure("script/run: cannot start " + params.program() + ": not an executable file", false);
    }
    List<String> commandLine = new java.util.ArrayList<>(PARENT_DEATH_SIGNAL);
    commandLine.addAll(ProcessTree.OWN_GROUP);
    commandLine.addAll(params.commandLine());
    ProcessBuilder builder = new ProcessBuilder(commandLine);
    builder.environment().clear();
    builder.environment().putAll(params.environment(settings.envWhitelist(), nodeEnvironment));
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new TaskFailure("script/run: cannot start " + params.program() + ": " + e.getMessage(), false);
    }
    run.process = process;
    if (run.cancelled) { // cancel() ran before the process was visible to it
      ProcessTree.kill(process.toHandle());
    }
    started.run();
    BoundedOutput stdout = new BoundedOutput(settings.maxOutputBytes(), false);
    BoundedOutput stderr = new BoundedOutput(settings.maxOutputBytes(), true);
    Future<?> out = threads.submit(() -> {
      stdout.drain(process.getInputStream());
      return null;
    });
    Future<?> err = threads.submit(() -> {
      stderr.drain(process.getErrorStream());
      return null;
    });
    threads.execute(() -> feed(process, params.stdin()));
    boolean exited = process.waitFor(params.timeout().toMillis(), TimeUnit.MILLISECONDS);
    if (!exited) {
      ProcessTree.kill(process.toHandle());
      awaitDrained(out, err);
      throw new TaskFailure("script/run " + params.name() + " timed out after " + params.timeout().toMillis()
          + " ms; the process was killed" + tail(stderr), true);
    }
    awaitDrained(out, err);
    if (run.cancelled) {
      throw new TaskFailure("script/run " + params.name() + " was cancelled", false);
    }
    int exit = process.exitValue();
    if (exit != 0) {
      throw new TaskFailure("script/run " + params.name() + " exited with code " + exit + tail(stderr), false);
    }
    ObjectNode result = Json.MAPPER.createObjectNode().put("exit_code", exit);
    String text = stdout.text();
    result.put("stdout", text).put("stderr", stderr.text());
    result.set("json", stdout.truncated() ? null : json(text));
    result.put("stdout_truncated", stdout.truncated()).put("stderr_truncated", stderr.truncated());
    return result;
  }

  private static void feed(Process process, String stdin) {
    try (OutputStream in = process.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      // the process closed its stdin or ended early: what it did not read does not matter
    }
  }

  private static void awaitDrained(Future<?> out, Future<?> err) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRAIN_GRACE_MS);
    for (Future<?> f : List.of(out, err)) {
      try {
        f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        // keep what was read: a detached descendant may still hold the pipe open
      }
    }
  }

  private static String tail(BoundedOutput stderr) {
    String text = stderr.text().strip();
    if (text.isEmpty()) {
      return "";
    }
    return ": " + (text.length() > STDERR_TAIL_CHARS ? "..." + text.substring(text.length() - STDERR_TAIL_CHARS)
        : text);
  }

  /** stdout as JSON when it is one JSON document, else null. */
  static JsonNode json(String stdout) {
    String s = stdout.strip();
    if (s.isEmpty()) {
      return null;
    }
    try {
      return Json.MAPPER.readTree(s);
    } catch (IOException e) {
      return null;
    }
  }
}
