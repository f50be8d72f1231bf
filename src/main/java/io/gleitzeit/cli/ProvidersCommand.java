package io.gleitzeit.cli;

import java.io.IOException;
import picocli.CommandLine.Command;

@Command(name = "providers", mixinStandardHelpOptions = true,
    description = "List the providers the cluster knows.")
final class ProvidersCommand extends ClientCommand {
  @Override
  protected int execute() throws IOException, InterruptedException {
    return print(api.get("/providers"));
  }
}
