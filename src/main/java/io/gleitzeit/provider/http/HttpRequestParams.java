package io.gleitzeit.provider.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.provider.TaskFailure;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The params of one {@code http/request}, checked: {@code {method (default GET), url, headers {}, query {},
 * json (any JSON, sent as application/json) | body (text), timeout_ms}}. Every problem is a non-retryable
 * {@link TaskFailure}, as is a URL whose host is not on the provider's allowed hosts.
 */
public record HttpRequestParams(String method, URI uri, Map<String, List<String>> headers, byte[] body,
                                Duration timeout) {

  private static final Set<String> KEYS = Set.of("method", "url", "headers", "query", "json", "body", "timeout_ms");
  private static final Pattern TOKEN = Pattern.compile("[A-Z][A-Z0-9_-]{0,31}");

  public static HttpRequestParams parse(ObjectNode params, HttpSettings settings) {
    List<String> problems = new ArrayList<>();
    for (Iterator<String> it = params.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!KEYS.contains(key)) {
        problems.add("unknown param '" + key + "' (known: method, url, headers, query, json, body, timeout_ms)");
      }
    }
    String method = "GET";
    JsonNode m = params.get("method");
    if (m != null && !m.isNull()) {
      if (!m.isTextual() || !TOKEN.matcher(m.asText().toUpperCase(Locale.ROOT)).matches()) {
        problems.add("'method' must be an HTTP method such as GET or POST, got " + m);
      } else {
        method = m.asText().toUpperCase(Locale.ROOT);
      }
    }
    URI uri = null;
    JsonNode u = params.get("url");
    if (u == null || !u.isTextual() || u.asText().isBlank()) {
      problems.add("'url' is required: an absolute http:// or https:// URL");
    } else {
      try {
        uri = withQuery(new URI(u.asText().trim()), params.get("query"), problems);
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
          problems.add("'url' must be http:// or https://, got " + u.asText());
          uri = null;
        } else if (uri.getHost() == null) {
          problems.add("'url' has no host: " + u.asText());
          uri = null;
        }
      } catch (URISyntaxException e) {
        problems.add("'url' is not a valid URL: " + e.getMessage());
      }
    }
    Map<String, List<String>> headers = headers(params.get("headers"), problems);
    byte[] body = null;
    JsonNode json = params.get("json");
    JsonNode text = params.get("body");
    if (json != null && text != null) {
      problems.add("give either 'json' or 'body', not both");
    } else if (json != null) {
      try {
        body = Json.MAPPER.writeValueAsBytes(json);
      } catch (JsonProcessingException e) {
        problems.add("'json' cannot be written: " + e.getOriginalMessage());
      }
      if (headers.keySet().stream().noneMatch(h -> h.equalsIgnoreCase("content-type"))) {
        headers.put("Content-Type", List.of("application/json"));
      }
    } else if (text != null && !text.isNull()) {
      if (!text.isTextual()) {
        problems.add("'body' must be text (use 'json' for a JSON body), got " + text.getNodeType());
      } else {
        body = text.asText().getBytes(StandardCharsets.UTF_8);
        if (headers.keySet().stream().noneMatch(h -> h.equalsIgnoreCase("content-type"))) {
          headers.put("Content-Type", List.of("text/plain; charset=utf-8"));
        }
      }
    }
    Duration timeout = settings.defaultTimeout();
    JsonNode t = params.get("timeout_ms");
    if (t != null && !t.isNull()) {
      if (!t.canConvertToLong() || !t.isIntegralNumber() || t.asLong() <= 0) {
        problems.add("'timeout_ms' must be a whole number of milliseconds > 0, got " + t);
      } else {
        timeout = Duration.ofMillis(t.asLong());
      }
    }
    if (!problems.isEmpty()) {
      throw new TaskFailure("http/request: " + String.join("; ", problems), false);
    }
    if (!settings.allowedHosts().allows(uri)) {
      int port = uri.getPort() >= 0 ? uri.getPort() : ("https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80);
      throw new TaskFailure("http/request: host " + uri.getHost() + ":" + port
          + " is not allowed by this provider (allowed-hosts: "
          + (settings.allowedHosts().entries().isEmpty() ? "none configured" : settings.allowedHosts()) + ")", false);
    }
    return new HttpRequestParams(method, uri, headers, body, timeout);
  }

  /** The request to send; a header the JDK refuses (Host, Content-Length...) is a non-retryable failure. */
  public HttpRequest toRequest() {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    try {
      headers.forEach((name, values) -> values.forEach(v -> b.header(name, v)));
    } catch (IllegalArgumentException e) {
      throw new TaskFailure("http/request: " + e.getMessage(), false);
    }
    return b.build();
  }

  private static Map<String, List<String>> headers(JsonNode h, List<String> problems) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    if (h == null || h.isNull()) {
      return headers;
    }
    if (!h.isObject()) {
      problems.add("'headers' must be an object of name -> text, got " + h.getNodeType());
      return headers;
    }
    h.fields().forEachRemaining(e -> {
      List<String> values = new ArrayList<>();
      if (e.getValue().isArray()) {
        e.getValue().forEach(v -> values.add(scalar(v, "headers." + e.getKey(), problems)));
      } else {
        values.add(scalar(e.getValue(), "headers." + e.getKey(), problems));
      }
      headers.put(e.getKey(), values);
    });
    return headers;
  }

  private static URI withQuery(URI uri, JsonNode q, List<String> problems) throws URISyntaxException {
    if (q == null || q.isNull()) {
      return uri;
    }
    if (!q.isObject()) {
      problems.add("'query' must be an object of name -> value, got " + q.getNodeType());
      return uri;
    }
    StringBuilder sb = new StringBuilder();
    q.fields().forEachRemaining(e -> {
      List<JsonNode> values = new ArrayList<>();
      if (e.getValue().isArray()) {
        e.getValue().forEach(values::add);
      } else {
        values.add(e.getValue());
      }
      for (JsonNode v : values) {
        sb.append(sb.isEmpty() ? "" : "&").append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
            .append(URLEncoder.encode(scalar(v, "query." + e.getKey(), problems), StandardCharsets.UTF_8));
      }
    });
    if (sb.isEmpty()) {
      return uri;
    }
    String existing = uri.getRawQuery();
    String query = existing == null || existing.isEmpty() ? sb.toString() : existing + "&" + sb;
    String s = uri.toString();
    int hash = s.indexOf('#');
    String fragment = hash >= 0 ? s.substring(hash) : "";
    String base = hash >= 0 ? s.substring(0, hash) : s;
    int qm = base.indexOf('?');
    return new URI((qm >= 0 ? base.substring(0, qm) : base) + "?" + query + fragment);
  }

  private static String scalar(JsonNode v, String where, List<String> problems) {
    if (v.isValueNode() && !v.isNull()) {
      return v.asText();
    }
    problems.add("'" + where + "' must be text, a number or a boolean, got " + v.getNodeType());
    return "";
  }
}
