package io.gleitzeit.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code since} queries start at a time mark: they return exactly the envelopes at or after the time, in position
 * order, though positions do not follow times exactly, and a page reads about a page of rows. Rows are written as
 * the index writer writes them (under its lock: the last position, the rows, the mark), on the real schema.
 */
class TimeMarksTest {

  private static final long START = 1_800_000_000_000L;
  private static final int LIMIT = 10;

  private IndexDatabase db;
  /** Row i (position i + 1)'s time. */
  private final List<Long> times = new ArrayList<>();

  @BeforeEach
  void anEmptyIndex() throws Exception {
    db = TestIndexes.inTemporaryFile("gleitzeit-time-marks-");
    try (Connection c = db.connection()) {
      EventIndexSchema.create(c, c, "h2-dialect");
    }
  }

  @AfterEach
  void close() {
    db.close();
  }

  @Test
  void sinceReturnsEveryEnvelopeAtOrAfterItsTimeInPositionOrderThoughTimesAreOutOfOrder() throws Exception {
    Random random = new Random(7);
    long clock = START;
    for (int group = 0; group < 300; group++) {
      List<Long> rows = new ArrayList<>();
      int size = 1 + random.nextInt(12);
      for (int i = 0; i < size; i++) {
        clock += random.nextInt(3);
        // Some envelopes carry an earlier time than those indexed before them (a provider's report, the other
        // projection's lag), up to 2 s back.
        rows.add(random.nextInt(5) == 0 ? clock - random.nextInt(2_000) : clock);
      }
      write(rows, true);
    }
    for (long since = START - 10; since <= clock + 10; since += 97) {
      assertEquals(expected(since, 0, Integer.MAX_VALUE), allPages(since), "since " + since);
    }
    assertReadsAboutAPage(clock - 100);
    assertReadsAboutAPage(START + (clock - START) / 2);
  }

  @Test
  void anIndexWrittenBeforeTheMarksIsReadFromItsStart() throws Exception {
    for (int group = 0; group < 50; group++) {
      write(List.of(START + 10L * group, START + 10L * group - 15), false);
    }
    try (Connection c = db.connection()) {
      EventIndexSchema.create(c, c, "h2-dialect");
    }
    for (int group = 50; group < 60; group++) {
      write(List.of(START + 10L * group, START + 10L * group - 15), true);
    }
    for (long since = START - 20; since <= START + 600; since += 5) {
      assertEquals(expected(since, 0, Integer.MAX_VALUE), allPages(since), "since " + since);
    }
  }

  /** One index write, as the projection handler makes it (with its time mark unless {@code marked} is false). */
  private void write(List<Long> rowTimes, boolean marked) throws SQLException {
    try (Connection c = db.connection()) {
      c.setAutoCommit(false);
      long after = TimeMarks.lastPosition(c);
      try (PreparedStatement insert = c.prepareStatement("INSERT INTO " + EventIndexSchema.EVENTS + " (event_id, "
          + "event_type, event_group, timestamp_ms, severity, sequence_number, envelope) "
          + "VALUES (?, 'task:started', 'task', ?, 'info', 1, '{}')")) {
        for (long time : rowTimes) {
          insert.setString(1, "e" + times.size());
          insert.setLong(2, time);
          insert.executeUpdate();
          times.add(time);
        }
      }
      if (marked) {
        TimeMarks.written(c, after, rowTimes.stream().mapToLong(Long::longValue).max().orElseThrow());
      }
      c.commit();
    }
  }

  /** The positions of rows at or after {@code since} past {@code after}, at most {@code limit}. */
  private List<Long> expected(long since, long after, int limit) {
    List<Long> positions = new ArrayList<>();
    for (int i = 0; i < times.size() && positions.size() < limit; i++) {
      if (i + 1 > after && times.get(i) >= since) {
        positions.add(i + 1L);
      }
    }
    return positions;
  }

  /** Every position {@code GET /events?since=} pages through, LIMIT at a time, as EventIndex.events queries. */
  private List<Long> allPages(long since) throws SQLException {
    List<Long> all = new ArrayList<>();
    long after = 0;
    while (true) {
      List<Object> args = new ArrayList<>();
      String sql = pageSql(since, after, args);
      List<Long> page = new ArrayList<>();
      try (Connection c = db.connection(); PreparedStatement ps = prepare(c, sql, args);
           ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          page.add(rs.getLong(1));
        }
      }
      if (page.size() <= LIMIT) {
        all.addAll(page);
        return all;
      }
      all.addAll(page.subList(0, LIMIT));
      after = page.get(LIMIT - 1);
    }
  }

  private String pageSql(long since, long after, List<Object> args) throws SQLException {
    EventIndex.EventQuery query = new EventIndex.EventQuery(EventFilter.ALL, Instant.ofEpochMilli(since), null, LIMIT,
        after);
    try (Connection c = db.connection()) {
      return EventIndex.eventsSql(query.startingAt(TimeMarks.startOf(c, since)), args);
    }
  }

  private void assertReadsAboutAPage(long since) throws SQLException {
    List<Object> args = new ArrayList<>();
    String sql = pageSql(since, 0, args);
    StringBuilder plan = new StringBuilder();
    try (Connection c = db.connection(); PreparedStatement ps = prepare(c, "EXPLAIN ANALYZE " + sql, args);
         ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        plan.append(rs.getString(1));
      }
    }
    Matcher m = Pattern.compile("scanCount: (\\d+)").matcher(plan);
    assertTrue(m.find(), "no scan count in the plan: " + plan);
    long scanned = Long.parseLong(m.group(1));
    // The rows of the mark's write and those after it that are older than `since` (1 in 5, up to 2 s back).
    assertTrue(scanned <= 200, "since " + since + ": a page of " + LIMIT + " read " + scanned + " of "
        + times.size() + " rows: " + plan);
  }

  private static PreparedStatement prepare(Connection c, String sql, List<Object> args) throws SQLException {
    PreparedStatement ps = c.prepareStatement(sql);
    for (int i = 0; i < args.size(); i++) {
      ps.setObject(i + 1, args.get(i));
    }
    return ps;
  }
}
