package io.gleitzeit.provider;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Cancels a call that stays quiet too long: no {@link #heard()} for {@code limit} (from its start when it is never
 * told of progress). Java's HTTP client times a request out only until the response headers arrive; a body that
 * then trickles or stalls (a server sending a byte every half second, an LLM stream that stops after its first
 * tokens) held its task and the provider's slot for as long as the server liked.
 */
public final class QuietCallWatch {

  /** One timer thread for every watch; a check of a call that ended is dropped at once, with what it holds. */
  private static final ScheduledThreadPoolExecutor TIMER = timer();

  private final long limitNanos;
  private volatile CompletableFuture<?> call;
  private volatile long lastHeard = System.nanoTime();
  private volatile boolean fired;
  private volatile ScheduledFuture<?> next;

  /** A watch that allows {@code limit} of quiet; it watches nothing until {@link #watch}. */
  public QuietCallWatch(Duration limit) {
    this.limitNanos = limit.toNanos();
  }

  /** Watches {@code call} from now on, until it ends; returns this watch. */
  public QuietCallWatch watch(CompletableFuture<?> call) {
    this.call = call;
    lastHeard = System.nanoTime();
    checkIn(limitNanos);
    call.whenComplete((result, failure) -> next.cancel(false));
    return this;
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
    next = TIMER.schedule(this::check, nanos, TimeUnit.NANOSECONDS);
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

  private static ScheduledThreadPoolExecutor timer() {
    ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "gleitzeit-quiet-call-watch");
      t.setDaemon(true);
      return t;
    });
    timer.setRemoveOnCancelPolicy(true);
    return timer;
  }
}
