package io.gleitzeit.events;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The {@code gleitzeit.event-index} section (conf/event-index.conf), read once at start-up: where the index's
 * own small connection pool points (the journal's database), its size, the dispatcher its queries run on,
 * and the SQL dialect of the projection offset store, which also picks our column types.
 */
public record EventIndexSettings(
    String url,
    String user,
    String password,
    int poolSize,
    Duration connectionTimeout,
    String queryDispatcher,
    String dialect) {

  public static final String QUERY_DISPATCHER = "gleitzeit.event-index.query-dispatcher";

  public static EventIndexSettings from(Config config) {
    Config db = config.getConfig("gleitzeit.event-index.db");
    return new EventIndexSettings(
        db.getString("url"),
        db.getString("user"),
        db.getString("password"),
        db.getInt("pool-size"),
        db.getDuration("connection-timeout"),
        QUERY_DISPATCHER,
        config.getString("pekko.projection.jdbc.dialect"));
  }
}
