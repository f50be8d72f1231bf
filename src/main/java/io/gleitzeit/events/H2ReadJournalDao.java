package io.gleitzeit.events;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.apache.pekko.NotUsed;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.jdbc.PekkoSerialization;
import org.apache.pekko.persistence.jdbc.config.EventJournalTableColumnNames;
import org.apache.pekko.persistence.jdbc.config.EventJournalTableConfiguration;
import org.apache.pekko.persistence.jdbc.config.EventTagTableConfiguration;
import org.apache.pekko.persistence.jdbc.config.ReadJournalConfig;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables;
import org.apache.pekko.persistence.jdbc.query.dao.DefaultReadJournalDao;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.scaladsl.Source;
import scala.Option;
import scala.Tuple3;
import scala.concurrent.ExecutionContext;
import scala.util.Try;
import slick.jdbc.H2Profile;
import slick.jdbc.JdbcBackend;
import slick.jdbc.JdbcProfile;

/**
 * The read journal's DAO (pekko-persistence-jdbc's own) with one query replaced on H2: a tag's events, which the
 * event index's projections ask for all the time. The plugin asks for them as a join of the tag table with a
 * derived table of the journal; H2, unlike PostgreSQL, cannot turn that join around and scans the whole tag
 * table for every poll, so the index cost more the longer the journal grew (measured: 12 ms a poll at 30,000
 * events, a third of a core under load). The same query as a plain join ranges over the journal's ordering and
 * looks each tag up by its key. Every other query, and any other database, is the plugin's own.
 */
public final class H2ReadJournalDao extends DefaultReadJournalDao {

  private final Serialization serialization;
  /** Whether the journal is on H2; on any other database the plugin's own query runs. */
  private final boolean onH2;
  private final String eventsByTagSql;
  /** Where the blocking JDBC call runs: Pekko's dispatcher for blocking IO, never the default one. */
  private final Executor blocking;

  public H2ReadJournalDao(JdbcBackend.JdbcDatabaseDef db, JdbcProfile profile, ReadJournalConfig config,
                          Serialization serialization, ExecutionContext ec, Materializer mat) {
    super(db, profile, config, serialization, ec, mat);
    this.serialization = serialization;
    this.onH2 = profile instanceof H2Profile;
    this.eventsByTagSql = sqlFor(config.eventJournalTableConfiguration(), config.eventTagTableConfiguration());
    this.blocking = mat.system().dispatchers().lookup("pekko.actor.default-blocking-io-dispatcher");
  }

  /** The plugin's query (same columns, same conditions, same order) as a join H2 plans well. */
  static String sqlFor(EventJournalTableConfiguration journal, EventTagTableConfiguration tags) {
    EventJournalTableColumnNames c = journal.columnNames();
    String columns = String.join(", ", List.of(c.ordering(), c.deleted(), c.persistenceId(), c.sequenceNumber(),
            c.writer(), c.writeTimestamp(), c.adapterManifest(), c.eventPayload(), c.eventSerId(), c.eventSerManifest(),
            c.metaPayload(), c.metaSerId(), c.metaSerManifest()).stream().map(name -> "j." + quote(name)).toList());
    return "SELECT " + columns
        + " FROM " + table(journal.schemaName(), journal.tableName()) + " j"
        + " JOIN " + table(tags.schemaName(), tags.tableName()) + " t ON t." + quote(tags.columnNames().eventId())
        + " = j." + quote(c.ordering())
        + " WHERE t." + quote(tags.columnNames().tag()) + " = ? AND j." + quote(c.deleted()) + " = FALSE"
        + " AND j." + quote(c.ordering()) + " > ? AND j." + quote(c.ordering()) + " <= ?"
        + " ORDER BY j." + quote(c.ordering()) + " LIMIT ?";
  }

  /** The query that replaces the plugin's (parameters: tag, after ordering, up to ordering, at most). */
  String eventsByTagSql() {
    return eventsByTagSql;
  }

  @Override
  public Source<Try<Tuple3<PersistentRepr, scala.collection.immutable.Set<String>, Object>>, NotUsed> eventsByTag(
      String tag, long offset, long maxOffset, long max) {
    if (!onH2) {
      return super.eventsByTag(tag, offset, maxOffset, max);
    }
    long limit = correctMaxForH2Driver(max);
    return org.apache.pekko.stream.javadsl.Source
        .lazyCompletionStage(() -> CompletableFuture.supplyAsync(() -> query(tag, offset, maxOffset, limit), blocking))
        .mapConcat(rows -> rows)
        .asScala()
        .mapMaterializedValue(ignored -> NotUsed.getInstance());
  }

  private List<Try<Tuple3<PersistentRepr, scala.collection.immutable.Set<String>, Object>>> query(
      String tag, long offset, long maxOffset, long limit) {
    List<Try<Tuple3<PersistentRepr, scala.collection.immutable.Set<String>, Object>>> events = new ArrayList<>();
    try (Connection connection = db().source().createConnection();
         PreparedStatement ps = connection.prepareStatement(eventsByTagSql)) {
      ps.setString(1, tag);
      ps.setLong(2, offset);
      ps.setLong(3, maxOffset);
      ps.setLong(4, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          // As the plugin's: the tags of an event are not filled in (nothing reads them).
          events.add(PekkoSerialization.fromRow(serialization, row(rs))
              .map(decoded -> new Tuple3<>(decoded._1(), scala.collection.immutable.Set$.MODULE$.<String>empty(),
                  decoded._2())));
        }
      }
    } catch (SQLException e) {
      throw new CompletionException(e);
    }
    return events;
  }

  private static JournalTables.JournalPekkoSerializationRow row(ResultSet rs) throws SQLException {
    int metaSerId = rs.getInt(12);
    Option<Object> metaSerIdOrNone = rs.wasNull() ? Option.empty() : Option.apply(metaSerId);
    return new JournalTables.JournalPekkoSerializationRow(rs.getLong(1), rs.getBoolean(2), rs.getString(3),
        rs.getLong(4), rs.getString(5), rs.getLong(6), rs.getString(7), rs.getBytes(8), rs.getInt(9),
        rs.getString(10), Option.apply(rs.getBytes(11)), metaSerIdOrNone, Option.apply(rs.getString(13)));
  }

  private static String table(Option<String> schema, String name) {
    return schema.isDefined() ? quote(schema.get()) + "." + quote(name) : quote(name);
  }

  private static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }
}
