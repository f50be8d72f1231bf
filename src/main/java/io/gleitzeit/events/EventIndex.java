package io.gleitzeit.events;

import io.gleitzeit.domain.Json;
import io.gleitzeit.domain.WorkflowStatus;
import io.gleitzeit.provider.ProviderEntity;
import io.gleitzeit.workflow.WorkflowEntity;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;

/**
 * The event store's query side (SPEC §5 {@code GET /events}, {@code GET /workflows}): reads the tables that
 * {@link EventIndexProjection} builds from the journal. A view of the journal, never a second source of
 * truth; it trails the journal by the read journal's polling, at most ~200 ms while it keeps up with the
 * write rate (conf/persistence.conf).
 *
 * <p>JDBC blocks, so every query runs on the {@code gleitzeit.event-index.query-dispatcher} and answers
 * with a CompletionStage; Pekko's own dispatchers never wait on the database.
 */
public final class EventIndex implements AutoCloseable {

  public static final int DEFAULT_LIMIT = 100;
  public static final int MAX_LIMIT = 1000;

  /**
   * A query of {@code GET /events}: the filter, {@code since} inclusive and {@code until} exclusive (either
   * may be null), at most {@code limit} envelopes after index position {@code after} (0 = from the start).
   */
  public record EventQuery(EventFilter filter, Instant since, Instant until, int limit, long after) {

    /** This query, read from after {@code position} on when it is past {@code after}. */
    EventQuery startingAt(long position) {
      return position <= after ? this : new EventQuery(filter, since, until, limit, position);
    }

    /**
     * Whether an envelope's time is within {@code since} (inclusive) and {@code until} (exclusive), compared as
     * the index compares them: envelope times are whole milliseconds, a bound is rounded up to one.
     */
    public boolean inTimeWindow(EventEnvelope e) {
      if (since == null && until == null) {
        return true;
      }
      long at = Timestamps.toEpochMilli(e.timestamp());
      return (since == null || at >= ceilMillis(since)) && (until == null || at < ceilMillis(until));
    }
  }

  /** Envelopes as stored (compact JSON), in index order; {@code next} is the position to continue after, or null. */
  public record EventPage(List<String> envelopes, Long next) {}

  /** A query of {@code GET /workflows}: newest first, optionally one status, listed before {@code before}. */
  public record WorkflowQuery(WorkflowStatus status, int limit, Long before) {}

  public record WorkflowRow(String workflowId, String name, WorkflowStatus status, Instant submittedAt,
                            Instant completedAt, int taskCount) {}

  /** {@code next} is the list position to continue before, or null when there are no more. */
  public record WorkflowPage(List<WorkflowRow> workflows, Long next) {}

  /** A query of {@code GET /dead-letters}: oldest first, optional filters, after list position {@code after}. */
  public record DeadLetterQuery(String workflowId, String taskId, String status, int limit, long after) {}

  public record DeadLetterRow(String id, String kind, String workflowId, String taskId, String providerId,
                              int attempt, String reason, String errorType, Instant addedAt, String status,
                              Instant requeuedAt) {}

  /** {@code next} is the position to continue after, or null when there are no more. */
  public record DeadLetterPage(List<DeadLetterRow> deadLetters, Long next) {}

  @FunctionalInterface
  private interface Column<T> {
    T read(ResultSet rs) throws SQLException;
  }

  /** {@code next}: the position to continue from when there are more rows; {@code last}: the last row's, or null. */
  private record Page<T>(List<T> rows, Long next, Long last) {}

  /**
   * Runs a query that asks for one row more than {@code limit} (its last argument must be {@code limit + 1}):
   * the extra row only says that there is a next page, which continues from the last row returned.
   */
  private static <T> Page<T> page(Connection c, String sql, List<Object> args, int limit, Column<T> row,
                                  Column<Long> position) throws SQLException {
    List<T> rows = new ArrayList<>();
    Long last = null;
    try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        if (rows.size() == limit) {
          return new Page<>(rows, last, last);
        }
        rows.add(row.read(rs));
        last = position.read(rs);
      }
    }
    return new Page<>(rows, null, last);
  }

  @FunctionalInterface
  private interface Sql<T> {
    T run(Connection c) throws SQLException;
  }

  private final IndexDatabase db;
  private final Executor queries;
  private final IndexProgress progress;
  private final IndexAdvances advances;

  private EventIndex(IndexDatabase db, Executor queries, IndexProgress progress, IndexAdvances advances) {
    this.db = db;
    this.queries = queries;
    this.progress = progress;
    this.advances = advances;
  }

  /**
   * Creates the tables (ours and the projections' offset tables) when missing, then starts the index
   * projections as sharded daemon processes. Blocks the calling thread for the DDL: call it at start-up.
   */
  public static EventIndex start(ActorSystem<?> system, EventIndexSettings settings) throws Exception {
    IndexDatabase db = new IndexDatabase(settings);
    try {
      SchemaCreation.run(() -> {
        try (Connection c = db.connection(); Connection journal = db.journalConnection()) {
          EventIndexSchema.create(c, journal, settings.dialect());
        }
      });
      SchemaCreation.run(() ->
          JdbcProjection.createTablesIfNotExists(db::session, system).toCompletableFuture().get(60, TimeUnit.SECONDS));
      IndexAdvances advances = IndexAdvances.start(system);
      IndexProgress progress = new IndexProgress(advances::published);
      EventIndexProjection.init(system, db, progress);
      system.getWhenTerminated().thenRun(db::close);
      Executor executor = system.dispatchers().lookup(DispatcherSelector.fromConfig(settings.queryDispatcher()));
      return new EventIndex(db, executor, progress, advances);
    } catch (Exception e) {
      db.close();
      throw e;
    }
  }

  public CompletionStage<EventPage> events(EventQuery q) {
    return query(c -> {
      List<Object> args = new ArrayList<>();
      String sql = eventsSql(q.since() == null ? q : q.startingAt(TimeMarks.startOf(c, ceilMillis(q.since()))),
          args);
      Page<String> page = page(c, sql, args, q.limit(), rs -> rs.getString(2), rs -> rs.getLong(1));
      return new EventPage(page.rows(), page.next());
    });
  }

  /**
   * The query of {@code GET /events}: position and envelope, one row more than the limit (see {@link #page}). A
   * group that is the query's narrowest filter is read as a page of each of its types, merged: the index has no
   * index of groups, which every envelope would pay for (see {@link #sortColumn}).
   */
  static String eventsSql(EventQuery q, List<Object> args) {
    EventFilter f = q.filter();
    String column = sortColumn(f);
    if (!"event_group".equals(column)) {
      return select(q, f, column, args);
    }
    StringBuilder sql = new StringBuilder("SELECT position, envelope FROM (");
    String union = "";
    for (String type : EventTypes.inGroup(f.type())) {
      EventFilter oneType = new EventFilter(type, null, null, null, f.severity());
      sql.append(union).append('(').append(select(q, oneType, "event_type", args)).append(')');
      union = " UNION ALL ";
    }
    sql.append(") AS one_page_per_type ORDER BY position LIMIT ?");
    args.add(q.limit() + 1);
    return sql.toString();
  }

  /** The rows of one query of {@link #eventsSql}, in the index of {@code column}. */
  private static String select(EventQuery q, EventFilter f, String column, List<Object> args) {
    StringBuilder sql = new StringBuilder("SELECT position, envelope FROM " + EventIndexSchema.EVENTS
        + " WHERE position > ?");
    args.add(q.after());
    if (f.type() != null) {
      if (f.type().endsWith(":*")) {
        sql.append(" AND event_group = ?");
        args.add(f.type().substring(0, f.type().length() - 2));
      } else {
        sql.append(" AND event_type = ?");
        args.add(f.type());
      }
    }
    equal(sql, args, "workflow_id", f.workflowId());
    equal(sql, args, "task_id", f.taskId());
    equal(sql, args, "provider_id", f.providerId());
    equal(sql, args, "severity", f.severity());
    if (q.since() != null) {
      sql.append(" AND timestamp_ms >= ?");
      args.add(ceilMillis(q.since()));
    }
    if (q.until() != null) {
      sql.append(" AND timestamp_ms < ?");
      args.add(ceilMillis(q.until()));
    }
    sql.append(orderBy(column, "position", ""));
    sql.append(" LIMIT ?");
    args.add(q.limit() + 1);
    return sql.toString();
  }

  /**
   * The column whose index a filtered page of envelopes is read in: the filter most likely to be the narrowest, as
   * each of the columns named here but {@code event_group} has an index of (column, position); null without any of
   * them. A group has no index: {@link #eventsSql} reads it in the index of its types.
   */
  static String sortColumn(EventFilter f) {
    if (f.taskId() != null) {
      return "task_id";
    } else if (f.workflowId() != null) {
      return "workflow_id";
    } else if (f.providerId() != null) {
      return "provider_id";
    } else if (f.type() != null) {
      return f.type().endsWith(":*") ? "event_group" : "event_type";
    } else if (f.severity() != null) {
      return "severity";
    }
    return null;
  }

  /**
   * An ORDER BY in {@code position} order that H2 reads from an index of ({@code column}, position) where the query
   * fixes {@code column} to one value: the order is the same, but H2 walks the index only when the ORDER BY names
   * its columns from the first. With "ORDER BY position" alone it read every matching row and sorted them, however
   * small the page: {@code GET /events?type=task:completed&limit=10} read all of them.
   */
  private static String orderBy(String column, String position, String direction) {
    return column == null
        ? " ORDER BY " + position + direction
        : " ORDER BY " + column + direction + ", " + position + direction;
  }

  /** Indexed envelopes after a position, in index order, with the position of the last one. */
  record Tail(List<String> envelopes, long last, boolean more) {}

  /**
   * Up to {@link #MAX_LIMIT} envelopes matching {@code filter} after {@code after}, for a stream that follows the
   * index ({@link EventStreams}): its position moves to the last one returned.
   */
  CompletionStage<Tail> tail(EventFilter filter, long after) {
    return query(c -> {
      List<Object> args = new ArrayList<>();
      String sql = eventsSql(new EventQuery(filter, null, null, MAX_LIMIT, after), args);
      Page<String> page = page(c, sql, args, MAX_LIMIT, rs -> rs.getString(2), rs -> rs.getLong(1));
      return new Tail(page.rows(), page.last() == null ? after : page.last(), page.next() != null);
    });
  }

  /** Completes at the index's next commit after this call (see {@link IndexAdvances#next}). */
  CompletionStage<Void> nextAdvance() {
    return advances.next();
  }

  public CompletionStage<WorkflowPage> workflows(WorkflowQuery q) {
    return query(c -> {
      List<Object> args = new ArrayList<>();
      Page<WorkflowRow> page = page(c, workflowsSql(q, args), args, q.limit(), rs -> {
        long completed = rs.getLong(5);
        Instant completedAt = rs.wasNull() ? null : Instant.ofEpochMilli(completed);
        return new WorkflowRow(rs.getString(1), rs.getString(2),
            WorkflowStatus.fromWire(rs.getString(3)).orElseThrow(), Instant.ofEpochMilli(rs.getLong(4)),
            completedAt, rs.getInt(6));
      }, rs -> rs.getLong(7));
      return new WorkflowPage(page.rows(), page.next());
    });
  }

  /** The query of {@code GET /workflows}, newest first, one row more than the limit (see {@link #page}). */
  static String workflowsSql(WorkflowQuery q, List<Object> args) {
    StringBuilder sql = new StringBuilder("SELECT workflow_id, name, status, submitted_at, completed_at, "
        + "task_count, list_position FROM " + EventIndexSchema.WORKFLOWS + " WHERE 1 = 1");
    equal(sql, args, "status", q.status() == null ? null : q.status().wire());
    if (q.before() != null) {
      sql.append(" AND list_position < ?");
      args.add(q.before());
    }
    sql.append(orderBy(q.status() == null ? null : "status", "list_position", " DESC")).append(" LIMIT ?");
    args.add(q.limit() + 1);
    return sql.toString();
  }

  /** How many workflows the list read model has in each status. */
  public CompletionStage<java.util.Map<String, Long>> workflowCounts() {
    return query(c -> {
      java.util.Map<String, Long> counts = new java.util.HashMap<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT status, COUNT(*) FROM " + EventIndexSchema.WORKFLOWS
          + " GROUP BY status"); ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          counts.put(rs.getString(1), rs.getLong(2));
        }
      }
      return counts;
    });
  }

  private static final String DEAD_LETTER_COLUMNS = "dead_letter_id, kind, workflow_id, task_id, provider_id, "
      + "attempt, reason, error_type, added_at, status, requeued_at, position";

  public CompletionStage<DeadLetterPage> deadLetters(DeadLetterQuery q) {
    return query(c -> {
      List<Object> args = new ArrayList<>();
      Page<DeadLetterRow> page = page(c, deadLettersSql(q, args), args, q.limit(), EventIndex::deadLetter,
          rs -> rs.getLong(12));
      return new DeadLetterPage(page.rows(), page.next());
    });
  }

  /** The query of {@code GET /dead-letters}, oldest first, one row more than the limit (see {@link #page}). */
  static String deadLettersSql(DeadLetterQuery q, List<Object> args) {
    StringBuilder sql = new StringBuilder("SELECT " + DEAD_LETTER_COLUMNS + " FROM " + EventIndexSchema.DEAD_LETTERS
        + " WHERE position > ?");
    args.add(q.after());
    equal(sql, args, "workflow_id", q.workflowId());
    equal(sql, args, "task_id", q.taskId());
    equal(sql, args, "status", q.status());
    String sortColumn = q.workflowId() != null ? "workflow_id" : q.status() != null ? "status" : null;
    sql.append(orderBy(sortColumn, "position", "")).append(" LIMIT ?");
    args.add(q.limit() + 1);
    return sql.toString();
  }

  public CompletionStage<java.util.Optional<DeadLetterRow>> deadLetter(String id) {
    return query(c -> {
      try (PreparedStatement ps = prepare(c, "SELECT " + DEAD_LETTER_COLUMNS + " FROM " + EventIndexSchema.DEAD_LETTERS
          + " WHERE dead_letter_id = ?", List.of(id)); ResultSet rs = ps.executeQuery()) {
        return rs.next() ? java.util.Optional.of(deadLetter(rs)) : java.util.Optional.empty();
      }
    });
  }

  private static DeadLetterRow deadLetter(ResultSet rs) throws SQLException {
    long requeued = rs.getLong(11);
    Instant requeuedAt = rs.wasNull() ? null : Instant.ofEpochMilli(requeued);
    return new DeadLetterRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
        rs.getInt(6), rs.getString(7), rs.getString(8), Instant.ofEpochMilli(rs.getLong(9)), rs.getString(10),
        requeuedAt);
  }

  /**
   * Completes when the workflow is indexed up to envelope {@code sequence} — at once when it already is;
   * fails with a TimeoutException after {@code timeout}. It is woken by the projection's progress in this
   * JVM: on a node that does not run the workflow projection it only sees what was indexed before the call.
   */
  public CompletableFuture<Void> awaitWorkflowIndexed(String workflowId, long sequence, Duration timeout) {
    return awaitIndexed(WorkflowEntity.persistenceIdOf(workflowId).id(), "workflow_id", workflowId, sequence, timeout);
  }

  /** As {@link #awaitWorkflowIndexed}, for envelope {@code sequence} of a provider's stream. */
  public CompletableFuture<Void> awaitProviderIndexed(String providerId, long sequence, Duration timeout) {
    return awaitIndexed(ProviderEntity.persistenceIdOf(providerId).id(), "provider_id", providerId, sequence, timeout);
  }

  /**
   * A stream is indexed up to envelope N once that envelope's row exists: a journal event's envelopes commit
   * together, in journal order. The row is the one of that number whose correlation_id is the stream's id (a
   * provider's report dead letter names a workflow too, with a sequence number of the provider's stream).
   */
  private CompletableFuture<Void> awaitIndexed(String persistenceId, String column, String streamId, long sequence,
                                               Duration timeout) {
    CompletableFuture<Void> indexed = progress.register(persistenceId, sequence);
    query(c -> {
      try (PreparedStatement ps = prepare(c, "SELECT envelope FROM " + EventIndexSchema.EVENTS + " WHERE " + column
          + " = ? AND sequence_number = ?", List.of(streamId, sequence)); ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (streamId.equals(correlationIdOf(rs.getString(1)))) {
            return true;
          }
        }
        return false;
      }
    }).whenComplete((found, failure) -> {
      if (failure != null) {
        indexed.completeExceptionally(failure);
      } else if (found) {
        indexed.complete(null);
      }
    });
    return indexed.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static String correlationIdOf(String envelope) throws SQLException {
    try {
      return Json.MAPPER.readTree(envelope).path("correlation_id").asText();
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new SQLException("an indexed envelope that is not JSON: " + e.getOriginalMessage(), e);
    }
  }

  // ---- resuming the global live stream (EventStreams.resume) ----

  /**
   * pekko-persistence-jdbc's and Pekko Projections' own tables (their default names; quoted lower case, as
   * both create them on H2, and as PostgreSQL folds their unquoted names).
   */
  private static final String JOURNAL = "\"event_journal\"";
  private static final String JOURNAL_TAGS = "\"event_tag\"";
  private static final String OFFSETS = "\"pekko_projection_offset_store\"";
  /**
   * The longest a catching-up wait goes without reading the offsets again. It wakes at each commit of the index
   * ({@link IndexAdvances}); this only bounds the wait when a notification is lost (a node that has just joined
   * subscribes once it is up), so that a lost one costs this long instead of the whole timeout.
   */
  private static final long CATCH_UP_RECHECK_MS = 1_000;

  /** The index position of a persisted envelope, empty when the index does not hold it. */
  public CompletionStage<java.util.Optional<Long>> positionOf(String eventId) {
    return query(c -> {
      try (PreparedStatement ps = prepare(c, "SELECT position FROM " + EventIndexSchema.EVENTS + " WHERE event_id = ?",
          List.of(eventId)); ResultSet rs = ps.executeQuery()) {
        return rs.next() ? java.util.Optional.of(rs.getLong(1)) : java.util.Optional.empty();
      }
    });
  }

  /**
   * The journal's highest ordering now. Every journal event committed before this call has an ordering at
   * most this; one committed later may have a lower one, but it is published on the live topic later too.
   */
  public CompletionStage<Long> journalHighWater() {
    return journalQuery(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT MAX(\"ordering\") FROM " + JOURNAL);
           ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    });
  }

  /**
   * The longest a query waits for the index to catch up with the journal (see {@link #caughtUp}). The index
   * trails the journal by ~100 ms while it keeps up; after a burst it can trail by seconds, and a query then
   * answers from what it holds rather than not at all.
   */
  public static final Duration QUERY_CATCH_UP_LIMIT = Duration.ofSeconds(3);

  /**
   * The limit instead of {@link #QUERY_CATCH_UP_LIMIT} until the index has caught up once since the node started.
   * After a kill -9 the journal's orderings go on past a gap (H2 hands out identities ahead of its commits), and
   * the read journal waits for the missing ones for 5 s (its max-tries × query-delay) before the projections
   * follow on: a query answered from the index meanwhile missed what the workflows wrote since the restart, and a
   * requeue of a dead letter added then was a 404 (black-box round 12, on a quiet node).
   */
  public static final Duration STARTING_CATCH_UP_LIMIT = Duration.ofSeconds(30);

  /** Whether a query has found the index caught up with the journal since the node started. */
  private volatile boolean caughtUpSinceStart;

  /**
   * Completes once the index holds every journal event committed before this call, or after {@link
   * #QUERY_CATCH_UP_LIMIT} ({@link #STARTING_CATCH_UP_LIMIT} while the node starts): a query run after it reads
   * its writes, e.g. a workflow's events once {@code GET /workflows/{id}} showed its end (SPEC §5 queries "the
   * event store", which is the journal).
   */
  public CompletionStage<Void> caughtUp() {
    Duration limit = caughtUpSinceStart ? QUERY_CATCH_UP_LIMIT : STARTING_CATCH_UP_LIMIT;
    return journalHighWater().thenCompose(high -> awaitIndexedUpTo(high, limit))
        .thenRun(() -> caughtUpSinceStart = true)
        .exceptionally(failure -> {
          Throwable cause = failure instanceof CompletionException && failure.getCause() != null
              ? failure.getCause() : failure;
          if (cause instanceof TimeoutException) {
            return null; // behind by seconds: answer from what the index holds
          }
          throw failure instanceof CompletionException c ? c : new CompletionException(failure);
        });
  }

  /** {@code query}, run once the index has caught up with the journal as it was when the query came (see above). */
  public <Q, P> Function<Q, CompletionStage<P>> readingYourWrites(Function<Q, CompletionStage<P>> query) {
    return q -> caughtUp().thenCompose(caught -> query.apply(q));
  }

  /**
   * Completes once both index projections have indexed every tagged journal event up to {@code ordering}
   * (their committed offsets, which commit with the rows, have reached the last tagged event at or below it);
   * fails with a TimeoutException after {@code timeout}. Reads the offset table again at each commit of the index,
   * which the projections announce to every node (they may run on another).
   */
  public CompletionStage<Void> awaitIndexedUpTo(long ordering, Duration timeout) {
    return awaitIndexedUpTo(ordering, System.nanoTime() + timeout.toNanos());
  }

  private CompletionStage<Void> awaitIndexedUpTo(long ordering, long deadlineNanos) {
    // Taken before the offsets are read: a commit during the read then wakes the wait instead of being missed.
    CompletableFuture<Void> nextCommit = advances.next().toCompletableFuture();
    return query(c -> {
      try (Connection journal = db.journalConnection()) {
        return indexedUpTo(journal, c, ordering);
      }
    }).thenCompose(done -> {
      if (done) {
        return CompletableFuture.completedFuture(null);
      }
      long leftNanos = deadlineNanos - System.nanoTime();
      if (leftNanos <= 0) {
        return CompletableFuture.failedFuture(new TimeoutException(
            "the event index has not caught up with the journal (ordering " + ordering + ")"));
      }
      long waitNanos = Math.min(leftNanos, TimeUnit.MILLISECONDS.toNanos(CATCH_UP_RECHECK_MS));
      // A copy: the shared next-commit future must not complete with this waiter's timeout.
      return nextCommit.copy().completeOnTimeout(null, waitNanos, TimeUnit.NANOSECONDS)
          .thenComposeAsync(woken -> awaitIndexedUpTo(ordering, deadlineNanos), queries);
    });
  }

  /** Whether the projections' offsets ({@code index}) have reached the journal's tagged events up to {@code ordering}. */
  private static boolean indexedUpTo(Connection journal, Connection index, long ordering) throws SQLException {
    for (String tag : EventIndexProjection.TAGS) {
      long target;
      try (PreparedStatement ps = prepare(journal, "SELECT \"event_id\" FROM " + JOURNAL_TAGS + " WHERE \"tag\" = ? AND "
          + "\"event_id\" <= ? ORDER BY \"event_id\" DESC LIMIT 1", List.of(tag, ordering));
           ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          continue;
        }
        target = rs.getLong(1);
      }
      try (PreparedStatement ps = prepare(index, "SELECT \"current_offset\" FROM " + OFFSETS + " WHERE "
          + "\"projection_name\" = ? AND \"projection_key\" = ?", List.of(EventIndexProjection.NAME, tag));
           ResultSet rs = ps.executeQuery()) {
        if (!rs.next() || Long.parseLong(rs.getString(1)) < target) {
          return false;
        }
      }
    }
    return true;
  }

  // ---- retention ----

  /** Up to {@code limit} workflows that finished (completed, failed, cancelled) before {@code cutoff}, oldest first. */
  public CompletionStage<List<String>> finishedBefore(Instant cutoff, int limit) {
    return query(c -> {
      List<String> ids = new ArrayList<>();
      try (PreparedStatement ps = prepare(c, "SELECT workflow_id FROM " + EventIndexSchema.WORKFLOWS
          + " WHERE status <> ? AND completed_at IS NOT NULL AND completed_at < ? ORDER BY completed_at LIMIT ?",
          List.of(WorkflowStatus.RUNNING.wire(), cutoff.toEpochMilli(), limit)); ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getString(1));
        }
      }
      return ids;
    });
  }

  /**
   * Removes a workflow for good, in one transaction per database: its journal events and their tags, its
   * snapshots; then its envelopes in the index (not provider envelopes that mention it: they belong to the
   * provider's stream), its dead letters and its row of the workflow list. False, removing nothing, while the index has not
   * indexed all of its journal events yet: rows indexed after the removal would outlive it. The caller
   * makes sure the workflow entity writes nothing meanwhile.
   */
  public CompletionStage<Boolean> forgetWorkflow(String persistenceId, String workflowId) {
    return query(index -> {
      try (Connection journal = db.journalConnection()) {
        return forget(journal, index, persistenceId, workflowId);
      }
    });
  }

  /**
   * The journal's rows first, then the index's: when the two are separate databases a crash in between leaves
   * index rows of a workflow whose journal is gone, which the next sweep finds and removes (the journal part
   * is then a no-op). The other order could leave journal rows that no sweep ever finds again.
   */
  private static boolean forget(Connection journal, Connection index, String persistenceId, String workflowId)
      throws SQLException {
    long last;
    try (PreparedStatement ps = prepare(journal, "SELECT MAX(\"ordering\") FROM " + JOURNAL
        + " WHERE \"persistence_id\" = ?", List.of(persistenceId)); ResultSet rs = ps.executeQuery()) {
      rs.next();
      last = rs.getLong(1);
    }
    if (last > 0 && !indexedUpTo(journal, index, last)) {
      return false;
    }
    inTransaction(journal, List.of(
        "DELETE FROM " + JOURNAL_TAGS + " WHERE \"event_id\" IN (SELECT \"ordering\" FROM " + JOURNAL
            + " WHERE \"persistence_id\" = ?)",
        "DELETE FROM " + JOURNAL + " WHERE \"persistence_id\" = ?",
        "DELETE FROM \"snapshot\" WHERE \"persistence_id\" = ?"), persistenceId);
    inTransaction(index, List.of(
        "DELETE FROM " + EventIndexSchema.EVENTS + " WHERE workflow_id = ? AND event_group <> 'provider'",
        "DELETE FROM " + EventIndexSchema.DEAD_LETTERS + " WHERE workflow_id = ?",
        "DELETE FROM " + EventIndexSchema.WORKFLOWS + " WHERE workflow_id = ?"), workflowId);
    return true;
  }

  /** Runs every statement with the one argument in one transaction (a no-op commit when there is nothing). */
  private static void inTransaction(Connection c, List<String> statements, String argument) throws SQLException {
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    try {
      for (String sql : statements) {
        try (PreparedStatement ps = prepare(c, sql, List.of(argument))) {
          ps.executeUpdate();
        }
      }
      c.commit();
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(autoCommit);
    }
  }

  /** Milliseconds between a journal event's write and its index commit, for the last event indexed here (-1: none yet). */
  public long lastLagMillis() {
    return progress.lastLagMillis();
  }

  /** The largest such lag seen by this JVM since start (it includes catching up after downtime). */
  public long maxLagMillis() {
    return progress.maxLagMillis();
  }

  @Override
  public void close() {
    db.close();
  }

  @FunctionalInterface
  private interface ConnectionSource {
    Connection open() throws SQLException;
  }

  /** Runs {@code sql} on a connection to the journal's tables, on the query dispatcher. */
  private <T> CompletionStage<T> journalQuery(Sql<T> sql) {
    return run(db::journalConnection, sql);
  }

  /** Runs {@code sql} on a connection to the index's tables, on the query dispatcher. */
  private <T> CompletionStage<T> query(Sql<T> sql) {
    return run(db::connection, sql);
  }

  private <T> CompletionStage<T> run(ConnectionSource source, Sql<T> sql) {
    return CompletableFuture.supplyAsync(() -> {
      try (Connection c = source.open()) {
        return sql.run(c);
      } catch (SQLException e) {
        throw new CompletionException(e);
      }
    }, queries);
  }

  private static void equal(StringBuilder sql, List<Object> args, String column, String value) {
    if (value != null) {
      sql.append(" AND ").append(column).append(" = ?");
      args.add(value);
    }
  }

  private static PreparedStatement prepare(Connection c, String sql, List<Object> args) throws SQLException {
    PreparedStatement ps = c.prepareStatement(sql);
    for (int i = 0; i < args.size(); i++) {
      ps.setObject(i + 1, args.get(i));
    }
    return ps;
  }

  /**
   * Envelope times have millisecond precision: the first whole millisecond at or after {@code t}, so that
   * {@code since} stays inclusive and {@code until} exclusive when a bound has a finer fraction.
   */
  static long ceilMillis(Instant t) {
    long floor = t.toEpochMilli();
    return t.getNano() % 1_000_000 == 0 ? floor : floor + 1;
  }
}
