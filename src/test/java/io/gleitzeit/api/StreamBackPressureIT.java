package io.gleitzeit.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gleitzeit.node.GleitzeitNode;
import io.gleitzeit.testing.ApiTestClient;
import io.gleitzeit.testing.EventWatch;
import io.gleitzeit.testing.LocalNode;
import io.gleitzeit.testing.Resources;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * A live stream's client that stops reading falls behind by more than the stream buffer (here 8 journal events):
 * it is let go with a normal end of its response, the chunked body's last chunk, so that it can resume with
 * Last-Event-ID, not with an aborted connection (black-box round 12: a reset, and a stack trace in the log).
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StreamBackPressureIT {

  private static final String LAST_CHUNK = "\r\n0\r\n\r\n";

  private GleitzeitNode node;
  private ApiTestClient api;

  @BeforeAll
  void start() throws Exception {
    Path dir = Files.createTempDirectory("gleitzeit-stream-back-pressure-it-");
    Path conf = dir.resolve("small-stream-buffer.conf");
    Files.writeString(conf, "gleitzeit.http.stream-buffer-events = 8\n");
    node = LocalNode.start(dir.resolve("data"), conf);
    api = new ApiTestClient(node.baseUrl());
  }

  @AfterAll
  void stop() {
    Resources.closeAll(api, node);
  }

  @Test
  void aClientFarBehindItsWorkflowStreamGetsANormalEndOfItsResponse() throws Exception {
    String wide = "unread-" + UUID.randomUUID();
    URI uri = URI.create(node.baseUrl());
    try (Socket socket = new Socket()) {
      socket.setReceiveBufferSize(4096); // before connecting: TCP sizes its window then
      socket.setSoTimeout(60_000);
      socket.connect(new java.net.InetSocketAddress(uri.getHost(), uri.getPort()));
      socket.getOutputStream().write(("GET /events/stream?workflow_id=" + wide + " HTTP/1.1\r\nHost: "
          + uri.getHost() + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      System.err.println("TIMING start " + System.nanoTime() / 1_000_000);
      StringBuilder tasks = new StringBuilder();
      for (int i = 0; i < 2_000; i++) { // megabytes of envelopes in hundreds of journal writes, none read
        tasks.append(i == 0 ? "" : ", ").append("{\"id\": \"t").append(i).append("\", \"method\": \"test/echo\"}");
      }
      // Its end learned from a stream that asks for two of its envelopes (a client following all of them with
      // this buffer would fall behind as well).
      try (EventWatch ends = EventWatch.open(node.baseUrl(), "type=workflow:*")) {
        api.submitAccepted("{\"id\": \"" + wide + "\", \"tasks\": [" + tasks + "]}");
        ends.await("the end of " + wide, e -> wide.equals(e.path("workflow_id").asText())
            && ApiTestClient.WORKFLOW_ENDS.contains(e.path("event_type").asText()), Duration.ofSeconds(60));
      }
      System.err.println("TIMING ended " + System.nanoTime() / 1_000_000);
      assertEquals("completed", api.workflow(wide).path("status").asText());
      try { readToTheLastChunk(socket.getInputStream()); } finally {
      System.err.println("TIMING read " + System.nanoTime() / 1_000_000); }
    }
  }

  /** Reads a chunked response until its last chunk; an end of the connection before it fails. */
  private static void readToTheLastChunk(InputStream in) throws Exception {
    byte[] buffer = new byte[1 << 16];
    byte[] tail = new byte[0];
    while (true) {
      int n = in.read(buffer);
      assertTrue(n >= 0, "the connection ended without the response's last chunk");
      byte[] joined = Arrays.copyOf(tail, tail.length + n);
      System.arraycopy(buffer, 0, joined, tail.length, n);
      tail = Arrays.copyOfRange(joined, Math.max(0, joined.length - LAST_CHUNK.length()), joined.length);
      if (new String(tail, StandardCharsets.ISO_8859_1).equals(LAST_CHUNK)) {
        return;
      }
    }
  }
}
