package io.gleitzeit.testing;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An {@link ExternalWorker} running as its own JVM on this test run's class path, so that a test can
 * {@code kill -9} it. Its stdout is copied to {@code <logDir>/<id>.stdout.log} (and read for the ready line),
 * its stderr to {@code <id>.stderr.log}. Close it in try-with-resources: {@link #close()} kills it if still alive.
 */
public final class WorkerProcess implements AutoCloseable {

  private final Process process;
  private final String providerId;
  private final Path stdout;
  private final Path stderr;
  private final CompletableFuture<String> ready = new CompletableFuture<>();

  private WorkerProcess(Process process, String providerId, Path stdout, Path stderr) {
    this.process = process;
    this.providerId = providerId;
    this.stdout = stdout;
    this.stderr = stderr;
    Thread t = new Thread(this::copyStdout, "worker-stdout-" + providerId);
    t.setDaemon(true);
    t.start();
  }

  /** Starts the worker JVM; see {@link #awaitReady}. */
  public static WorkerProcess launch(ExternalWorker.Options options, String providerId, Path logDir) {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), ExternalWorker.class.getName()));
    command.addAll(options.toArgs());
    Path out = logDir.resolve(providerId + ".stdout.log");
    Path err = logDir.resolve(providerId + ".stderr.log");
    ProcessBuilder pb = new ProcessBuilder(command).redirectError(err.toFile())
        .redirectOutput(ProcessBuilder.Redirect.PIPE).redirectInput(ProcessBuilder.Redirect.PIPE);
    try {
      Files.createDirectories(logDir);
      Process p = pb.start();
      p.getOutputStream().close();
      return new WorkerProcess(p, providerId, out, err);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start worker " + command, e);
    }
  }

  private void copyStdout() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
         BufferedWriter copy = Files.newBufferedWriter(stdout, StandardCharsets.UTF_8)) {
      String line;
      while ((line = in.readLine()) != null) {
        copy.write(line);
        copy.newLine();
        copy.flush();
        if (line.startsWith(ExternalWorker.READY_PREFIX)) {
          ready.complete(line);
        }
      }
    } catch (IOException e) {
      // the process died: handled below
    }
    ready.completeExceptionally(new IllegalStateException("stdout closed before the ready line"));
  }

  /** Waits until the worker is registered, connected and welcomed; an AssertionError with its logs if not. */
  public WorkerProcess awaitReady(Duration timeout) {
    try {
      ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return this;
    } catch (Exception e) {
      process.destroyForcibly();
      throw new AssertionError("worker " + providerId + " did not get ready within " + timeout.toSeconds() + " s ("
          + e + "); stdout:\n" + read(stdout) + "\nstderr:\n" + read(stderr));
    }
  }

  /** SIGKILL; returns once the process is gone. */
  public void kill9() {
    process.destroyForcibly();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        throw new AssertionError("worker " + providerId + " survived SIGKILL for 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  public String providerId() {
    return providerId;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
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
}
