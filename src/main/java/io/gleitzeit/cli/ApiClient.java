package io.gleitzeit.cli;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A small HTTP client for the node's API; the base URL comes from {@code GLEITZEIT_URL}. */
final class ApiClient {

  record Response(int status, String body) {}

  private final String baseUrl;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  ApiClient(String baseUrl) {
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
  }

  static ApiClient fromEnvironment() {
    String url = System.getenv("GLEITZEIT_URL");
    return new ApiClient(url == null || url.isBlank() ? "http://127.0.0.1:8080" : url);
  }

  String baseUrl() {
    return baseUrl;
  }

  Response get(String path) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).GET());
  }

  Response post(String path, String contentType, byte[] body) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  private Response send(HttpRequest.Builder request) throws IOException, InterruptedException {
    HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
    return new Response(response.statusCode(), response.body());
  }
}
