package io.gleitzeit.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gleitzeit.domain.WorkflowStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A page of a filtered list reads about a page of rows from the index on H2, however many rows match: the query
 * walks the filter's index in position order and stops after the page. Read from {@code EXPLAIN ANALYZE}'s
 * scan count, on an index of the real schema where every filter here matches hundreds of rows.
 */
class EventIndexQueryPlanTest {

  private static final int ROWS = 3_000;
  private static final int LIMIT = 10;
  /** A page reads its rows plus the one that says there is a next page, and those the other filters skip. */
  private static final int MOST_ROWS_A_PAGE_READS = 4 * (LIMIT + 1);
  private static final String[] TYPES =
      {"task:started", "task:completed", "workflow:completed", "provider:busy", "assignment:approved", "task:ready"};

  private static IndexDatabase db;

  @BeforeAll
  static void anIndexOfThousandsOfEnvelopes() throws Exception {
    db = TestIndexes.inTemporaryFile("gleitzeit-index-plans-");
    try (Connection c = db.connection()) {
      EventIndexSchema.create(c, c, "h2-dialect");
      c.setAutoCommit(false);
      try (PreparedStatement insert = c.prepareStatement("INSERT INTO " + EventIndexSchema.EVENTS + " (event_id, "
          + "event_type, event_group, timestamp_ms, workflow_id, task_id, provider_id, severity, sequence_number, "
          + "envelope) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        for (int i = 0; i < ROWS; i++) {
          String type = TYPES[(i / 3) % TYPES.length];
          insert.setString(1, "e" + i);
          insert.setString(2, type);
          insert.setString(3, EventIndexProjectionHandler.group(type));
          insert.setLong(4, 1_000_000L + i);
          insert.setString(5, "w" + (i % 3));
          insert.setString(6, "t" + (i % 10));
          insert.setString(7, "p" + (i % 2));
          insert.setString(8, i % 2 == 0 ? "info" : "debug");
          insert.setLong(9, i);
          insert.setString(10, "{}");
          insert.addBatch();
        }
        insert.executeBatch();
      }
      try (PreparedStatement workflow = c.prepareStatement("INSERT INTO " + EventIndexSchema.WORKFLOWS
          + " (workflow_id, status, submitted_at, list_position, task_count) VALUES (?, ?, 0, ?, 1)");
           PreparedStatement deadLetter = c.prepareStatement("INSERT INTO " + EventIndexSchema.DEAD_LETTERS
               + " (dead_letter_id, position, kind, workflow_id, task_id, added_at, status) "
               + "VALUES (?, ?, 'task', ?, 't', 0, ?)")) {
        for (int i = 0; i < ROWS; i++) {
          workflow.setString(1, "w" + i);
          workflow.setString(2, (i % 2 == 0 ? WorkflowStatus.COMPLETED : WorkflowStatus.RUNNING).wire());
          workflow.setLong(3, i);
          workflow.addBatch();
          deadLetter.setString(1, "d" + i);
          deadLetter.setLong(2, i);
          deadLetter.setString(3, "w" + (i % 3));
          deadLetter.setString(4, i % 2 == 0 ? "pending" : "requeued");
          deadLetter.addBatch();
        }
        workflow.executeBatch();
        deadLetter.executeBatch();
      }
      c.commit();
      try (var s = c.createStatement()) {
        s.execute("ANALYZE");
      }
    }
  }

  @AfterAll
  static void close() {
    db.close();
  }

  @Test
  void aPageOfEventsReadsAboutAPageWhateverItIsFilteredBy() throws Exception {
    List<EventFilter> filters = List.of(
        new EventFilter("task:completed", null, null, null, null),
        new EventFilter("task:*", null, null, null, null),
        new EventFilter(null, "w1", null, null, null),
        new EventFilter(null, null, "t3", null, null),
        new EventFilter(null, null, null, "p1", null),
        new EventFilter(null, null, null, null, "debug"),
        new EventFilter("task:*", "w1", null, null, null),
        new EventFilter(null, "w2", null, "p0", "info"));
    for (EventFilter filter : filters) {
      for (long after : new long[] {0, ROWS / 2}) {
        List<Object> args = new ArrayList<>();
        String sql = EventIndex.eventsSql(new EventIndex.EventQuery(filter, null, null, LIMIT, after), args);
        // A group is read as a page of each of its types (EventIndex.eventsSql).
        int indexesRead = filter.type() != null && filter.type().endsWith(":*")
            ? EventTypes.inGroup(filter.type()).size() : 1;
        assertReadsAboutAPage(sql, args, indexesRead, filter + " after " + after);
        assertEquals(firstMatching(filter, after), positions(sql, args), "the page of " + filter + " after " + after);
      }
    }
  }

  @Test
  void aPageOfWorkflowsOrDeadLettersOfOneStatusReadsAboutAPage() throws Exception {
    List<Object> args = new ArrayList<>();
    String workflows = EventIndex.workflowsSql(new EventIndex.WorkflowQuery(WorkflowStatus.COMPLETED, LIMIT, 2_001L),
        args);
    assertReadsAboutAPage(workflows, args, 1, "workflows completed before 2001");
    for (var query : List.of(new EventIndex.DeadLetterQuery(null, null, "pending", LIMIT, 100),
        new EventIndex.DeadLetterQuery("w2", null, null, LIMIT, 100))) {
      List<Object> deadLetterArgs = new ArrayList<>();
      assertReadsAboutAPage(EventIndex.deadLettersSql(query, deadLetterArgs), deadLetterArgs, 1, query.toString());
    }
  }

  private static void assertReadsAboutAPage(String sql, List<Object> args, int indexesRead, String what)
      throws SQLException {
    long scanned = scanCount(sql, args);
    long most = (long) MOST_ROWS_A_PAGE_READS * indexesRead;
    assertTrue(scanned <= most, what + ": a page of " + LIMIT + " read " + scanned + " rows, more than " + most);
  }

  private static long scanCount(String sql, List<Object> args) throws SQLException {
    StringBuilder plan = new StringBuilder();
    try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement("EXPLAIN ANALYZE " + sql)) {
      bind(ps, args);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          plan.append(rs.getString(1));
        }
      }
    }
    Matcher m = Pattern.compile("scanCount: (\\d+)").matcher(plan);
    long scanned = 0;
    while (m.find()) {
      scanned += Long.parseLong(m.group(1));
    }
    assertTrue(scanned > 0, "no scan count in the plan: " + plan);
    return scanned;
  }

  private static List<Long> positions(String sql, List<Object> args) throws SQLException {
    List<Long> positions = new ArrayList<>();
    try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, args);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          positions.add(rs.getLong(1));
        }
      }
    }
    return positions;
  }

  /** The first LIMIT + 1 positions after {@code after} that {@code filter} matches, as the rows were inserted. */
  private static List<Long> firstMatching(EventFilter filter, long after) {
    List<Long> positions = new ArrayList<>();
    for (int i = 0; i < ROWS && positions.size() <= LIMIT; i++) {
      long position = i + 1;
      String type = TYPES[(i / 3) % TYPES.length];
      EventEnvelope envelope = new EventEnvelope("e" + i, type, null, (long) i, null, null, "w" + (i % 3),
          "t" + (i % 10), "p" + (i % 2), i % 2 == 0 ? "info" : "debug", null, null);
      if (position > after && filter.matches(envelope)) {
        positions.add(position);
      }
    }
    return positions;
  }

  private static void bind(PreparedStatement ps, List<Object> args) throws SQLException {
    for (int i = 0; i < args.size(); i++) {
      ps.setObject(i + 1, args.get(i));
    }
  }
}
