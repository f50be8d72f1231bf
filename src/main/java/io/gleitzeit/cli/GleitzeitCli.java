package io.gleitzeit.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code scripts/gleitzeit}: one entry point for running a node and talking to one. */
@Command(name = "gleitzeit", mixinStandardHelpOptions = true, version = GleitzeitCli.VERSION,
    description = "Event-driven workflow orchestration on Apache Pekko.",
    subcommands = {ServerCommand.class, DemoCommand.class, SubmitCommand.class, StatusCommand.class,
        EventsCommand.class, WatchCommand.class, ProvidersCommand.class, DeadLettersCommand.class})
public final class GleitzeitCli implements Runnable {

  static final String VERSION = "Gleitzeit 0.1.0";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static int run(String... args) {
    return commandLine().execute(args);
  }

  /** The command line, every subcommand answering {@code -V} with the version too (it printed nothing). */
  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new GleitzeitCli());
    cli.getSubcommands().values().forEach(sub -> sub.getCommandSpec().version(VERSION));
    return cli;
  }
}
