package io.gleitzeit.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import io.gleitzeit.provider.ProviderEntity;
import io.gleitzeit.workflow.WorkflowEntity;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
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
  /** The sharded entity types, whose remember-entities stores are {@code /sharding/<type>Shard/<shard id>}. */
  private static final List<String> ENTITY_TYPES = List.of(WorkflowEntity.ENTITY_KEY.name(),
      ProviderEntity.ENTITY_KEY.name());

  private ShardCount() {}

  /**
   * {@code config} with the number of shards its journal needs. A journal that cannot be read here is left to the
   * node's start-up, which reports it; a journal without tables yet is new.
   */
  static Config forJournal(Config config) {
    int configured = config.getInt(KEY);
    if (configured >= EARLIER_DEFAULT) {
      return config; // no earlier journal has a shard beyond it
    }
    Config db = config.getConfig("pekko-persistence-jdbc.shared-databases.slick.db");
    String store;
    try (Connection c = DriverManager.getConnection(db.getString("url"), db.getString("user"),
        db.getString("password"))) {
      store = earlierShardStore(c, configured);
    } catch (SQLException unreadable) {
      return config;
    }
    if (store == null) {
      return config;
    }
    LOG.warn("this journal has remembered entities in {}: it was written with {} shards per entity type, which it "
        + "keeps ({} = {} applies to new journals only)", store, EARLIER_DEFAULT, KEY, configured);
    return config.withValue(KEY, ConfigValueFactory.fromAnyRef(EARLIER_DEFAULT));
  }

  /**
   * The persistence id of a remember-entities store of a shard numbered from {@code configured} up to the earlier
   * default, or null when there is none (or no journal yet). Looked up by id, so that the cost at every start does
   * not grow with the journal.
   */
  static String earlierShardStore(Connection c, int configured) throws SQLException {
    try (ResultSet tables = c.getMetaData().getTables(null, null, "event_journal", null)) {
      if (!tables.next()) {
        return null;
      }
    }
    List<String> ids = new ArrayList<>();
    for (String type : ENTITY_TYPES) {
      for (int shard = configured; shard < EARLIER_DEFAULT; shard++) {
        ids.add("/sharding/" + type + "Shard/" + shard);
      }
    }
    String sql = "SELECT \"persistence_id\" FROM \"event_journal\" WHERE \"persistence_id\" IN ("
        + "?, ".repeat(ids.size() - 1) + "?) FETCH FIRST 1 ROWS ONLY";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < ids.size(); i++) {
        ps.setString(i + 1, ids.get(i));
      }
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }
}
