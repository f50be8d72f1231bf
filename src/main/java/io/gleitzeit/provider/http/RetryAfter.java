package io.gleitzeit.provider.http;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
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
    try {
      Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      Duration d = Duration.between(now, at);
      return Optional.of(d.isNegative() ? Duration.ZERO : d);
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
