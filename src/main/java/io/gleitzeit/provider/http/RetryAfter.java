package io.gleitzeit.provider.http;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** RFC 9110 {@code Retry-After}: delay seconds or an HTTP date, as the least wait before the next attempt. */
public final class RetryAfter {

  private RetryAfter() {}

  /**
   * The wait {@code value} asks for, measured from {@code now}: a date in the past is zero; a malformed value
   * is empty (the retry policy alone decides).
   */
  public static Optional<Duration> parse(String value, Instant now) {
    if (value == null || value.isBlank()) {
      return Optional.empty();
    }
    String v = value.trim();
    if (v.chars().allMatch(Character::isDigit)) {
      try {
        return Optional.of(Duration.ofSeconds(Long.parseLong(v)));
      } catch (NumberFormatException | ArithmeticException e) {
        return Optional.empty(); // more seconds than a long holds
      }
    }
    return date(v, now).map(at -> {
      Duration d = Duration.between(now, at);
      return d.isNegative() ? Duration.ZERO : d;
    });
  }

  /** RFC 9110 §5.6.7: a recipient accepts the IMF-fixdate and the two obsolete forms, RFC 850 and asctime. */
  private static Optional<Instant> date(String v, Instant now) {
    try {
      return Optional.of(ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
    } catch (DateTimeParseException e) {
      // one of the obsolete forms, or malformed
    }
    // RFC 850's two-digit year is the one within 50 years of now, in the past rather than further ahead.
    LocalDate base = now.atZone(ZoneOffset.UTC).toLocalDate().minusYears(49);
    List<DateTimeFormatter> obsolete = List.of(
        new DateTimeFormatterBuilder().appendPattern("EEEE, dd-MMM-").appendValueReduced(ChronoField.YEAR, 2, 2, base)
            .appendPattern(" HH:mm:ss 'GMT'").toFormatter(Locale.US),
        DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.US));
    for (DateTimeFormatter f : obsolete) {
      try {
        return Optional.of(LocalDateTime.parse(v, f).toInstant(ZoneOffset.UTC));
      } catch (DateTimeParseException e) {
        // the next form
      }
    }
    return Optional.empty();
  }
}
