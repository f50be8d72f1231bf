package io.gleitzeit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.domain.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Function;

/** The shared shape of the client commands: call the API, print, map failures to an exit code. */
abstract class ClientCommand implements Callable<Integer> {

  protected final ApiClient api = ApiClient.fromEnvironment();

  @Override
  public final Integer call() {
    try {
      return execute();
    } catch (EventStream.OutputClosed e) {
      return 0; // whoever read the output is gone (| head -1): nothing left to do, nothing to say
    } catch (ConnectException e) {
      System.err.println("gleitzeit: no node answers at " + api.baseUrl() + " (set GLEITZEIT_URL, or start one with"
          + " 'scripts/gleitzeit server')");
      return 2;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      // Something answered, but not a node: a web server on that port, an https URL of a proxy ...
      System.err.println("gleitzeit: the answer from " + api.baseUrl() + " is not Gleitzeit's JSON (is GLEITZEIT_URL"
          + " a Gleitzeit node?): " + e.getOriginalMessage());
      return 2;
    } catch (IOException | IllegalArgumentException e) {
      System.err.println("gleitzeit: " + e.getMessage());
      return 2;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 130;
    }
  }

  protected abstract int execute() throws IOException, InterruptedException;

  /**
   * Follows a workflow's events until it ends, once the node has said it knows the id: the stream of an id nobody
   * submitted would wait for it for good, so an unknown id is printed as the error it is (exit 1), as for status.
   */
  protected static int followKnown(ApiClient node, String id, Consumer<JsonNode> onEvent,
                                   Function<JsonNode, Integer> onEnd)
      throws IOException, InterruptedException {
    ApiClient.Response workflow = node.get("/workflows/" + ApiClient.segment(id));
    if (workflow.status() != 200) {
      return print(workflow);
    }
    JsonNode end = EventStream.follow(node, id, onEvent);
    return end == null ? 1 : onEnd.apply(end);
  }

  /** Prints a JSON answer; an error answer goes to stderr with a non-zero exit code. */
  protected static int print(ApiClient.Response response) throws IOException {
    JsonNode body = response.body().isBlank() ? null : Json.MAPPER.readTree(response.body());
    String text = body == null ? "" : Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(body);
    if (response.status() >= 400) {
      System.err.println("HTTP " + response.status() + "\n" + text);
      return 1;
    }
    System.out.println(text);
    return 0;
  }
}
