package io.gleitzeit.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Compaction of an H2 file written with WRITE_DELAY=0, on a real file: many one-row commits leave chunks that
 * are mostly dead, which H2 itself would never rewrite in this mode; a few rounds bring the fill rate up and
 * every row is still there.
 */
class EmbeddedH2CompactionTest {

  @Test
  void onlyAnEmbeddedFileWrittenAtEveryCommitNeedsIt() {
    assertTrue(EmbeddedH2Compaction.needsCompaction("jdbc:h2:file:/d/journal;WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE"));
    assertTrue(EmbeddedH2Compaction.needsCompaction("jdbc:h2:file:/d/journal;write_delay=0"));
    assertFalse(EmbeddedH2Compaction.needsCompaction("jdbc:h2:file:/d/journal"), "H2's background writer compacts");
    assertFalse(EmbeddedH2Compaction.needsCompaction("jdbc:h2:file:/d/journal;WRITE_DELAY=500"));
    assertFalse(EmbeddedH2Compaction.needsCompaction("jdbc:h2:file:/d/journal;WRITE_DELAY=01"));
    assertFalse(EmbeddedH2Compaction.needsCompaction("jdbc:h2:tcp://127.0.0.1:9092/journal;WRITE_DELAY=0"),
        "the server process owns its file");
    assertFalse(EmbeddedH2Compaction.needsCompaction("jdbc:postgresql://db/gleitzeit"));
  }

  @Test
  void theNodeStartsItForItsDefaultJournalOnlyWhenTurnedOn() throws Exception {
    Path dataDir = Files.createTempDirectory("gleitzeit-h2-compaction-node-");
    Config defaults = NodeConfig.load(0, 0, dataDir, null);
    assertTrue(EmbeddedH2Compaction.startFor(defaults).isEmpty(), "off by default (conf/persistence.conf says why)");
    Config config = ConfigFactory
        .parseString("gleitzeit.journal.h2-compaction.enabled = on").withFallback(defaults);
    try (EmbeddedH2Compaction started = EmbeddedH2Compaction.startFor(config).orElseThrow()) {
      assertTrue(started.chunksFillRate() >= 0, "a store of the journal's own file");
    }
    Config server = ConfigFactory.parseString(
        "pekko-persistence-jdbc.shared-databases.slick.db.url = \"jdbc:h2:tcp://127.0.0.1:1/journal;WRITE_DELAY=0\"")
        .withFallback(config);
    assertTrue(EmbeddedH2Compaction.startFor(server).isEmpty(), "a server's journal is not opened at all");
  }

  @Test
  void raisesTheFillRateOfAFileOfOneRowCommitsAndKeepsEveryRow() throws Exception {
    Path dir = Files.createTempDirectory("gleitzeit-h2-compaction-");
    // RETENTION_TIME=0: rewritten chunks are freed at the next commit instead of after 45 s.
    String url = "jdbc:h2:file:" + dir.resolve("journal") + ";WRITE_DELAY=0;RETENTION_TIME=0";
    int rows = 2_000;
    try (Connection c = DriverManager.getConnection(url, "sa", "")) {
      try (Statement s = c.createStatement()) {
        s.execute("CREATE TABLE journal (id BIGINT PRIMARY KEY, k VARCHAR(64), v VARCHAR(400))");
        s.execute("CREATE INDEX journal_k ON journal (k)");
      }
      try (PreparedStatement insert = c.prepareStatement("INSERT INTO journal VALUES (?, ?, ?)")) {
        for (int i = 0; i < rows; i++) {
          insert.setLong(1, i);
          insert.setString(2, "wf-" + (i * 7919 % rows));
          insert.setString(3, "x".repeat(300));
          insert.executeUpdate(); // auto-commit: one chunk per row, as the journal writes them
        }
      }
      try (EmbeddedH2Compaction compaction =
               EmbeddedH2Compaction.open(url, "sa", "", 80, 1 << 20, Duration.ofHours(1))) {
        int before = compaction.chunksFillRate();
        assertTrue(before < 50, "one-row commits leave mostly dead chunks: " + before + " %");
        for (int round = 0; round < 200 && compaction.compactNow(); round++) {
          try (Statement s = c.createStatement()) {
            s.execute("INSERT INTO journal VALUES (" + (rows + round) + ", 'after', 'x')"); // frees what was rewritten
          }
        }
        int after = compaction.chunksFillRate();
        assertTrue(after >= 60 && after > before, "fill rate " + before + " % -> " + after + " %");
      }
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
          "SELECT COUNT(*), COUNT(DISTINCT k) FROM journal WHERE id < " + rows + " AND v = '" + "x".repeat(300) + "'")) {
        rs.next();
        assertEquals(rows, rs.getInt(1));
        assertEquals(rows, rs.getInt(2));
      }
    }
  }
}
