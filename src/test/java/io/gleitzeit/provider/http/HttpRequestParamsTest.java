package io.gleitzeit.provider.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import io.gleitzeit.domain.Json;
import io.gleitzeit.provider.TaskFailure;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** http/request params and the provider's settings: parsing, validation and the host allow-list. */
class HttpRequestParamsTest {

  private static final HttpSettings SETTINGS = HttpSettings.from(ConfigFactory.parseString(
      "allowed-hosts = [\"api.example.com\", \"127.0.0.1:8080\", \"[::1]:9000\"], default-timeout = 7s"));

  private static ObjectNode params(String json) {
    try {
      return (ObjectNode) Json.MAPPER.readTree(json.replace('\'', '"'));
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static TaskFailure failure(String json, HttpSettings settings) {
    return assertThrows(TaskFailure.class, () -> HttpRequestParams.parse(params(json), settings));
  }

  @Test
  void shouldDefaultToGetWithTheConfiguredTimeoutAndNoBody() {
    HttpRequestParams p = HttpRequestParams.parse(params("{'url': 'https://api.example.com/x'}"), SETTINGS);
    assertEquals("GET", p.method());
    assertEquals(URI.create("https://api.example.com/x"), p.uri());
    assertEquals(Duration.ofSeconds(7), p.timeout());
    assertNull(p.body());
  }

  @Test
  void shouldEncodeQueryParamsAfterAnExistingQueryAndSendJsonWithItsContentType() {
    HttpRequestParams p = HttpRequestParams.parse(params("{'method': 'post', 'url': 'http://127.0.0.1:8080/p?a=1',"
        + " 'query': {'q': 'a b&c', 'n': [1, 2]}, 'json': {'k': [1, true]}, 'timeout_ms': 250,"
        + " 'headers': {'X-Trace': 'abc'}}"), SETTINGS);
    assertEquals("POST", p.method());
    assertEquals("http://127.0.0.1:8080/p?a=1&q=a+b%26c&n=1&n=2", p.uri().toString());
    assertArrayEquals("{\"k\":[1,true]}".getBytes(StandardCharsets.UTF_8), p.body());
    assertEquals(List.of("application/json"), p.headers().get("Content-Type"));
    assertEquals(List.of("abc"), p.headers().get("X-Trace"));
    assertEquals(Duration.ofMillis(250), p.timeout());
  }

  @Test
  void shouldKeepAnExplicitContentTypeForATextBody() {
    HttpRequestParams p = HttpRequestParams.parse(params("{'method': 'PUT', 'url': 'http://api.example.com/',"
        + " 'body': 'hello', 'headers': {'content-type': 'text/csv'}}"), SETTINGS);
    assertEquals(List.of("text/csv"), p.headers().get("content-type"));
    assertFalse(p.headers().containsKey("Content-Type"));
    assertEquals("hello", new String(p.body(), StandardCharsets.UTF_8));
  }

  @Test
  void shouldRefuseAHostThatIsNotAllowedNamingItWithoutRetry() {
    TaskFailure f = failure("{'url': 'http://evil.example.org/steal'}", SETTINGS);
    assertFalse(f.retryable());
    assertTrue(f.getMessage().contains("evil.example.org:80"), f.getMessage());
    assertTrue(f.getMessage().contains("not allowed"), f.getMessage());
    // host:port entries allow that port only; case does not matter for the host
    assertThrows(TaskFailure.class, () -> HttpRequestParams.parse(params("{'url': 'http://127.0.0.1:8081/'}"), SETTINGS));
    HttpRequestParams.parse(params("{'url': 'HTTPS://API.Example.COM:8443/'}"), SETTINGS);
    HttpRequestParams.parse(params("{'url': 'http://[::1]:9000/'}"), SETTINGS);
  }

  @Test
  void shouldAllowNothingWhenNoHostsAreConfigured() {
    TaskFailure f = failure("{'url': 'http://127.0.0.1:8080/'}", HttpSettings.from(ConfigFactory.empty()));
    assertTrue(f.getMessage().contains("none configured"), f.getMessage());
  }

  @Test
  void shouldCollectEveryParamProblemInOneNonRetryableFailure() {
    TaskFailure f = failure("{'url': 'ftp://api.example.com/', 'json': 1, 'body': 'x', 'timeout_ms': -1,"
        + " 'headers': {'a': {}}, 'extra': 1, 'method': 'GE T'}", SETTINGS);
    assertFalse(f.retryable());
    for (String expected : List.of("http:// or https://", "either 'json' or 'body'", "timeout_ms", "headers.a",
        "unknown param 'extra'", "'method'")) {
      assertTrue(f.getMessage().contains(expected), () -> expected + " missing from " + f.getMessage());
    }
    assertTrue(failure("{}", SETTINGS).getMessage().contains("'url' is required"));
  }

  @Test
  void shouldRejectARestrictedHeaderWhenBuildingTheRequest() {
    HttpRequestParams p = HttpRequestParams.parse(params("{'url': 'http://api.example.com/',"
        + " 'headers': {'Host': 'other'}}"), SETTINGS);
    TaskFailure f = assertThrows(TaskFailure.class, p::toRequest);
    assertFalse(f.retryable());
  }

  @Test
  void shouldRejectMalformedSettings() {
    assertThrows(IllegalArgumentException.class,
        () -> HttpSettings.from(ConfigFactory.parseString("allowed-hosts = [\"http://x/\"]")));
    assertThrows(IllegalArgumentException.class,
        () -> HttpSettings.from(ConfigFactory.parseString("allowed-hosts = [\"x:99999\"]")));
    assertThrows(IllegalArgumentException.class,
        () -> HttpSettings.from(ConfigFactory.parseString("allowed-host = [\"x\"]")));
  }
}
