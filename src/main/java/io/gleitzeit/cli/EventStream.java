package io.gleitzeit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.domain.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Follows a workflow's events over the server-sent event stream ({@code GET /events/stream?workflow_id=}):
 * its history first, then live, until the workflow ends. No polling.
 */
final class EventStream {

  static final Set<String> WORKFLOW_ENDS = Set.of("workflow:completed", "workflow:failed", "workflow:cancelled");

  private EventStream() {}

  /** Standard output can no longer be written (its reader closed the pipe): the command stops. */
  static final class OutputClosed extends RuntimeException {
    OutputClosed() {
      super("standard output is closed", null, false, false);
    }
  }

  /**
   * Whether {@code end} (a workflow:completed, failed or cancelled envelope) is where the workflow stands now: an
   * end replayed from its history may have been undone since by a manual retry or a requeue (SPEC §3: failed or
   * cancelled back to running), and the stream then goes on to the workflow's last end, the one its
   * {@code completed_at} names. When the node cannot say, the end stands.
   */
  private static boolean isTheEnd(ApiClient api, String workflowId, JsonNode end) throws InterruptedException {
    try {
      ApiClient.Response now = api.get("/workflows/" + ApiClient.segment(workflowId));
      if (now.status() != 200) {
        return true;
      }
      JsonNode workflow = Json.MAPPER.readTree(now.body());
      return !"running".equals(workflow.path("status").asText())
          && end.path("timestamp").asText().equals(workflow.path("completed_at").asText());
    } catch (IOException e) {
      return true;
    }
  }

  /**
   * Hands each envelope to {@code onEvent}; returns the one that ended the workflow, or null (said on standard
   * error) when the stream closed first.
   */
  static JsonNode follow(ApiClient api, String workflowId, Consumer<JsonNode> onEvent)
      throws IOException, InterruptedException {
    return follow(api, workflowId, open(api, workflowId), onEvent);
  }

  /**
   * Opens the stream of {@code workflowId}; the node subscribes it to the live events before it answers, so a
   * stream opened before the workflow is submitted misses nothing, not even the live-only {@code task:progress}
   * that its history cannot replay.
   */
  static HttpResponse<Stream<String>> open(ApiClient api, String workflowId)
      throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(api.uri("/events/stream?workflow_id="
        + URLEncoder.encode(workflowId, StandardCharsets.UTF_8))).header("Accept", "text/event-stream").GET().build();
    return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofLines());
  }

  /** {@link #follow(ApiClient, String, Consumer)} on a stream already {@link #open}ed. */
  static JsonNode follow(ApiClient api, String workflowId, HttpResponse<Stream<String>> response,
                         Consumer<JsonNode> onEvent) throws IOException, InterruptedException {
    if (response.statusCode() != 200) {
      System.err.println("HTTP " + response.statusCode() + ": " + String.join("\n", response.body().toList()));
      return null;
    }
    try (Stream<String> lines = response.body()) {
      Iterator<String> it = lines.iterator();
      while (it.hasNext()) {
        String line = it.next();
        if (!line.startsWith("data:")) {
          continue;
        }
        JsonNode envelope = Json.MAPPER.readTree(line.substring(5).trim());
        onEvent.accept(envelope);
        if (System.out.checkError()) {
          throw new OutputClosed(); // standard output's reader went away (| head -1): stop following
        }
        if (WORKFLOW_ENDS.contains(envelope.path("event_type").asText()) && isTheEnd(api, workflowId, envelope)) {
          return envelope;
        }
      }
    } catch (UncheckedIOException e) {
      // The connection broke mid-stream (the node was killed or stopped): said below, in one line.
    }
    System.err.println("gleitzeit: the event stream of workflow " + workflowId + " ended before the workflow did"
        + " (the node at " + api.baseUrl() + " stopped?); 'scripts/gleitzeit status " + workflowId
        + "' shows where it stands");
    return null;
  }
}
