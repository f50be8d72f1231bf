package io.gleitzeit.events;

import com.typesafe.config.Config;
import java.time.Duration;

/** The {@code gleitzeit.retention} section (conf/retention.conf), read once at start-up. */
public record RetentionSettings(boolean enabled, Duration finishedOlderThan, Duration interval, int batchSize) {

  public static RetentionSettings from(Config config) {
    Config c = config.getConfig("gleitzeit.retention");
    RetentionSettings s = new RetentionSettings(c.getBoolean("enabled"), c.getDuration("finished-older-than"),
        c.getDuration("interval"), c.getInt("batch-size"));
    if (s.finishedOlderThan.isNegative() || s.interval.isZero() || s.interval.isNegative() || s.batchSize < 1) {
      throw new IllegalArgumentException("gleitzeit.retention: finished-older-than must be >= 0, interval > 0 and "
          + "batch-size >= 1, got " + s);
    }
    return s;
  }
}
