package io.gleitzeit.provider;

import java.time.Duration;
import java.util.List;

/**
 * What a {@link SupervisedExecutor} says about itself: up with the methods it serves now, or down with the
 * reason and when it tries again.
 *
 * @param up        whether it takes work
 * @param methods   the methods it serves while up (empty while down)
 * @param reason    why it is down (null while up)
 * @param nextTryIn how long until its next attempt to come back (null while up, or when it will not try again)
 */
public record Availability(boolean up, List<String> methods, String reason, Duration nextTryIn) {

  public Availability {
    methods = List.copyOf(methods);
  }

  public static Availability up(List<String> methods) {
    return new Availability(true, methods, null, null);
  }

  public static Availability down(String reason, Duration nextTryIn) {
    return new Availability(false, List.of(), reason, nextTryIn);
  }
}
