package io.gleitzeit.bench;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Set;

/**
 * The bench's own connection to the node's journal (H2 with AUTO_SERVER: the node serves its file to this
 * JVM over TCP). Reads only. Close it before the node is killed: with AUTO_SERVER the surviving JVM takes
 * the database over, and a restarted node would then reach its own journal through the bench.
 */
final class JournalProbe implements AutoCloseable {

  /**
   * Rows written so far: the journal's highest ordering (counts rows deleted since), and the tag rows; and
   * the H2 store's version, which every commit to the file (the journal's, the snapshot store's, the bench's
   * and compaction's own) moves on by one.
   */
  record Rows(long journal, long tags, long version) {
    long since(Rows before) {
      return (journal - before.journal) + (tags - before.tags);
    }

    long commitsSince(Rows before) {
      return version - before.version;
    }
  }

  /** Pekko's remember-entities store: {@code EntitiesStopped} (ClusterShardingMessageSerializer "CF"). */
  private static final String ENTITIES_STOPPED = "CF";

  private final Connection connection;

  JournalProbe(String jdbcUrl) {
    try {
      this.connection = DriverManager.getConnection(jdbcUrl, "sa", "");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot open the journal at " + jdbcUrl, e);
    }
  }

  Rows rows() {
    try (Statement s = connection.createStatement()) {
      long journal;
      try (ResultSet r = s.executeQuery("SELECT COALESCE(MAX(\"ordering\"), 0) FROM \"event_journal\"")) {
        r.next();
        journal = r.getLong(1);
      }
      long tags;
      try (ResultSet r = s.executeQuery("SELECT COUNT(*) FROM \"event_tag\"")) {
        r.next();
        tags = r.getLong(1);
      }
      try (ResultSet r = s.executeQuery("SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS"
          + " WHERE SETTING_NAME = 'info.CURRENT_VERSION'")) {
        return new Rows(journal, tags, r.next() ? Long.parseLong(r.getString(1).trim()) : 0);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot count journal rows", e);
    }
  }

  /** The H2 page cache the node holds in its heap (MB, as H2 reports it; at most the cache's maximum, 16 MB by default). */
  long h2CacheMb() {
    try (Statement s = connection.createStatement();
         ResultSet r = s.executeQuery("SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS"
             + " WHERE SETTING_NAME = 'info.CACHE_SIZE'")) {
      return r.next() ? Long.parseLong(r.getString(1).trim()) : -1;
    } catch (SQLException | NumberFormatException e) {
      return -1;
    }
  }

  /**
   * How many distinct workflow entities whose id starts with {@code prefix} sharding has recorded as stopped
   * (passivated) in the journal. Sharding remembers running workflows (remember-entities, event-sourced
   * store): a passivated entity is one {@code EntitiesStopped} event of its shard, whose payload is a protobuf
   * list of entity ids (field 1, strings). Every call reads all of them again: orderings are assigned before
   * commit, so a scan that resumed after the highest ordering seen could skip a row committed late.
   */
  int stopped(String prefix) {
    Set<String> ids = new HashSet<>();
    try (PreparedStatement s = connection.prepareStatement("SELECT \"event_payload\" FROM \"event_journal\""
        + " WHERE \"persistence_id\" LIKE '/sharding/WorkflowShard/%' AND \"event_ser_manifest\" = ?")) {
      s.setString(1, ENTITIES_STOPPED);
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          collectIds(r.getBytes(1), prefix, ids);
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read the remember-entities rows", e);
    }
    return ids.size();
  }

  private static void collectIds(byte[] payload, String prefix, Set<String> ids) {
    int i = 0;
    while (i < payload.length) {
      int key = payload[i++] & 0xff;
      int length = 0;
      int shift = 0;
      int b;
      do {
        b = payload[i++] & 0xff;
        length |= (b & 0x7f) << shift;
        shift += 7;
      } while ((b & 0x80) != 0);
      if (key == 0x0a) {
        String id = new String(payload, i, length, StandardCharsets.UTF_8);
        if (id.startsWith(prefix)) {
          ids.add(id);
        }
      }
      i += length;
    }
  }

  @Override
  public void close() {
    try {
      connection.close();
    } catch (SQLException e) {
      // nothing to keep
    }
  }
}
