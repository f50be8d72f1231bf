package io.gleitzeit.events;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.projection.jdbc.JdbcSession;

/**
 * The event index's connections: a small HikariCP pool of its own on the index's database (the journal's
 * Slick pool is not reachable as plain JDBC), and, when the index has a database of its own, a smaller one on
 * the journal's for the few reads (and retention's deletes) of journal tables. Projections take a {@link
 * Session} per transaction; queries borrow a connection. Every caller runs on a dispatcher meant for blocking,
 * never on Pekko's default one.
 */
final class IndexDatabase implements AutoCloseable {

  private final HikariDataSource pool;
  private final HikariDataSource journalPool;

  IndexDatabase(EventIndexSettings settings) throws SQLException {
    // Opened once plainly first: a database that cannot be opened (a corrupt file, a wrong password) is then one
    // clear error from the node, instead of HikariCP's stack trace in the log before it.
    try (Connection probe = DriverManager.getConnection(settings.url(), settings.user(), settings.password())) {
      probe.isValid(1);
    }
    this.pool = pool("gleitzeit-event-index", settings.url(), settings.poolSize(), settings);
    this.journalPool = settings.separateFromJournal()
        ? pool("gleitzeit-event-index-journal", settings.journalUrl(), 2, settings)
        : pool;
  }

  /**
   * How long an index writer waits for the other's lock on H2 (whose default is a second or two). The two
   * projections write one at a time (see {@code EventIndexProjectionHandler.lockWriters}); catching up after a
   * crash, one group's transaction can take longer than H2's default, and the other projection failed and restarted
   * with backoff instead of waiting its turn. PostgreSQL waits without limit by default.
   */
  static final int H2_LOCK_TIMEOUT_MS = 60_000;

  private static HikariDataSource pool(String name, String url, int size, EventIndexSettings settings) {
    HikariConfig config = new HikariConfig();
    if (url.startsWith("jdbc:h2:")) {
      config.setConnectionInitSql("SET LOCK_TIMEOUT " + H2_LOCK_TIMEOUT_MS);
    }
    config.setPoolName(name);
    config.setJdbcUrl(url);
    config.setUsername(settings.user());
    config.setPassword(settings.password());
    config.setMaximumPoolSize(size);
    config.setMinimumIdle(1);
    config.setConnectionTimeout(settings.connectionTimeout().toMillis());
    return new HikariDataSource(config);
  }

  /** A connection to the index's tables (and the projections' offsets). */
  Connection connection() throws SQLException {
    return pool.getConnection();
  }

  /** A connection to the journal's tables: the index's own pool when they share a database. */
  Connection journalConnection() throws SQLException {
    return journalPool.getConnection();
  }

  /** A new transaction on a pooled connection, as Pekko Projections' JDBC offset store and handlers use it. */
  Session session() {
    try {
      Connection connection = pool.getConnection();
      try {
        return new Session(connection);
      } catch (SQLException e) {
        connection.close();
        throw e;
      }
    } catch (SQLException e) {
      throw new IllegalStateException("no connection to the event index database: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    pool.close();
    if (journalPool != pool) {
      journalPool.close();
    }
  }

  /**
   * One transaction: the handler's rows and the projection's offset commit together (exactly once). Closing
   * returns the connection to the pool.
   */
  static final class Session implements JdbcSession {
    private final Connection connection;

    Session(Connection connection) throws SQLException {
      this.connection = connection;
      connection.setAutoCommit(false);
    }

    @Override
    public <R> R withConnection(Function<Connection, R> func) throws Exception {
      return func.apply(connection);
    }

    @Override
    public void commit() throws SQLException {
      connection.commit();
    }

    @Override
    public void rollback() throws SQLException {
      connection.rollback();
    }

    @Override
    public void close() throws SQLException {
      connection.close();
    }
  }
}
