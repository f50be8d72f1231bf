package io.gleitzeit.events;

import java.nio.file.Files;
import java.time.Duration;

/** An event index database of its own, in an H2 file in a new temporary directory, for tests of the index's SQL. */
final class TestIndexes {

  private TestIndexes() {}

  static IndexDatabase inTemporaryFile(String prefix) throws Exception {
    String url = "jdbc:h2:file:" + Files.createTempDirectory(prefix).resolve("journal-index");
    return new IndexDatabase(new EventIndexSettings(url, "sa", "", url, 2, Duration.ofSeconds(5),
        EventIndexSettings.QUERY_DISPATCHER, "h2-dialect"));
  }
}
