package io.gleitzeit.provider.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.provider.TaskFailure;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What an answer becomes: for 2xx the result {@code {status, headers, body, body_encoding}} (header names
 * lower-case, each a string or, when repeated, a list; a JSON body parsed, any other as text in its declared
 * charset, or base64 when its bytes are not text in that charset); otherwise a {@link TaskFailure}
 * carrying the status and an excerpt of the body, retryable for 5xx and 429, with a minimum delay from
 * {@code Retry-After} on 429 and 503.
 */
public final class HttpResult {

  static final int EXCERPT_CHARS = 500;

  private HttpResult() {}

  public static JsonNode of(String method, String url, int status, Map<String, List<String>> headers, byte[] body,
                            HttpSettings settings, Instant now) {
    if (status >= 200 && status < 300) {
      ObjectNode result = Json.MAPPER.createObjectNode().put("status", status);
      result.set("headers", headers(headers));
      putBody(result, first(headers, "content-type"), body);
      return result;
    }
    throw failure(method, url, status, headers, body, settings, now);
  }

  static TaskFailure failure(String method, String url, int status, Map<String, List<String>> headers, byte[] body,
                             HttpSettings settings, Instant now) {
    String text = new String(body, charset(first(headers, "content-type"))).strip();
    String excerpt = text.length() > EXCERPT_CHARS ? text.substring(0, EXCERPT_CHARS) + "..." : text;
    String message = "HTTP " + status + " from " + method + " " + url + (excerpt.isEmpty() ? "" : ": " + excerpt);
    boolean retryable = status >= 500 || status == 429;
    Duration retryAfter = null;
    if (status == 429 || status == 503) {
      Optional<Duration> asked = RetryAfter.parse(first(headers, "retry-after"), now);
      if (asked.isPresent() && asked.get().compareTo(settings.maxRetryAfter()) > 0) {
        return new TaskFailure(message + " (Retry-After " + asked.get().toSeconds() + " s exceeds max-retry-after "
            + settings.maxRetryAfter().toSeconds() + " s: not retried)", false);
      }
      retryAfter = asked.orElse(null);
    }
    return new TaskFailure(message, retryable, retryAfter);
  }

  static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    String media = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    return media.endsWith("/json") || media.endsWith("+json");
  }

  /**
   * {@code body} and how it was read ({@code body_encoding}): {@code json} parsed, {@code text} in the content
   * type's charset (UTF-8 when it names none), or {@code base64} for bytes that are not text in it (an image, a
   * zip): decoding them as text would replace every byte it cannot read with U+FFFD, and lose them.
   */
  private static void putBody(ObjectNode result, String contentType, byte[] body) {
    if (isJson(contentType) && body.length > 0) {
      try {
        result.set("body", Json.MAPPER.readTree(body));
        result.put("body_encoding", "json");
        return;
      } catch (java.io.IOException e) {
        // declared JSON but is not: keep it as text rather than lose it
      }
    }
    try {
      String text = charset(contentType).newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
      result.put("body", text).put("body_encoding", "text");
    } catch (CharacterCodingException e) {
      result.put("body", Base64.getEncoder().encodeToString(body)).put("body_encoding", "base64");
    }
  }

  /** The {@code charset} a content type names, if Java knows it; UTF-8 otherwise. */
  static Charset charset(String contentType) {
    if (contentType != null) {
      for (String param : contentType.split(";")) {
        String[] kv = param.split("=", 2);
        if (kv.length == 2 && kv[0].trim().equalsIgnoreCase("charset")) {
          try {
            return Charset.forName(kv[1].trim().replace("\"", ""));
          } catch (IllegalArgumentException e) {
            break; // unknown or malformed: read as UTF-8
          }
        }
      }
    }
    return StandardCharsets.UTF_8;
  }

  private static ObjectNode headers(Map<String, List<String>> headers) {
    Map<String, List<String>> lower = lowerCased(headers);
    ObjectNode out = Json.MAPPER.createObjectNode();
    lower.forEach((name, values) -> {
      if (values.size() == 1) {
        out.put(name, values.get(0));
      } else {
        ArrayNode list = out.putArray(name);
        values.forEach(list::add);
      }
    });
    return out;
  }

  private static Map<String, List<String>> lowerCased(Map<String, List<String>> headers) {
    Map<String, List<String>> lower = new TreeMap<>();
    headers.forEach((name, values) -> {
      if (!name.startsWith(":")) { // HTTP/2 pseudo-headers
        lower.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new java.util.ArrayList<>()).addAll(values);
      }
    });
    return lower;
  }

  private static String first(Map<String, List<String>> headers, String name) {
    for (Map.Entry<String, List<String>> e : headers.entrySet()) {
      if (e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
        return e.getValue().get(0);
      }
    }
    return null;
  }
}
