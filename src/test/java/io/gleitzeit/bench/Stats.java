package io.gleitzeit.bench;

import java.util.Arrays;
import java.util.Locale;

/** Percentiles (nearest rank) and the number formats of the bench's output lines. */
final class Stats {
  private Stats() {}

  /** The p-th percentile (0 &lt; p &le; 100) by nearest rank, or NaN for no values. */
  static double percentile(double[] values, double p) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  static String f(double value, int decimals) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      return "na";
    }
    return String.format(Locale.ROOT, "%." + decimals + "f", value);
  }
}
