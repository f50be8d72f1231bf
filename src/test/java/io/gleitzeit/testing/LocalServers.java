package io.gleitzeit.testing;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

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

  /** A 200 whose headers and {@code first} bytes go at once, and whose body then stalls until {@code released}. */
  public static void startThenStall(HttpExchange ex, String contentType, String first, CountDownLatch released)
      throws IOException {
    ex.getResponseHeaders().add("Content-Type", contentType);
    ex.sendResponseHeaders(200, 0);
    ex.getResponseBody().write(first.getBytes(StandardCharsets.UTF_8));
    ex.getResponseBody().flush();
    try {
      released.await(20, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    ex.close();
  }
}
