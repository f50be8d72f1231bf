package io.gleitzeit.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code scripts/gleitzeit}: one entry point for running a node and talking to one. */
@Command(name = "gleitzeit", mixinStandardHelpOptions = true, version = "Gleitzeit 0.1.0",
    description = "Event-driven workflow orchestration on Apache Pekko.",
    subcommands = {ServerCommand.class, DemoCommand.class, SubmitCommand.class, StatusCommand.class,
        EventsCommand.class, WatchCommand.class, ProvidersCommand.class, DeadLettersCommand.class})
public final class GleitzeitCli implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static int run(String... args) {
    return new CommandLine(new GleitzeitCli()).execute(args);
  }
}
