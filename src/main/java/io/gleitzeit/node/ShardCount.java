package io.gleitzeit.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The number of shards per entity type a node uses on its journal. An entity's shard is its id's hash modulo that
 * number, and sharding restarts a remembered entity (a running workflow, a provider) in the shard it was remembered
 * in: with another number the same entity would also start in its new shard, twice at once on one journal. So a
 * journal keeps the number it was written with. Journals written before the number was configured have shards up
 * to Pekko's default of 1,000; on such a journal the node keeps 1,000 and says so.
 */
final class ShardCount {

  static final String KEY = "pekko.cluster.sharding.number-of-shards";
  /** The number every journal written before {@code conf/cluster.conf} set one has. */
  static final int EARLIER_DEFAULT = 1000;
  private static final Logger LOG = LoggerFactory.getLogger(ShardCount.class);
  /** One remember-entities store per shard that ever had an entity: {@code /sharding/<type>Shard/<shard id>}. */
  private static final String SHARD_STORES = "SELECT DISTINCT \"persistence_id\" FROM \"event_journal\" "
      + "WHERE \"persistence_id\" LIKE '/sharding/%Shard/%'";

  private ShardCount() {}

  /**
   * {@code config} with the number of shards its journal needs. A journal that cannot be read here is left to the
   * node's start-up, which reports it; a journal without tables yet is new.
   */
  static Config forJournal(Config config) {
    int configured = config.getInt(KEY);
    Config db = config.getConfig("pekko-persistence-jdbc.shared-databases.slick.db");
    int highest;
    try (Connection c = DriverManager.getConnection(db.getString("url"), db.getString("user"),
        db.getString("password"))) {
      highest = highestShard(c);
    } catch (SQLException unreadable) {
      return config;
    }
    if (highest < configured) {
      return config;
    }
    int kept = Math.max(EARLIER_DEFAULT, highest + 1);
    LOG.warn("this journal has remembered entities in shard {}: it was written with {} shards per entity type, "
        + "which it keeps ({} = {} applies to new journals only)", highest, kept, KEY, configured);
    return config.withValue(KEY, ConfigValueFactory.fromAnyRef(kept));
  }

  /** The highest shard id with a remember-entities store in the journal; -1 for a new journal. */
  static int highestShard(Connection c) throws SQLException {
    try (ResultSet tables = c.getMetaData().getTables(null, null, "event_journal", null)) {
      if (!tables.next()) {
        return -1;
      }
    }
    int highest = -1;
    try (PreparedStatement ps = c.prepareStatement(SHARD_STORES); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        String id = rs.getString(1);
        try {
          highest = Math.max(highest, Integer.parseInt(id.substring(id.lastIndexOf('/') + 1)));
        } catch (NumberFormatException notAShardStore) {
          // another sharding persistence id (a coordinator's); not a shard
        }
      }
    }
    return highest;
  }
}
