package io.gleitzeit.events;

import io.gleitzeit.domain.Json;
import io.gleitzeit.domain.WorkflowStatus;
import io.gleitzeit.provider.ProviderEvent;
import io.gleitzeit.workflow.WorkflowEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Indexes a group of journal events: their SPEC §4 envelopes (the same {@link WorkflowEnvelopes} / {@link
 * ProviderEnvelopes} mapping every other reader uses) become rows of {@code gleitzeit_event_index}, and a
 * workflow event that submits a workflow or changes its status updates {@code gleitzeit_workflows}. Runs
 * inside the projection's transaction, so the rows and the projection's offset commit together — once per
 * group, not per event: each commit of the H2 file rewrites the pages it touched, so fewer commits cost
 * less CPU and disk than the same rows committed one by one.
 */
final class EventIndexProjectionHandler
    extends JdbcHandler<List<org.apache.pekko.projection.eventsourced.EventEnvelope<Object>>, IndexDatabase.Session> {

  private static final Logger LOG = LoggerFactory.getLogger(EventIndexProjectionHandler.class);

  private static final String LOCK = "SELECT id FROM " + EventIndexSchema.WRITER + " WHERE id = 1 FOR UPDATE";
  private static final String INSERT = "INSERT INTO " + EventIndexSchema.EVENTS + " (event_id, event_type, "
      + "event_group, timestamp_ms, workflow_id, task_id, provider_id, severity, sequence_number, envelope) "
      + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  private static final String POSITION_OF = "SELECT position FROM " + EventIndexSchema.EVENTS + " WHERE event_id = ?";
  private static final String UPDATE_SUBMITTED = "UPDATE " + EventIndexSchema.WORKFLOWS + " SET name = ?, "
      + "status = ?, submitted_at = ?, completed_at = NULL, list_position = ?, task_count = ? WHERE workflow_id = ?";
  private static final String INSERT_SUBMITTED = "INSERT INTO " + EventIndexSchema.WORKFLOWS + " (name, status, "
      + "submitted_at, completed_at, list_position, task_count, workflow_id) VALUES (?, ?, ?, NULL, ?, ?, ?)";
  private static final String INSERT_DEAD_LETTER = "INSERT INTO " + EventIndexSchema.DEAD_LETTERS
      + " (dead_letter_id, position, kind, workflow_id, task_id, provider_id, attempt, reason, error_type, added_at,"
      + " status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')";
  private static final String REQUEUE_DEAD_LETTER = "UPDATE " + EventIndexSchema.DEAD_LETTERS
      + " SET status = 'requeued', requeued_at = ? WHERE dead_letter_id = ?";
  private static final String UPDATE_STATUS = "UPDATE " + EventIndexSchema.WORKFLOWS + " SET status = ?, "
      + "completed_at = ? WHERE workflow_id = ?";

  @Override
  public void process(IndexDatabase.Session session,
                      List<org.apache.pekko.projection.eventsourced.EventEnvelope<Object>> group) throws Exception {
    List<Indexed> indexed = new ArrayList<>(group.size());
    for (var envelope : group) {
      Object event = envelope.event();
      if (event instanceof WorkflowEvent w) {
        indexed.add(new Indexed(event, WorkflowEnvelopes.of(w)));
      } else if (event instanceof ProviderEvent p) {
        indexed.add(new Indexed(event, ProviderEnvelopes.of(p)));
      } else {
        LOG.warn("not indexed: {} (sequence {}) is neither a workflow nor a provider event: {}",
            envelope.persistenceId(), envelope.sequenceNr(), event == null ? null : event.getClass().getName());
      }
    }
    if (indexed.stream().allMatch(i -> i.envelopes().isEmpty())) {
      return; // e.g. a provider taking tasks without turning busy: nothing a reader sees
    }
    session.withConnection(c -> {
      lockWriters(c);
      long after = TimeMarks.lastPosition(c);
      long latest = Long.MIN_VALUE;
      for (Indexed i : indexed) {
        latest = Math.max(latest, write(c, i.event(), i.envelopes()));
      }
      TimeMarks.written(c, after, latest);
      return null;
    });
  }

  /** A journal event and the envelopes it yields. */
  private record Indexed(Object event, List<EventEnvelope> envelopes) {}

  /** Serialises index writers (the workflow and the provider projection): positions then commit in order. */
  private static void lockWriters(Connection c) throws SQLException {
    try (PreparedStatement lock = c.prepareStatement(LOCK); ResultSet rs = lock.executeQuery()) {
      if (!rs.next()) {
        throw new SQLException("the row of " + EventIndexSchema.WRITER + " is missing");
      }
    }
  }

  /** Indexes one journal event's envelopes; returns the latest of their times (for {@link TimeMarks}). */
  private static long write(Connection c, Object event, List<EventEnvelope> envelopes) throws SQLException {
    long latest = Long.MIN_VALUE;
    if (envelopes.isEmpty()) {
      return latest;
    }
    try (PreparedStatement insert = c.prepareStatement(INSERT)) {
      for (EventEnvelope e : envelopes) {
        long at = Timestamps.toEpochMilli(e.timestamp());
        latest = Math.max(latest, at);
        insert.setString(1, e.eventId());
        insert.setString(2, e.eventType());
        insert.setString(3, group(e.eventType()));
        insert.setLong(4, at);
        insert.setString(5, e.workflowId());
        insert.setString(6, e.taskId());
        insert.setString(7, e.providerId());
        insert.setString(8, e.severity());
        insert.setLong(9, e.sequenceNumber());
        insert.setString(10, Json.compact(e.toTree()));
        insert.addBatch();
      }
      insert.executeBatch();
    }
    for (EventEnvelope e : envelopes) {
      if ("dead_letter:added".equals(e.eventType())) {
        deadLetterAdded(c, e);
      } else if ("dead_letter:requeued".equals(e.eventType())) {
        try (PreparedStatement ps = c.prepareStatement(REQUEUE_DEAD_LETTER)) {
          ps.setLong(1, Timestamps.toEpochMilli(e.timestamp()));
          ps.setString(2, e.payload().path("dead_letter_id").asText());
          ps.executeUpdate();
        }
      }
    }
    if (event instanceof WorkflowEvent.WorkflowSubmitted submitted) {
      submitted(c, submitted, envelopes.get(0));
    } else if (event instanceof WorkflowEvent w) {
      statusChange(c, w);
    }
    return latest;
  }

  private static void deadLetterAdded(Connection c, EventEnvelope e) throws SQLException {
    long position;
    try (PreparedStatement ps = c.prepareStatement(POSITION_OF)) {
      ps.setString(1, e.eventId());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        position = rs.getLong(1);
      }
    }
    var p = e.payload();
    try (PreparedStatement ps = c.prepareStatement(INSERT_DEAD_LETTER)) {
      ps.setString(1, p.path("dead_letter_id").asText());
      ps.setLong(2, position);
      ps.setString(3, p.path("kind").asText("task"));
      ps.setString(4, e.workflowId());
      ps.setString(5, e.taskId());
      ps.setString(6, e.providerId());
      ps.setInt(7, p.path("attempt").asInt());
      ps.setString(8, p.path("reason").asText(null));
      ps.setString(9, p.path("error_type").asText(null));
      ps.setLong(10, Timestamps.toEpochMilli(e.timestamp()));
      ps.executeUpdate();
    }
  }

  /** The group of an event type: {@code task} for {@code task:completed}, what {@code type=task:*} matches. */
  static String group(String eventType) {
    int colon = eventType.indexOf(':');
    return colon < 0 ? eventType : eventType.substring(0, colon);
  }

  private static void submitted(Connection c, WorkflowEvent.WorkflowSubmitted e, EventEnvelope first)
      throws SQLException {
    long position;
    try (PreparedStatement ps = c.prepareStatement(POSITION_OF)) {
      ps.setString(1, first.eventId());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        position = rs.getLong(1);
      }
    }
    int updated;
    try (PreparedStatement ps = c.prepareStatement(UPDATE_SUBMITTED)) {
      bindSubmitted(ps, e, position);
      updated = ps.executeUpdate();
    }
    if (updated == 0) {
      try (PreparedStatement ps = c.prepareStatement(INSERT_SUBMITTED)) {
        bindSubmitted(ps, e, position);
        ps.executeUpdate();
      }
    }
  }

  private static void bindSubmitted(PreparedStatement ps, WorkflowEvent.WorkflowSubmitted e, long position)
      throws SQLException {
    ps.setString(1, e.definition().name());
    ps.setString(2, WorkflowStatus.RUNNING.wire());
    ps.setLong(3, e.at().toEpochMilli());
    ps.setLong(4, position);
    ps.setInt(5, e.definition().tasks().size());
    ps.setString(6, e.workflowId());
  }

  /** The workflow statuses of SPEC §3, as WorkflowState applies them. */
  private static void statusChange(Connection c, WorkflowEvent event) throws SQLException {
    WorkflowStatus to = null;
    if (event instanceof WorkflowEvent.TaskCompleted e) {
      to = e.consequences().outcome();
    } else if (event instanceof WorkflowEvent.TaskFailed e) {
      to = e.consequences().outcome();
    } else if (event instanceof WorkflowEvent.TaskResolutionFailed e) {
      to = e.consequences().outcome();
    } else if (event instanceof WorkflowEvent.WorkflowCancelled) {
      to = WorkflowStatus.CANCELLED;
    } else if (event instanceof WorkflowEvent.TaskRetriedManually e && e.workflowReopened()) {
      to = WorkflowStatus.RUNNING;
    }
    if (to == null) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement(UPDATE_STATUS)) {
      ps.setString(1, to.wire());
      if (to.terminal()) {
        ps.setLong(2, event.at().toEpochMilli());
      } else {
        ps.setNull(2, Types.BIGINT);
      }
      ps.setString(3, event.workflowId());
      ps.executeUpdate();
    }
  }
}
