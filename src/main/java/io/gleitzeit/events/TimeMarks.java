package io.gleitzeit.events;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Where in the event index a {@code since} query starts: the index's positions do not follow its envelopes' times
 * exactly (the two projections interleave, and an envelope can carry the time its provider reported), but the
 * latest time indexed so far only grows with the position. Each index write that raises it records a mark (the
 * new latest time, the last position before the write's rows); every envelope before the first mark at or above
 * a time T is older than T, so a query {@code since=T} reads from that mark's position on, in position order.
 *
 * <p>Why not an index on the envelopes' time: it cost every envelope one more B-tree entry (about 6 % of a node's
 * CPU per task under load), and still could not give a page in position order without reading and sorting every
 * envelope after T. Marks are one row per index write that raises the latest time, not one per envelope.
 */
final class TimeMarks {

  static final String TABLE = "gleitzeit_event_time_marks";

  static final String DDL = "CREATE TABLE IF NOT EXISTS " + TABLE + " ("
      + "latest_timestamp_ms BIGINT PRIMARY KEY, "
      + "after_position BIGINT NOT NULL)";

  private static final String LATEST = "SELECT MAX(latest_timestamp_ms) FROM " + TABLE;
  private static final String LAST_POSITION = "SELECT MAX(position) FROM " + EventIndexSchema.EVENTS;
  private static final String INSERT = "INSERT INTO " + TABLE + " (latest_timestamp_ms, after_position) "
      + "VALUES (?, ?)";
  private static final String FIRST_AT_OR_AFTER = "SELECT after_position FROM " + TABLE
      + " WHERE latest_timestamp_ms >= ? ORDER BY latest_timestamp_ms LIMIT 1";
  private static final String LAST = "SELECT after_position FROM " + TABLE
      + " ORDER BY latest_timestamp_ms DESC LIMIT 1";

  private TimeMarks() {}

  /** The position after which an index write's rows will be: call it under the writers' lock, before writing. */
  static long lastPosition(Connection c) throws SQLException {
    return single(c, LAST_POSITION, 0L);
  }

  /** After an index write of envelopes as late as {@code latestMillis}, whose rows come after {@code after}. */
  static void written(Connection c, long after, long latestMillis) throws SQLException {
    Long latest = single(c, LATEST, null);
    if (latest != null && latest >= latestMillis) {
      return; // the previous mark already covers this write
    }
    try (PreparedStatement ps = c.prepareStatement(INSERT)) {
      ps.setLong(1, latestMillis);
      ps.setLong(2, after);
      ps.executeUpdate();
    }
  }

  /**
   * The position after which every envelope at or after {@code millis} is: the first mark at or above it. Without
   * one, no mark-recording write indexed an envelope that late, and the last mark is as far as the index can tell;
   * 0 when there are no marks.
   */
  static long startOf(Connection c, long millis) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(FIRST_AT_OR_AFTER)) {
      ps.setLong(1, millis);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          return rs.getLong(1);
        }
      }
    }
    return single(c, LAST, 0L);
  }

  /**
   * An index written before the marks existed gets one mark: its latest time, before position 0, so that a query
   * reads it from its start. Call it where no writer runs (under the writers' lock).
   */
  static void markIndexWrittenWithoutMarks(Statement s) throws SQLException {
    try (ResultSet rs = s.executeQuery("SELECT latest_timestamp_ms FROM " + TABLE + " LIMIT 1")) {
      if (rs.next()) {
        return; // a count would read them all on PostgreSQL, at every start
      }
    }
    s.executeUpdate("INSERT INTO " + TABLE + " (latest_timestamp_ms, after_position) SELECT MAX(timestamp_ms), 0 FROM "
        + EventIndexSchema.EVENTS + " HAVING MAX(timestamp_ms) IS NOT NULL");
  }

  private static Long single(Connection c, String sql, Long none) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        return none;
      }
      long value = rs.getLong(1);
      return rs.wasNull() ? none : Long.valueOf(value);
    }
  }
}
