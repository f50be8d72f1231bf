package io.gleitzeit.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Set;

/** What the cluster tests share: where their clusters live, and the workflow they run under load. */
final class ClusterRuns {

  /** The tasks of {@link #definition}. */
  static final Set<String> TASKS = Set.of("a", "long", "short", "z");

  private ClusterRuns() {}

  /** A fresh directory for one cluster under target/it-cluster (.ci/run stops whatever is left running there). */
  static Path dataDir(String name) {
    try {
      return Files.createDirectories(Path.of("target", "it-cluster", name + "-"
          + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS")))).toAbsolutePath();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Workflow {@code i}: an echo, then a long test/sleep (2 to 3.5 s, so that a node dies while its provider runs
   * some) beside a short one, then an echo that reads the long one's result.
   */
  static String definition(String prefix, int i) {
    int longMs = 2000 + (i % 4) * 500;
    return """
        {"id": "%s%d", "tasks": [
          {"id": "a", "method": "test/echo", "params": {"n": %d}},
          {"id": "long", "method": "test/sleep", "params": {"ms": %d}, "dependencies": ["a"]},
          {"id": "short", "method": "test/sleep", "params": {"ms": 100}, "dependencies": ["a"]},
          {"id": "z", "method": "test/echo", "dependencies": ["long", "short"],
           "params": {"n": "${a.result.n}", "slept": "${long.result.slept_ms}"}}
        ]}
        """.formatted(prefix, i, i, longMs);
  }

  /** A figure for the build log, where the README's numbers come from. */
  static void report(String line) {
    System.out.println("[cluster] " + line);
  }
}
