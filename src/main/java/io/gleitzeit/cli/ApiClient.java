package io.gleitzeit.cli;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A small HTTP client for the node's API; the base URL comes from {@code GLEITZEIT_URL}. */
final class ApiClient {

  record Response(int status, String body) {}

  private final String baseUrl;
  /** Why {@link #baseUrl} cannot be called (not an http or https URL), or null: said when a call is made. */
  private final String unusable;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  ApiClient(String baseUrl) {
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    this.unusable = problemWith(this.baseUrl, baseUrl);
  }

  /** Why {@code url} cannot be used, naming it as {@code given} (before its trailing '/' was taken off). */
  private static String problemWith(String url, String given) {
    try {
      URI uri = new URI(url);
      boolean web = "http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme());
      if (web && uri.getHost() != null && uri.getPort() <= 65535) {
        return null;
      }
    } catch (URISyntaxException e) {
      // described below
    }
    return "'" + given + "' is not an http(s) URL of a node (GLEITZEIT_URL, e.g. http://127.0.0.1:8080)";
  }

  /** One path segment, percent-encoded: an id with a space, '?', '#' or '%' names itself, not another resource. */
  static String segment(String value) {
    if (value.isEmpty()) {
      // GET /workflows/ is no workflow: the node's answer would be a generic "resource not found".
      throw new IllegalArgumentException("an id cannot be empty");
    }
    if (value.equals(".") || value.equals("..")) {
      // HTTP stacks remove dot segments, encoded or not: `events ..` asked for GET /events. No id is one (README).
      throw new IllegalArgumentException("no workflow or provider can have the id '" + value + "' (a dot segment"
          + " cannot be named in a URL path)");
    }
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** The node's URI for {@code pathAndQuery}; an IOException saying so when GLEITZEIT_URL is not usable. */
  URI uri(String pathAndQuery) throws IOException {
    if (unusable != null) {
      throw new IOException(unusable);
    }
    try {
      return URI.create(baseUrl + pathAndQuery);
    } catch (IllegalArgumentException e) {
      throw new IOException("cannot call " + baseUrl + pathAndQuery + ": " + e.getMessage());
    }
  }

  static ApiClient fromEnvironment() {
    String url = System.getenv("GLEITZEIT_URL");
    return new ApiClient(url == null || url.isBlank() ? "http://127.0.0.1:8080" : url);
  }

  String baseUrl() {
    return baseUrl;
  }

  Response get(String path) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  Response post(String path, String contentType, byte[] body) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  private Response send(HttpRequest.Builder request) throws IOException, InterruptedException {
    HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
    return new Response(response.statusCode(), response.body());
  }
}
