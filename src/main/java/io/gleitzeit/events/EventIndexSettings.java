package io.gleitzeit.events;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The {@code gleitzeit.event-index} section (conf/event-index.conf), read once at start-up: where the index's
 * own small connection pool points, where the journal is (the index reads its tables to know how far it has
 * come), the pool's size, the dispatcher its queries run on, and the SQL dialect of the projection offset
 * store, which also picks our column types.
 */
public record EventIndexSettings(
    String url,
    String user,
    String password,
    String journalUrl,
    int poolSize,
    Duration connectionTimeout,
    String queryDispatcher,
    String dialect) {

  public static final String QUERY_DISPATCHER = "gleitzeit.event-index.query-dispatcher";

  private static final String EMBEDDED_H2 = "jdbc:h2:file:";

  public static EventIndexSettings from(Config config) {
    Config db = config.getConfig("gleitzeit.event-index.db");
    String journalUrl = config.getString("pekko-persistence-jdbc.shared-databases.slick.db.url");
    String url = db.getString("url");
    return new EventIndexSettings(
        url.isBlank() ? indexUrlFor(journalUrl) : url,
        db.getString("user"),
        db.getString("password"),
        journalUrl,
        db.getInt("pool-size"),
        db.getDuration("connection-timeout"),
        QUERY_DISPATCHER,
        config.getString("pekko.projection.jdbc.dialect"));
  }

  /**
   * The index's database when none is configured. Beside an embedded H2 journal file, a file of its own
   * ({@code <journal>-index}) without {@code WRITE_DELAY=0}: H2 then writes its pages in the background instead
   * of at every commit, which is most of what indexing cost. That durability is enough for a view: its offsets
   * commit with its rows, so a crash loses both together and the projection indexes those events again. Any
   * other journal (an H2 server, PostgreSQL) is shared by the nodes of a cluster, and so is the index: it
   * lives in the journal's database.
   */
  static String indexUrlFor(String journalUrl) {
    if (!journalUrl.startsWith(EMBEDDED_H2)) {
      return journalUrl;
    }
    int semicolon = journalUrl.indexOf(';');
    String path = semicolon < 0 ? journalUrl : journalUrl.substring(0, semicolon);
    StringBuilder url = new StringBuilder(path).append("-index");
    if (semicolon >= 0) {
      for (String setting : journalUrl.substring(semicolon + 1).split(";")) {
        if (!setting.isBlank() && !setting.toUpperCase(java.util.Locale.ROOT).startsWith("WRITE_DELAY=")) {
          url.append(';').append(setting);
        }
      }
    }
    return url.toString();
  }

  /** Whether the index has a database of its own, apart from the journal's. */
  public boolean separateFromJournal() {
    return !url.equals(journalUrl);
  }
}
