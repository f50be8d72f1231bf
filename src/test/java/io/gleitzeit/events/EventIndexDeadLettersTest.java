package io.gleitzeit.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.gleitzeit.domain.WorkflowStatus;
import io.gleitzeit.provider.ProviderEntity;
import io.gleitzeit.provider.ProviderEvent;
import io.gleitzeit.workflow.WorkflowEntity;
import io.gleitzeit.workflow.WorkflowEvent;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dead letter read model (SPEC §7) as the index projection's handler builds it, on an in-memory H2
 * database: a task that failed for good (workflow stream) and a report its provider could not deliver
 * (provider stream) both become rows naming workflow, task, provider and attempt; a requeue marks its row.
 */
class EventIndexDeadLettersTest {

  private Connection connection;
  private final EventIndexProjectionHandler handler = new EventIndexProjectionHandler();
  private long offset;

  @BeforeEach
  void database() throws SQLException {
    connection = DriverManager.getConnection("jdbc:h2:mem:dead-letters-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    EventIndexSchema.create(connection, connection, "h2-dialect");
  }

  @AfterEach
  void close() throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute("SHUTDOWN");
    }
    connection.close();
  }

  /** Indexes one journal event in its own transaction (a group of one, as the projection may pass). */
  private void index(String persistenceId, Object event) throws Exception {
    IndexDatabase.Session session = new IndexDatabase.Session(connection);
    handler.process(session, java.util.List.of(EventEnvelope.create(Offset.sequence(++offset), persistenceId, offset,
        event, System.currentTimeMillis())));
    session.commit();
    connection.setAutoCommit(true);
  }

  private List<List<Object>> rows() throws SQLException {
    List<List<Object>> rows = new ArrayList<>();
    try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("SELECT dead_letter_id, kind,"
        + " workflow_id, task_id, provider_id, attempt, reason, error_type, added_at, status, requeued_at FROM "
        + EventIndexSchema.DEAD_LETTERS + " ORDER BY position")) {
      while (rs.next()) {
        List<Object> row = new ArrayList<>();
        for (int i = 1; i <= 11; i++) {
          row.add(i == 7 ? rs.getString(i) : rs.getObject(i)); // the reason is a CLOB
        }
        rows.add(row);
      }
    }
    return rows;
  }

  @Test
  void shouldListTaskAndReportDeadLettersWithTheirAttemptAndMarkARequeue() throws Exception {
    WorkflowEvent.TaskFailed failedForGood = (WorkflowEvent.TaskFailed) SampleEvents.all().get("TaskFailedFinal-v1");
    ProviderEvent.ReportUndeliverable undeliverable =
        (ProviderEvent.ReportUndeliverable) SampleProviderEvents.all().get("ReportUndeliverable-v1");
    long at = SampleEvents.AT.toEpochMilli();

    index(WorkflowEntity.persistenceIdOf("wf-1").id(), failedForGood);
    index(ProviderEntity.persistenceIdOf(SampleProviderEvents.PROVIDER).id(), undeliverable);

    String taskLetter = WorkflowEnvelopes.deadLetterId("wf-1", "a", 3);
    String reportLetter = ProviderEnvelopes.deadLetterId(SampleProviderEvents.PROVIDER, 10);
    assertEquals(List.of(
        List.of(taskLetter, "task", "wf-1", "a", "test-1", 3, "boom", "provider_error", at, "pending"),
        List.of(reportLetter, "report", "wf-2", "summarize", SampleProviderEvents.PROVIDER, 3, undeliverable.reason(),
            "report_undeliverable", at, "pending")),
        rows().stream().map(r -> r.subList(0, 10)).toList());

    // Requeueing the report runs its task again; the workflow's dead_letter:requeued marks the row.
    index(WorkflowEntity.persistenceIdOf("wf-2").id(), new WorkflowEvent.TaskRetriedManually("wf-2", "summarize", 4,
        false, List.of(), List.of("summarize"), true, reportLetter, WorkflowStatus.FAILED,
        SampleEvents.AT.plusSeconds(5), 40));

    List<List<Object>> after = rows();
    assertEquals("pending", after.get(0).get(9));
    assertNull(after.get(0).get(10));
    assertEquals("requeued", after.get(1).get(9));
    assertEquals(at + 5_000, after.get(1).get(10));
  }
}
