package io.gleitzeit.events;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.UUID;

/**
 * The {@code event_id} of a persisted envelope (SPEC §4): stable, because it is derived from what the journal
 * holds — the stream's persistence id, the envelope's sequence number and the time of the journal event that
 * yields it — and time-ordered, in the layout of an RFC 9562 version 7 UUID: 48 bits of Unix milliseconds, then
 * 74 bits of an MD5 hash of {@code <persistence id>#<sequence>} where a version 7 UUID has random bits.
 *
 * <p>Why time-ordered: the event index keeps a unique index on {@code event_id}. With ids in random order
 * (name-based UUIDs, as before) every indexed envelope landed on a random page of that index, each of H2's writes
 * rewrote thousands of them, and its page cache could not hold them. Ids that grow with time are appended at the
 * index's right edge: benchmark W1 went from 2.7-2.9 to 1.1-1.3 ms of node CPU per task (README "Benchmarks").
 */
public final class EventIds {

  private EventIds() {}

  public static String of(String persistenceId, long sequence, Instant at) {
    byte[] hash = md5(persistenceId + "#" + sequence);
    long millis = at.toEpochMilli() & 0xFFFF_FFFF_FFFFL;
    long high = (millis << 16) | 0x7000L | ((hash[0] & 0x0FL) << 8) | (hash[1] & 0xFFL);
    long low = 0L;
    for (int i = 2; i < 10; i++) {
      low = (low << 8) | (hash[i] & 0xFFL);
    }
    low = (low & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
    return new UUID(high, low).toString();
  }

  private static byte[] md5(String name) {
    try {
      return MessageDigest.getInstance("MD5").digest(name.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has MD5", e);
    }
  }
}
