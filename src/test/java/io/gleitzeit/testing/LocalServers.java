package io.gleitzeit.testing;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** Answers of the JDK HttpServers that tests run on 127.0.0.1 in place of real HTTP and LLM endpoints. */
public final class LocalServers {

  private LocalServers() {}

  public static void respond(HttpExchange ex, int status, String contentType, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", contentType);
    ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    try (var out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  public static void respondJson(HttpExchange ex, int status, String json) throws IOException {
    respond(ex, status, "application/json", json);
  }
}
