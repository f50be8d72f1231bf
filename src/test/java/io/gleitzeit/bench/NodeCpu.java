package io.gleitzeit.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.locks.LockSupport;

/**
 * CPU time the node's JVM has used (user + system, from /proc). Unlike wall time it barely moves when other
 * work shares the machine, so it compares engine versions on a busy 2-core box: CPU milliseconds per task.
 */
final class NodeCpu {

  /** Linux reports /proc times in clock ticks; 100 per second on every common configuration. */
  private static final double MS_PER_TICK = 10.0;

  private NodeCpu() {}

  /**
   * A node using less than this share of one core over the last second is quiet. Not 0: after a burst the
   * JIT's compiler threads go on for a while at 10–30 % of a core, which is the warm-up's cost, not the load's.
   */
  private static final double QUIET_SHARE = 0.2;

  /**
   * Waits until the node has used less than a fifth of a core over the last second, or {@code limit} has passed,
   * and returns the seconds it waited. Work a workload leaves behind (the event index catching up with the
   * journal, chunk compaction) then counts for that workload and not for the next one.
   */
  static double awaitQuiet(long pid, Duration limit) {
    long start = System.nanoTime();
    Deque<double[]> window = new ArrayDeque<>(); // {nanos, cpu ms}
    while (System.nanoTime() - start < limit.toNanos()) {
      double now = System.nanoTime();
      double cpu = millis(pid);
      if (cpu < 0) {
        return 0;
      }
      window.addLast(new double[] {now, cpu});
      while (now - window.peekFirst()[0] > 1e9) {
        double[] oldest = window.pollFirst();
        double busy = cpu - oldest[1];
        if (busy < QUIET_SHARE * (now - oldest[0]) / 1e6) {
          return (now - start) / 1e9;
        }
      }
      LockSupport.parkNanos(100_000_000L);
    }
    return limit.toNanos() / 1e9;
  }

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
