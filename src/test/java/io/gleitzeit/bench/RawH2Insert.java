package io.gleitzeit.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;

/**
 * The ceiling of the journal's database on this machine: journal-shaped rows inserted into a fresh H2 file
 * database with the node's durability setting ({@code WRITE_DELAY=0}), in batches committed one at a time,
 * spread over 100 persistence ids. The table is Pekko Persistence JDBC's H2 {@code "event_journal"} (same
 * columns, identity, primary key and ordering index), so the engine's journal writes per second can be read
 * as a fraction of this figure.
 */
final class RawH2Insert {

  private static final String CREATE = """
      CREATE TABLE IF NOT EXISTS "event_journal" (
        "ordering" BIGINT UNIQUE NOT NULL AUTO_INCREMENT,
        "deleted" BOOLEAN DEFAULT false NOT NULL,
        "persistence_id" VARCHAR(255) NOT NULL,
        "sequence_number" BIGINT NOT NULL,
        "writer" VARCHAR NOT NULL,
        "write_timestamp" BIGINT NOT NULL,
        "adapter_manifest" VARCHAR NOT NULL,
        "event_payload" BLOB NOT NULL,
        "event_ser_id" INTEGER NOT NULL,
        "event_ser_manifest" VARCHAR NOT NULL,
        "meta_payload" BLOB,
        "meta_ser_id" INTEGER,
        "meta_ser_manifest" VARCHAR,
        PRIMARY KEY("persistence_id","sequence_number")
      );
      CREATE UNIQUE INDEX IF NOT EXISTS "event_journal_ordering_idx" ON "event_journal"("ordering");
      """;

  private static final String INSERT = "INSERT INTO \"event_journal\" (\"deleted\", \"persistence_id\","
      + " \"sequence_number\", \"writer\", \"write_timestamp\", \"adapter_manifest\", \"event_payload\","
      + " \"event_ser_id\", \"event_ser_manifest\", \"meta_payload\", \"meta_ser_id\", \"meta_ser_manifest\")"
      + " VALUES (false, ?, ?, ?, ?, '', ?, 31, 'io.gleitzeit.workflow.WorkflowEvent$TaskCompleted', NULL, NULL, NULL)";

  private static final int ENTITIES = 100;

  record Result(long rows, int batch, double seconds) {
    double rowsPerSecond() {
      return rows / seconds;
    }
  }

  private RawH2Insert() {}

  /** {@code warmup} rows first (not timed), then {@code rows} rows, {@code batch} per commit. */
  static Result run(Path dir, long warmup, long rows, int batch) throws SQLException {
    String url = "jdbc:h2:file:" + dir.toAbsolutePath() + "/raw;WRITE_DELAY=0";
    byte[] payload = new byte[300];
    Arrays.fill(payload, (byte) 'x');
    byte[] json = "{\"workflow_id\":\"wf-0000000\",\"task_id\":\"t\",\"attempt\":1,\"result\":".getBytes(StandardCharsets.UTF_8);
    System.arraycopy(json, 0, payload, 0, json.length);
    try (Connection c = DriverManager.getConnection(url, "sa", "")) {
      try (Statement s = c.createStatement()) {
        s.execute(CREATE);
      }
      c.setAutoCommit(false);
      long[] sequence = new long[ENTITIES];
      try (PreparedStatement insert = c.prepareStatement(INSERT)) {
        insert(c, insert, sequence, warmup, batch, payload);
        long t0 = System.nanoTime();
        insert(c, insert, sequence, rows, batch, payload);
        return new Result(rows, batch, (System.nanoTime() - t0) / 1e9);
      }
    }
  }

  private static void insert(Connection c, PreparedStatement insert, long[] sequence, long rows, int batch,
                             byte[] payload) throws SQLException {
    long written = 0;
    int entity = 0;
    while (written < rows) {
      int n = (int) Math.min(batch, rows - written);
      for (int i = 0; i < n; i++) {
        entity = (entity + 1) % ENTITIES;
        insert.setString(1, "Workflow|raw-" + entity);
        insert.setLong(2, ++sequence[entity]);
        insert.setString(3, "bench-writer");
        insert.setLong(4, System.currentTimeMillis());
        insert.setBytes(5, payload);
        insert.addBatch();
      }
      insert.executeBatch();
      c.commit();
      written += n;
    }
  }
}
