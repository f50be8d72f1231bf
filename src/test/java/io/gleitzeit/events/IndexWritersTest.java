package io.gleitzeit.events;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The two index projections write one at a time (each locks the writer row first). On H2, one that waits longer
 * than H2's default lock timeout must keep waiting its turn, not fail: catching up after a crash, a group's
 * transaction can hold the lock for seconds.
 */
class IndexWritersTest {

  private static final String LOCK = "SELECT id FROM " + EventIndexSchema.WRITER + " WHERE id = 1 FOR UPDATE";

  @Test
  void aWriterWaitsForTheOtherLongerThanH2sDefaultLockTimeout() throws Exception {
    try (IndexDatabase db = TestIndexes.inTemporaryFile("gleitzeit-index-writers-")) {
      try (Connection c = db.connection()) {
        EventIndexSchema.create(c, c, "h2-dialect");
      }
      try (Connection first = db.connection(); Connection second = db.connection()) {
        first.setAutoCommit(false);
        second.setAutoCommit(false);
        try (PreparedStatement ps = first.prepareStatement(LOCK); ResultSet rs = ps.executeQuery()) {
          assertTrue(rs.next());
        }
        CompletableFuture<Long> secondWaited = CompletableFuture.supplyAsync(() -> {
          long start = System.nanoTime();
          try (PreparedStatement ps = second.prepareStatement(LOCK); ResultSet rs = ps.executeQuery()) {
            rs.next();
            second.commit();
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
        // The scenario, not a synchronisation: the first writer's transaction lasts 3 s, past H2's default.
        Thread.sleep(3_000);
        first.commit();
        long waited = secondWaited.get(30, TimeUnit.SECONDS);
        assertTrue(waited >= 2_500, "the second writer waited for the first one's commit: " + waited + " ms");
      }
    }
  }
}
