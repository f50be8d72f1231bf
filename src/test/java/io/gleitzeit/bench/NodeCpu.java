package io.gleitzeit.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time the node's JVM has used (user + system, from /proc). Unlike wall time it barely moves when other
 * work shares the machine, so it compares engine versions on a busy 2-core box: CPU milliseconds per task.
 */
final class NodeCpu {

  /** Linux reports /proc times in clock ticks; 100 per second on every common configuration. */
  private static final double MS_PER_TICK = 10.0;

  private NodeCpu() {}

  /** The node's CPU time so far in milliseconds, or -1 where /proc cannot tell (not Linux). */
  static double millis(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // The command name (field 2) is in parentheses and may hold spaces: count fields after its end.
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long utime = Long.parseLong(fields[11]);
      long stime = Long.parseLong(fields[12]);
      return (utime + stime) * MS_PER_TICK;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
