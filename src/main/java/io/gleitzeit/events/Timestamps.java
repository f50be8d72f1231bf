package io.gleitzeit.events;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** SPEC: every timestamp is UTC ISO-8601 with exactly millisecond precision, e.g. 2026-11-26T10:30:00.123Z. */
public final class Timestamps {
  private static final DateTimeFormatter FORMAT =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private Timestamps() {}

  public static String format(Instant instant) {
    return instant == null ? null : FORMAT.format(instant);
  }

  /**
   * Epoch milliseconds of a timestamp in the format above, read digit by digit (the event index reads one per
   * envelope row, and {@code Instant.parse} was a tenth of its time); any other text goes to {@code Instant.parse}.
   */
  public static long toEpochMilli(String timestamp) {
    if (timestamp.length() != 24 || timestamp.charAt(4) != '-' || timestamp.charAt(7) != '-'
        || timestamp.charAt(10) != 'T' || timestamp.charAt(13) != ':' || timestamp.charAt(16) != ':'
        || timestamp.charAt(19) != '.' || timestamp.charAt(23) != 'Z') {
      return Instant.parse(timestamp).toEpochMilli();
    }
    int year = digits(timestamp, 0, 4);
    int month = digits(timestamp, 5, 2);
    int day = digits(timestamp, 8, 2);
    int hour = digits(timestamp, 11, 2);
    int minute = digits(timestamp, 14, 2);
    int second = digits(timestamp, 17, 2);
    int milli = digits(timestamp, 20, 3);
    if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 || milli < 0) {
      return Instant.parse(timestamp).toEpochMilli(); // not digits: let the JDK say what is wrong
    }
    long epochDay = LocalDate.of(year, month, day).toEpochDay(); // validates month and day
    if (hour > 23 || minute > 59 || second > 59) {
      return Instant.parse(timestamp).toEpochMilli();
    }
    return ((epochDay * 24 + hour) * 60 + minute) * 60_000L + second * 1000L + milli;
  }

  /** The decimal number in {@code text[from, from + count)}, or -1 if a character is not a digit. */
  private static int digits(String text, int from, int count) {
    int value = 0;
    for (int i = from; i < from + count; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }
}
