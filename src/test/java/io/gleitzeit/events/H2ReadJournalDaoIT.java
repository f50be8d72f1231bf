package io.gleitzeit.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gleitzeit.node.GleitzeitNode;
import io.gleitzeit.provider.ProviderEntity;
import io.gleitzeit.testing.ApiTestClient;
import io.gleitzeit.testing.LocalNode;
import io.gleitzeit.workflow.WorkflowEntity;
import io.gleitzeit.testing.Resources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.jdbc.query.dao.DefaultReadJournalDao;
import org.apache.pekko.persistence.jdbc.query.dao.ReadJournalDao;
import org.apache.pekko.persistence.jdbc.query.scaladsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import scala.Tuple3;
import scala.util.Try;

/**
 * The read journal's tag query on an H2 file journal: the node uses {@link H2ReadJournalDao}, which answers
 * exactly what the plugin's own DAO answers for every window, and H2 plans its query without scanning the tag
 * table (the plugin's own query scans it at every poll).
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class H2ReadJournalDaoIT {

  private static final Duration END = Duration.ofSeconds(30);

  private GleitzeitNode node;
  private ApiTestClient api;
  private ReadJournalDao used;
  private DefaultReadJournalDao plugins;

  @BeforeAll
  void runWorkflows() throws Exception {
    Path dataDir = Files.createTempDirectory("gleitzeit-h2-read-dao-it-").resolve("data");
    node = LocalNode.start(dataDir, null);
    api = new ApiTestClient(node.baseUrl());
    for (int i = 0; i < 12; i++) {
      String id = "dao-" + i + "-" + UUID.randomUUID();
      api.submitAccepted("{\"id\": \"" + id + "\", \"tasks\": [{\"id\": \"a\", \"method\": \"test/echo\"},"
          + " {\"id\": \"b\", \"method\": \"test/echo\", \"dependencies\": [\"a\"]}]}");
      assertEquals("completed", api.awaitEnd(id, END).status());
    }
    JdbcReadJournal readJournal = PersistenceQuery.get(Adapter.toClassic(node.system()))
        .readJournalFor(JdbcReadJournal.Identifier());
    used = readJournal.readJournalDao();
    H2ReadJournalDao ours = assertInstanceOf(H2ReadJournalDao.class, used, "the node's read journal DAO");
    plugins = new DefaultReadJournalDao(ours.db(), ours.profile(), ours.readJournalConfig(),
        SerializationExtension.get(Adapter.toClassic(node.system())), ours.ec(), ours.mat());
  }

  @AfterAll
  void stop() {
    Resources.closeAll(api, node);
  }

  private List<String> events(ReadJournalDao dao, String tag, long offset, long maxOffset, long max) throws Exception {
    List<Try<Tuple3<PersistentRepr, scala.collection.immutable.Set<String>, Object>>> rows =
        dao.eventsByTag(tag, offset, maxOffset, max).asJava().runWith(Sink.seq(), node.system())
            .toCompletableFuture().get(30, TimeUnit.SECONDS);
    return rows.stream().map(t -> {
      Tuple3<PersistentRepr, scala.collection.immutable.Set<String>, Object> e = t.get();
      return e._3() + " " + e._1().persistenceId() + "#" + e._1().sequenceNr() + " " + e._1().payload();
    }).toList();
  }

  @Test
  void answersWhatThePluginsQueryAnswersForEveryWindow() throws Exception {
    long last = (Long) scala.concurrent.Await.result(used.maxJournalSequence(),
        scala.concurrent.duration.Duration.create(30, TimeUnit.SECONDS));
    assertTrue(last > 50, "a journal of some size: " + last);
    for (String tag : List.of(WorkflowEntity.TAG, ProviderEntity.TAG)) {
      List<String> all = events(plugins, tag, 0, last, 100_000);
      assertFalse(all.isEmpty(), tag);
      assertEquals(all, events(used, tag, 0, last, 100_000), tag + ": the whole journal");
      for (long offset : List.of(0L, 7L, last / 3, last / 2, last - 5, last)) {
        for (long window : List.of(1L, 13L, last)) {
          for (long max : List.of(1L, 5L, 1_000L)) {
            assertEquals(events(plugins, tag, offset, offset + window, max), events(used, tag, offset, offset + window, max),
                tag + " after " + offset + ", window " + window + ", at most " + max);
          }
        }
      }
    }
  }

  @Test
  void h2PlansTheQueryWithoutScanningTheTagTable() throws Exception {
    String sql = ((H2ReadJournalDao) used).eventsByTagSql()
        .replaceFirst("\\?", "'workflow'").replaceFirst("\\?", "10").replaceFirst("\\?", "20").replaceFirst("\\?", "100");
    // The node's own URL: in this JVM, a session on the node's open database.
    String url = node.system().settings().config().getString("pekko-persistence-jdbc.shared-databases.slick.db.url");
    try (Connection c = DriverManager.getConnection(url, "sa", "");
         Statement s = c.createStatement(); ResultSet plan = s.executeQuery("EXPLAIN " + sql)) {
      plan.next();
      String text = plan.getString(1);
      assertFalse(text.contains("tableScan"), text);
    }
  }
}
