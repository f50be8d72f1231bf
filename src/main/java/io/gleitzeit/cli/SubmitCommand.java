package io.gleitzeit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.domain.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "submit", description = "Submit a workflow definition (JSON or YAML file).")
final class SubmitCommand extends ClientCommand {

  @Parameters(index = "0", description = "the definition file (.json, .yaml or .yml)") Path file;
  @Option(names = "--wait", description = "follow its events until the workflow ends") boolean waitForEnd;

  @Override
  protected int execute() throws IOException, InterruptedException {
    byte[] body;
    try {
      body = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      System.err.println("gleitzeit: no such file: " + file);
      return 2;
    }
    String name = file.getFileName().toString().toLowerCase();
    String type = name.endsWith(".yaml") || name.endsWith(".yml") ? "application/yaml" : "application/json";
    ApiClient.Response response = api.post("/workflows", type, body);
    int code = print(response);
    if (code != 0 || !waitForEnd) {
      return code;
    }
    String id = Json.MAPPER.readTree(response.body()).path("workflow_id").asText();
    JsonNode end = EventStream.follow(api, id, true);
    return end != null && "workflow:completed".equals(end.path("event_type").asText()) ? 0 : 1;
  }
}
