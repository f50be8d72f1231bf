package io.gleitzeit.node;

import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;

/** The engine's clock: SPEC timestamps have millisecond precision, so decisions are taken at that precision too. */
public final class MillisecondClock implements InstantSource {
  @Override
  public Instant instant() {
    return Instant.now().truncatedTo(ChronoUnit.MILLIS);
  }
}
