package io.gleitzeit.provider;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Cancels a call that stays quiet too long: no {@link #heard()} for {@code limit} (from its start when it is never
 * told of progress). Java's HTTP client times a request out only until the response headers arrive; a body that
 * then trickles or stalls (a server sending a byte every half second, an LLM stream that stops after its first
 * tokens) held its task and the provider's slot for as long as the server liked.
 */
public final class QuietCallWatch {

  private final CompletableFuture<?> call;
  private final long limitNanos;
  private volatile long lastHeard = System.nanoTime();
  private volatile boolean fired;

  private QuietCallWatch(CompletableFuture<?> call, Duration limit) {
    this.call = call;
    this.limitNanos = limit.toNanos();
  }

  /** Watches {@code call} from now on. */
  public static QuietCallWatch start(CompletableFuture<?> call, Duration limit) {
    QuietCallWatch watch = new QuietCallWatch(call, limit);
    watch.checkIn(watch.limitNanos);
    return watch;
  }

  /** The call made progress (a line of a stream arrived): its quiet time starts again. */
  public void heard() {
    lastHeard = System.nanoTime();
  }

  /** Whether this watch cancelled the call. */
  public boolean fired() {
    return fired;
  }

  private void checkIn(long nanos) {
    // A timer, not a thread: the check runs once, and is scheduled again only while the call goes on.
    CompletableFuture.delayedExecutor(nanos, TimeUnit.NANOSECONDS).execute(this::check);
  }

  private void check() {
    if (call.isDone()) {
      return;
    }
    long quiet = System.nanoTime() - lastHeard;
    if (quiet >= limitNanos) {
      fired = true;
      call.cancel(true);
    } else {
      checkIn(limitNanos - quiet);
    }
  }
}
