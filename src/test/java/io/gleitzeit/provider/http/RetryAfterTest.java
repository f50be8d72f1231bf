package io.gleitzeit.provider.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.gleitzeit.provider.TaskFailure;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Retry-After parsing and how an answer becomes a result or a failure (retryable, minimum delay). */
class RetryAfterTest {

  private static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");
  private static final HttpSettings SETTINGS = HttpSettings.from(ConfigFactory.parseString("max-retry-after = 10m"));

  @Test
  void shouldReadDelaySecondsAndHttpDates() {
    assertEquals(Optional.of(Duration.ofSeconds(120)), RetryAfter.parse(" 120 ", NOW));
    assertEquals(Optional.of(Duration.ofSeconds(90)), RetryAfter.parse("Thu, 26 Nov 2026 10:01:30 GMT", NOW));
    assertEquals(Optional.of(Duration.ZERO), RetryAfter.parse("Wed, 25 Nov 2026 10:00:00 GMT", NOW));
    assertEquals(Optional.empty(), RetryAfter.parse("soon", NOW));
    assertEquals(Optional.empty(), RetryAfter.parse("-5", NOW));
    assertEquals(Optional.empty(), RetryAfter.parse("99999999999999999999999", NOW));
    assertEquals(Optional.empty(), RetryAfter.parse(null, NOW));
  }

  @Test
  void shouldReadTheObsoleteDateFormsARecipientMustAccept() {
    // RFC 9110 §5.6.7: RFC 850 (a two-digit year, within 50 years of now) and C's asctime (a padded day).
    assertEquals(Optional.of(Duration.ofSeconds(90)), RetryAfter.parse("Thursday, 26-Nov-26 10:01:30 GMT", NOW));
    assertEquals(Optional.of(Duration.ofSeconds(90)), RetryAfter.parse("Thu Nov 26 10:01:30 2026", NOW));
    assertEquals(Optional.of(Duration.ofDays(4).plusSeconds(5)), RetryAfter.parse("Mon Nov 30 10:00:05 2026", NOW));
    assertEquals(Optional.of(Duration.ofDays(5)), RetryAfter.parse("Tue Dec  1 10:00:00 2026", NOW));
    assertEquals(Optional.of(Duration.ZERO), RetryAfter.parse("Sunday, 06-Nov-94 08:49:37 GMT", NOW),
        "94 is 1994, not 2094");
  }

  private static TaskFailure fail(int status, Map<String, List<String>> headers, String body) {
    return assertThrows(TaskFailure.class, () -> HttpResult.of("GET", "http://h/x", status, headers,
        body.getBytes(StandardCharsets.UTF_8), SETTINGS, NOW));
  }

  @Test
  void shouldCarryRetryAfterOn429And503Only() {
    TaskFailure tooMany = fail(429, Map.of("Retry-After", List.of("3")), "slow down");
    assertTrue(tooMany.retryable());
    assertEquals(Duration.ofSeconds(3), tooMany.retryAfter());
    assertTrue(tooMany.getMessage().startsWith("HTTP 429 from GET http://h/x: slow down"), tooMany.getMessage());

    TaskFailure unavailable = fail(503, Map.of("retry-after", List.of("Thu, 26 Nov 2026 10:00:05 GMT")), "");
    assertTrue(unavailable.retryable());
    assertEquals(Duration.ofSeconds(5), unavailable.retryAfter());

    TaskFailure serverError = fail(500, Map.of("retry-after", List.of("3")), "boom");
    assertTrue(serverError.retryable());
    assertNull(serverError.retryAfter());

    TaskFailure noHeader = fail(429, Map.of(), "");
    assertTrue(noHeader.retryable());
    assertNull(noHeader.retryAfter());
  }

  @Test
  void shouldNotRetryOther4xxNorARetryAfterBeyondTheConfiguredMaximum() {
    TaskFailure notFound = fail(404, Map.of(), "x".repeat(2000));
    assertFalse(notFound.retryable());
    assertTrue(notFound.getMessage().length() < 700, "the body is only an excerpt");
    TaskFailure tooLong = fail(429, Map.of("Retry-After", List.of("3600")), "");
    assertFalse(tooLong.retryable());
    assertTrue(tooLong.getMessage().contains("max-retry-after"), tooLong.getMessage());
  }

  @Test
  void shouldParseJsonBodiesByContentTypeAndKeepOthersAsText() {
    JsonNode json = HttpResult.of("GET", "u", 200, Map.of("Content-Type", List.of("application/problem+json"),
        "Set-Cookie", List.of("a=1", "b=2")), "{\"a\":[1]}".getBytes(StandardCharsets.UTF_8), SETTINGS, NOW);
    assertEquals(200, json.get("status").asInt());
    assertEquals(1, json.at("/body/a/0").asInt());
    assertEquals("application/problem+json", json.at("/headers/content-type").asText());
    assertEquals(2, json.at("/headers/set-cookie").size());
    JsonNode text = HttpResult.of("GET", "u", 201, Map.of("content-type", List.of("text/plain")),
        "{\"a\":1}".getBytes(StandardCharsets.UTF_8), SETTINGS, NOW);
    assertInstanceOf(com.fasterxml.jackson.databind.node.TextNode.class, text.get("body"));
    JsonNode broken = HttpResult.of("GET", "u", 200, Map.of("content-type", List.of("application/json")),
        "{oops".getBytes(StandardCharsets.UTF_8), SETTINGS, NOW);
    assertEquals("{oops", broken.get("body").asText());
    assertEquals(List.of("json", "text", "text"), List.of(json.get("body_encoding").asText(),
        text.get("body_encoding").asText(), broken.get("body_encoding").asText()));
  }

  @Test
  void shouldReadTextInItsDeclaredCharsetAndKeepOtherBytesAsBase64() {
    byte[] cafe = {'c', 'a', 'f', (byte) 0xe9}; // "café" in ISO-8859-1: not UTF-8
    JsonNode latin = HttpResult.of("GET", "u", 200, Map.of("content-type", List.of("text/plain; charset=iso-8859-1")),
        cafe, SETTINGS, NOW);
    assertEquals("café", latin.get("body").asText());
    assertEquals("text", latin.get("body_encoding").asText());

    byte[] png = {(byte) 0x89, 'P', 'N', 'G', 0, (byte) 0xff};
    JsonNode binary = HttpResult.of("GET", "u", 200, Map.of("content-type", List.of("image/png")), png, SETTINGS, NOW);
    assertEquals("base64", binary.get("body_encoding").asText());
    assertEquals(List.of((byte) 0x89, (byte) 0xff), List.of(java.util.Base64.getDecoder()
        .decode(binary.get("body").asText())[0], java.util.Base64.getDecoder().decode(binary.get("body").asText())[5]));
    JsonNode undeclared = HttpResult.of("GET", "u", 200, Map.of(), cafe, SETTINGS, NOW);
    assertEquals("base64", undeclared.get("body_encoding").asText(), "not UTF-8, the default: its bytes are kept");
  }
}
