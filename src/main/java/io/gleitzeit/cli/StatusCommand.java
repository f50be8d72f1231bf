package io.gleitzeit.cli;

import java.io.IOException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Show a workflow and its tasks.")
final class StatusCommand extends ClientCommand {

  @Parameters(index = "0", description = "workflow id") String id;

  @Override
  protected int execute() throws IOException, InterruptedException {
    return print(api.get("/workflows/" + ApiClient.segment(id)));
  }
}
