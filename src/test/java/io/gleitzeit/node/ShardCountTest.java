package io.gleitzeit.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A journal keeps the number of shards it was written with; a new one gets the configured number. */
class ShardCountTest {

  @TempDir
  Path dir;

  private String url() {
    return "jdbc:h2:file:" + dir.resolve("journal") + ";DB_CLOSE_DELAY=0";
  }

  private Config config(int shards) {
    return ConfigFactory.parseMap(Map.of(
        ShardCount.KEY, shards,
        "pekko-persistence-jdbc.shared-databases.slick.db.url", url(),
        "pekko-persistence-jdbc.shared-databases.slick.db.user", "sa",
        "pekko-persistence-jdbc.shared-databases.slick.db.password", ""));
  }

  private void journalWith(String... persistenceIds) throws SQLException {
    try (Connection c = DriverManager.getConnection(url(), "sa", ""); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS \"event_journal\" (\"persistence_id\" VARCHAR(255) NOT NULL, "
          + "\"sequence_number\" BIGINT NOT NULL)");
      for (String id : persistenceIds) {
        s.execute("INSERT INTO \"event_journal\" VALUES ('" + id + "', 1), ('" + id + "', 2)");
      }
    }
  }

  @Test
  void shouldGiveANewJournalTheConfiguredNumber() {
    assertEquals(100, ShardCount.forJournal(config(100)).getInt(ShardCount.KEY));
  }

  @Test
  void shouldKeepTheConfiguredNumberWhenEveryRememberedShardIsBelowIt() throws SQLException {
    journalWith("/sharding/WorkflowShard/0", "/sharding/WorkflowShard/99", "/sharding/ProviderShard/42",
        "/sharding/WorkflowCoordinator", "Workflow|wf-1");

    assertEquals(100, ShardCount.forJournal(config(100)).getInt(ShardCount.KEY));
  }

  @Test
  void shouldKeepTheEarlierDefaultOnAJournalWrittenWithIt() throws SQLException {
    journalWith("/sharding/WorkflowShard/7", "/sharding/ProviderShard/395", "/sharding/WorkflowCoordinator");

    assertEquals(ShardCount.EARLIER_DEFAULT, ShardCount.forJournal(config(100)).getInt(ShardCount.KEY));
  }

  @Test
  void shouldLeaveAJournalItCannotReadToTheNodesStartUp() {
    Config unreachable = config(100).withValue("pekko-persistence-jdbc.shared-databases.slick.db.url",
        com.typesafe.config.ConfigValueFactory.fromAnyRef("jdbc:h2:tcp://127.0.0.1:1/nothing"));

    assertEquals(100, ShardCount.forJournal(unreachable).getInt(ShardCount.KEY));
  }
}
