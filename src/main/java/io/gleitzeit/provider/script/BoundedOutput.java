package io.gleitzeit.provider.script;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A process's output stream drained completely but kept only up to a limit, so a chatty process cannot exhaust
 * memory: the first bytes ({@code keepTail} false, for stdout) or the last ones ({@code keepTail} true, for
 * stderr, whose end says why a process failed).
 */
final class BoundedOutput {

  private final int limit;
  private final boolean keepTail;
  private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
  private long total;

  BoundedOutput(int limit, boolean keepTail) {
    this.limit = limit;
    this.keepTail = keepTail;
  }

  /** Reads {@code in} to its end (blocking: call on a worker thread). */
  void drain(InputStream in) throws IOException {
    byte[] buffer = new byte[8192];
    int n;
    while ((n = in.read(buffer)) >= 0) {
      add(buffer, n);
    }
  }

  synchronized void add(byte[] buffer, int n) {
    total += n;
    if (!keepTail) {
      int room = limit - kept.size();
      if (room > 0) {
        kept.write(buffer, 0, Math.min(room, n));
      }
      return;
    }
    kept.write(buffer, 0, n);
    if (kept.size() > 2 * limit) { // compact now and then, not on every write
      byte[] all = kept.toByteArray();
      kept.reset();
      kept.write(all, all.length - limit, limit);
    }
  }

  synchronized boolean truncated() {
    return total > limit;
  }

  /** The kept bytes as UTF-8 text (a cut multi-byte character becomes U+FFFD). */
  synchronized String text() {
    byte[] all = kept.toByteArray();
    if (all.length > limit) {
      all = Arrays.copyOfRange(all, all.length - limit, all.length);
    }
    return new String(all, StandardCharsets.UTF_8);
  }
}
