package io.gleitzeit.node;

import com.typesafe.config.Config;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.FileStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps an embedded H2 journal compact. H2 appends every commit to its file as a new chunk and reclaims a chunk
 * once none of its pages is live any more; a background thread rewrites the live pages of mostly dead chunks
 * so that they can go. With {@code WRITE_DELAY=0} — which the journal needs, so that an acknowledged event
 * survives kill -9 — H2 starts no such thread: chunks with a few live pages pile up for good (17 % of the
 * journal's chunk space was live after a benchmark), the file never shrinks after a burst and every chunk costs
 * heap. This job does what that thread would have done, on a timer (housekeeping, not polling for work): it
 * rewrites chunks while their fill rate is below the target.
 */
final class EmbeddedH2Compaction implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedH2Compaction.class);

  private final Connection connection;
  private final FileStore<?> store;
  private final int targetFillRate;
  private final int writeLimitBytes;
  private final ScheduledExecutorService timer;

  private EmbeddedH2Compaction(Connection connection, FileStore<?> store, int targetFillRate, int writeLimitBytes,
                               Duration interval) {
    this.connection = connection;
    this.store = store;
    this.targetFillRate = targetFillRate;
    this.writeLimitBytes = writeLimitBytes;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "gleitzeit-h2-compaction");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleWithFixedDelay(this::compact, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Starts compaction of the journal's database when it is an embedded H2 file written with {@code
   * WRITE_DELAY=0}; any other journal (an H2 server, PostgreSQL, an H2 file with a background writer) needs none.
   */
  static Optional<EmbeddedH2Compaction> startFor(Config config) throws SQLException {
    Config db = config.getConfig("pekko-persistence-jdbc.shared-databases.slick.db");
    Config own = config.getConfig("gleitzeit.journal.h2-compaction");
    String url = db.getString("url");
    if (!needsCompaction(url) || !own.getBoolean("enabled")) {
      return Optional.empty();
    }
    return Optional.of(open(url, db.getString("user"), db.getString("password"), own.getInt("target-fill-rate"),
        (int) own.getBytes("write-limit").longValue(), own.getDuration("interval")));
  }

  static EmbeddedH2Compaction open(String url, String user, String password, int targetFillRate, int writeLimitBytes,
                                   Duration interval) throws SQLException {
    // The same URL in the same JVM opens a session on the journal's own database, not a second one.
    Connection connection = DriverManager.getConnection(url, user, password);
    try {
      SessionLocal session = (SessionLocal) connection.unwrap(JdbcConnection.class).getSession();
      FileStore<?> store = session.getDatabase().getStore().getMvStore().getFileStore();
      return new EmbeddedH2Compaction(connection, store, targetFillRate, writeLimitBytes, interval);
    } catch (SQLException | RuntimeException e) {
      connection.close();
      throw e;
    }
  }

  /** An embedded H2 file whose commits are written at once: the case in which H2 itself never compacts. */
  static boolean needsCompaction(String url) {
    String u = url.toUpperCase(Locale.ROOT).replace(" ", "");
    return u.startsWith("JDBC:H2:FILE:") && u.matches(".*;WRITE_DELAY=0(;.*)?");
  }

  private void compact() {
    try {
      compactNow();
    } catch (RuntimeException e) {
      // Closing, or the store is busy: the next round tries again.
      LOG.debug("journal compaction skipped: {}", e.toString());
    }
  }

  /** One round: rewrites chunks (up to the write limit) while their fill rate is below the target. */
  boolean compactNow() {
    int before = store.getChunksFillRate();
    boolean rewritten = before < targetFillRate && store.compact(targetFillRate, writeLimitBytes);
    if (rewritten) {
      LOG.debug("journal chunks rewritten: fill rate {} % -> {} %", before, store.getChunksFillRate());
    }
    return rewritten;
  }

  /** The journal file's share (%) of live pages in its chunks. */
  int chunksFillRate() {
    return store.getChunksFillRate();
  }

  @Override
  public void close() {
    timer.shutdownNow();
    try {
      timer.awaitTermination(10, TimeUnit.SECONDS);
      connection.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (SQLException e) {
      LOG.debug("closing the compaction's connection: {}", e.toString());
    }
  }
}
