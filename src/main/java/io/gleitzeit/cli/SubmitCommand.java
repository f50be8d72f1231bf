package io.gleitzeit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gleitzeit.domain.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "submit", mixinStandardHelpOptions = true,
    description = "Submit a workflow definition (JSON or YAML file).")
final class SubmitCommand extends ClientCommand {

  @Parameters(index = "0", description = "the definition file (JSON or YAML), or - for standard input") Path file;
  @Option(names = "--wait", description = "wait until the workflow ends, then show it as status does")
  boolean waitForEnd;

  @Override
  protected int execute() throws IOException, InterruptedException {
    boolean stdin = file.toString().equals("-");
    byte[] body;
    try {
      body = stdin ? System.in.readAllBytes() : Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      System.err.println("gleitzeit: no such file: " + file);
      return 2;
    } catch (IOException e) {
      System.err.println("gleitzeit: cannot read " + file + ": " + e.getMessage());
      return 2;
    }
    ApiClient.Response response = api.post("/workflows", mediaType(stdin ? "" : file.getFileName().toString(), body),
        body);
    String id = waitForEnd ? acceptedId(response) : null;
    if (id == null) {
      return print(response);
    }
    // Standard output gets only the workflow as it ended, so that a script can read it; progress goes to stderr.
    System.err.println(response.body().strip());
    JsonNode end = EventStream.follow(api, id, envelope -> {
      if (EventStream.WORKFLOW_ENDS.contains(envelope.path("event_type").asText())) {
        System.err.println(EventPrinter.line(envelope));
      }
    });
    if (end == null) {
      return 1;
    }
    print(api.get("/workflows/" + ApiClient.segment(id))); // its tasks' results and errors, as status shows them
    return "workflow:completed".equals(end.path("event_type").asText()) ? 0 : 1;
  }

  /**
   * The id of the workflow the node took: from its 202, or from a 503 that names the id of a submission that may
   * still have been taken (the cluster did not answer in time, e.g. while a node was lost) once the node knows it.
   * Null when it was not taken.
   */
  private String acceptedId(ApiClient.Response response) throws IOException, InterruptedException {
    if (response.status() == 202) {
      return Json.MAPPER.readTree(response.body()).path("workflow_id").asText();
    }
    if (response.status() != 503 || !response.body().startsWith("{")) {
      return null;
    }
    JsonNode named = Json.MAPPER.readTree(response.body()).path("workflow_id");
    return named.isTextual() && api.get("/workflows/" + ApiClient.segment(named.asText())).status() == 200
        ? named.asText() : null;
  }

  /**
   * JSON or YAML (SPEC §1: one schema, either format) by the file's extension; for any other name, and for
   * standard input, by the content: a text starting with '{' (after blanks) is JSON unless it is not JSON but is
   * YAML (a flow mapping such as {@code {id: a, tasks: [...]}}); anything else is read as YAML. A text that is
   * neither goes as JSON when it starts with '{', so the server's error speaks of JSON.
   */
  static String mediaType(String fileName, byte[] body) {
    String name = fileName.toLowerCase(Locale.ROOT);
    if (name.endsWith(".yaml") || name.endsWith(".yml")) {
      return "application/yaml";
    } else if (name.endsWith(".json")) {
      return "application/json";
    }
    String text = new String(body, StandardCharsets.UTF_8).stripLeading();
    if (text.startsWith("\uFEFF")) {
      text = text.substring(1).stripLeading();
    }
    if (!text.startsWith("{")) {
      return "application/yaml";
    }
    return parses(Json.MAPPER, body) || !parses(Json.YAML, body) ? "application/json" : "application/yaml";
  }

  private static boolean parses(ObjectMapper mapper, byte[] body) {
    try {
      mapper.readTree(body);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
