package io.gleitzeit.events;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Where the event index lives when its URL is not configured. */
class EventIndexSettingsTest {

  @Test
  void shouldPutTheIndexOfAnEmbeddedH2JournalInAFileOfItsOwnWithoutTheWriteDelayOfZero() {
    assertEquals("jdbc:h2:file:/data/journal-index;MAX_LENGTH_INPLACE_LOB=65536;DB_CLOSE_ON_EXIT=FALSE",
        EventIndexSettings.indexUrlFor(
            "jdbc:h2:file:/data/journal;WRITE_DELAY=0;MAX_LENGTH_INPLACE_LOB=65536;DB_CLOSE_ON_EXIT=FALSE"));
    assertEquals("jdbc:h2:file:./data/journal-index", EventIndexSettings.indexUrlFor("jdbc:h2:file:./data/journal"));
    assertEquals("jdbc:h2:file:/b/journal-index;AUTO_SERVER=TRUE",
        EventIndexSettings.indexUrlFor("jdbc:h2:file:/b/journal;write_delay=0;AUTO_SERVER=TRUE"));
  }

  @Test
  void shouldKeepTheIndexInTheJournalsDatabaseWhenNodesShareIt() {
    String h2Server = "jdbc:h2:tcp://127.0.0.1:9123/journal;WRITE_DELAY=0";
    String postgres = "jdbc:postgresql://127.0.0.1:5432/gleitzeit";
    assertEquals(h2Server, EventIndexSettings.indexUrlFor(h2Server));
    assertEquals(postgres, EventIndexSettings.indexUrlFor(postgres));
  }
}
