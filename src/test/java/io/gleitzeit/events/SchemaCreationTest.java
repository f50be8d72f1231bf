package io.gleitzeit.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.sql.SQLException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Table creation from several nodes at once: a lost race is run again, anything else fails at once. */
class SchemaCreationTest {

  @ParameterizedTest
  @ValueSource(strings = {
      // H2, three nodes on one H2 TCP server (seen in NodeLossIT before the retry)
      "General error: \"java.lang.RuntimeException: object already exists: GLEITZEIT_DEAD_LETTERS_WORKFLOW\"",
      // PostgreSQL, two sessions creating one table or index
      "ERROR: duplicate key value violates unique constraint \"pg_class_relname_nsp_index\"",
      "ERROR: relation \"event_journal\" already exists"})
  void shouldRunTheCreationAgainAfterLosingARace(String message) throws Exception {
    AtomicInteger runs = new AtomicInteger();
    SchemaCreation.run(() -> {
      if (runs.incrementAndGet() < 3) {
        // As the journal's schema creation fails: wrapped by a future.
        throw new ExecutionException(new SQLException(message));
      }
    });
    assertEquals(3, runs.get());
  }

  @Test
  void shouldNotRetryAnUnreachableDatabase() {
    AtomicInteger runs = new AtomicInteger();
    SQLException unreachable = new SQLException("Connection refused");
    SQLException thrown = assertThrows(SQLException.class, () -> SchemaCreation.run(() -> {
      runs.incrementAndGet();
      throw unreachable;
    }));
    assertSame(unreachable, thrown);
    assertEquals(1, runs.get());
  }

  @Test
  void shouldGiveUpAfterSoManyLostRaces() {
    AtomicInteger runs = new AtomicInteger();
    assertThrows(SQLException.class, () -> SchemaCreation.run(() -> {
      runs.incrementAndGet();
      throw new SQLException("object already exists");
    }));
    assertEquals(SchemaCreation.ATTEMPTS, runs.get());
  }
}
