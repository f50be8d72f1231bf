package io.gleitzeit.node;

import java.io.PrintStream;

/**
 * Standard output without the line pekko-projection-jdbc 1.0.0 (the newest served here) prints whenever a
 * projection stops, {@code # stop org.apache.pekko.projection...}: a debugging {@code println} left in the
 * library, which a stopping node and the demo would otherwise print after their own last line. Scala's
 * {@code println} reaches Java's {@link PrintStream#println(Object)}; the rest passes through.
 */
final class ProjectionStopLines extends PrintStream {

  private static final String PREFIX = "# stop org.apache.pekko.projection.";

  private ProjectionStopLines(PrintStream out) {
    super(out, true);
  }

  /** Replaces {@code System.out}; call before anything captures it (Scala's {@code Console} does, once). */
  static void dropFromStandardOutput() {
    System.setOut(new ProjectionStopLines(System.out));
  }

  static boolean isStopLine(Object line) {
    return line instanceof String s && s.startsWith(PREFIX);
  }

  @Override
  public void println(Object x) {
    if (!isStopLine(x)) {
      super.println(x);
    }
  }

  @Override
  public void println(String x) {
    if (!isStopLine(x)) {
      super.println(x);
    }
  }
}
