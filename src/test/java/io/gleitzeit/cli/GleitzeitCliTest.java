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

  @Test
  void everyCommandAnswersHelpWithItsUsage() {
    for (String command : List.of("server", "demo", "submit", "status", "events", "watch", "providers",
        "dead-letters")) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      CommandLine cli = GleitzeitCli.commandLine();
      cli.setOut(new java.io.PrintWriter(new PrintStream(out, true, StandardCharsets.UTF_8), true));

      int exit = cli.execute(command, "--help");

      String usage = out.toString(StandardCharsets.UTF_8);
      assertEquals(0, exit, command + ": " + usage);
      assertTrue(usage.startsWith("Usage: gleitzeit " + command), command + ": " + usage);
    }
  }

  @Test
  void everyCommandAnswersVersionWithTheVersion() {
    for (String command : List.of("server", "demo", "submit", "status", "events", "watch", "providers",
        "dead-letters")) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      CommandLine cli = GleitzeitCli.commandLine();
      cli.setOut(new java.io.PrintWriter(new PrintStream(out, true, StandardCharsets.UTF_8), true));

      int exit = cli.execute(command, "-V");

      assertEquals(0, exit, command);
      assertEquals(GleitzeitCli.VERSION, out.toString(StandardCharsets.UTF_8).strip(), command);
    }
  }
}
