package io.gleitzeit.testing;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/** The clock an entity under test decides with; tests move it, in step with ManualTime where timers matter. */
public final class MutableClock implements InstantSource {
  private volatile Instant now;

  public MutableClock(Instant start) {
    this.now = start;
  }

  @Override
  public Instant instant() {
    return now;
  }

  public void advance(Duration d) {
    now = now.plus(d);
  }

  public void set(Instant instant) {
    now = instant;
  }
}
