package io.gleitzeit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line's own answers, before any command runs. */
class GleitzeitCliTest {

  private static final List<String> COMMANDS = List.of("server", "demo", "submit", "status", "events", "watch",
      "providers", "dead-letters");

  private record Answer(int exit, String out) {}

  private static Answer run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CommandLine cli = GleitzeitCli.commandLine();
    cli.setOut(new java.io.PrintWriter(new PrintStream(out, true, StandardCharsets.UTF_8), true));
    int exit = cli.execute(args);
    return new Answer(exit, out.toString(StandardCharsets.UTF_8));
  }

  @Test
  void everyCommandAnswersHelpWithItsUsage() {
    for (String command : COMMANDS) {
      Answer help = run(command, "--help");
      assertEquals(0, help.exit(), command + ": " + help.out());
      assertTrue(help.out().startsWith("Usage: gleitzeit " + command), command + ": " + help.out());
    }
  }

  @Test
  void everyCommandAnswersVersionWithTheVersion() {
    for (String command : COMMANDS) {
      Answer version = run(command, "-V");
      assertEquals(0, version.exit(), command);
      assertEquals(GleitzeitCli.VERSION, version.out().strip(), command);
    }
  }
}
