package io.gleitzeit.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.DateTimeException;
import java.time.Instant;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TimestampsTest {

  @Test
  void readsEveryFormattedTimestampAsInstantParseDoes() {
    SplittableRandom random = new SplittableRandom(42);
    long from = Instant.parse("1970-01-01T00:00:00.000Z").toEpochMilli();
    long to = Instant.parse("2400-12-31T23:59:59.999Z").toEpochMilli();
    for (int i = 0; i < 100_000; i++) {
      Instant instant = Instant.ofEpochMilli(random.nextLong(from, to));
      String text = Timestamps.format(instant);
      assertEquals(Instant.parse(text).toEpochMilli(), Timestamps.toEpochMilli(text), text);
    }
    for (String edge : new String[] {"1970-01-01T00:00:00.000Z", "2024-02-29T23:59:59.999Z",
        "2026-11-26T10:30:00.123Z", "2000-12-31T12:00:00.001Z"}) {
      assertEquals(Instant.parse(edge).toEpochMilli(), Timestamps.toEpochMilli(edge), edge);
    }
  }

  @Test
  void otherFormsGoToTheJdk() {
    assertEquals(Instant.parse("2026-11-26T10:30:00Z").toEpochMilli(), Timestamps.toEpochMilli("2026-11-26T10:30:00Z"));
    assertEquals(Instant.parse("2026-11-26T10:30:00.123456Z").toEpochMilli(),
        Timestamps.toEpochMilli("2026-11-26T10:30:00.123456Z"));
  }

  @Test
  void rejectsWhatIsNotATimestamp() {
    for (String bad : new String[] {"2026-13-26T10:30:00.123Z", "2026-02-30T10:30:00.123Z",
        "2026-11-26T24:30:00.123Z", "2026-11-26T10:60:00.123Z", "2026-1x-26T10:30:00.123Z", "yesterday"}) {
      assertThrows(DateTimeException.class, () -> Timestamps.toEpochMilli(bad), bad);
    }
  }
}
