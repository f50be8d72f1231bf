package io.gleitzeit.cli;

import java.io.IOException;
import picocli.CommandLine.Command;

@Command(name = "dead-letters", description = "List the dead letter queue.")
final class DeadLettersCommand extends ClientCommand {
  @Override
  protected int execute() throws IOException, InterruptedException {
    return print(api.get("/dead-letters"));
  }
}
