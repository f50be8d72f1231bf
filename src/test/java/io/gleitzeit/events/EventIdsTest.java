package io.gleitzeit.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class EventIdsTest {

  private static final Instant AT = Instant.parse("2026-11-26T10:30:00.123Z");

  @Test
  void shouldDeriveTheSameIdFromTheSameStreamSequenceAndTime() {
    assertEquals(EventIds.of("workflow|wf-1", 7, AT), EventIds.of("workflow|wf-1", 7, AT));
  }

  @Test
  void shouldGiveEachStreamAndSequenceItsOwnIdWithinTheSameMillisecond() {
    var ids = new HashSet<String>();
    for (String stream : List.of("workflow|wf-1", "workflow|wf-2", "provider|wf-1")) {
      for (long seq = 1; seq <= 1_000; seq++) {
        assertTrue(ids.add(EventIds.of(stream, seq, AT)), () -> "a repeated id for " + stream);
      }
    }
  }

  @Test
  void shouldBeAVersion7UuidCarryingTheEventsMillisecond() {
    UUID id = UUID.fromString(EventIds.of("workflow|wf-1", 1, AT));
    assertEquals(7, id.version());
    assertEquals(2, id.variant());
    assertEquals(AT.toEpochMilli(), id.getMostSignificantBits() >>> 16);
  }

  /** Why they exist: the index's unique index on event_id is appended to at its right edge. */
  @Test
  void shouldSortAsTextInTheOrderOfTheirTimes() {
    List<String> ids = new ArrayList<>();
    for (int ms = 0; ms < 2_000; ms += 7) {
      ids.add(EventIds.of("workflow|wf-" + ms, 1, AT.plusMillis(ms)));
    }
    List<String> sorted = new ArrayList<>(ids);
    sorted.sort(null);
    assertEquals(ids, sorted);
    assertNotEquals(EventIds.of("workflow|wf-1", 1, AT), EventIds.of("workflow|wf-1", 1, AT.plusMillis(1)));
  }
}
