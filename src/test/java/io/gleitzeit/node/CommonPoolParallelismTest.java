package io.gleitzeit.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link Main#useTheCommonPoolForAsyncStages()} in a fresh JVM that sees two cores, as this project's machines
 * do: without it, CompletableFuture's default executor starts a thread per async stage.
 */
class CommonPoolParallelismTest {

  private static final String MARK = "default executor: ";

  /**
   * Prints the simple class name of CompletableFuture's default executor, after the process ran {@link Main}
   * (which exits: the name is printed by a shutdown hook) or, given "plain", without it.
   */
  public static final class Probe {
    public static void main(String[] args) {
      Runnable print = () -> System.out.println(MARK
          + new CompletableFuture<Void>().defaultExecutor().getClass().getSimpleName());
      if (args.length > 0 && args[0].equals("plain")) {
        print.run();
      } else {
        Runtime.getRuntime().addShutdownHook(new Thread(print));
        Main.main(new String[] {"--help"});
      }
    }
  }

  @Test
  void aNodeProcessOnTwoCoresRunsAsyncStagesOnTheCommonPool() throws Exception {
    assertEquals("ForkJoinPool", probe());
  }

  @Test
  void withoutTheSettingTwoCoresGetAThreadPerStage() throws Exception {
    // The JDK behaviour the setting exists for: if this changes, the setting can go.
    assertEquals("ThreadPerTaskExecutor", probe("plain"));
  }

  private static String probe(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:ActiveProcessorCount=2", "-cp", System.getProperty("java.class.path"), Probe.class.getName()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
    assertEquals(0, p.exitValue(), out);
    return out.lines().filter(line -> line.startsWith(MARK)).map(line -> line.substring(MARK.length()))
        .findFirst().orElseThrow(() -> new AssertionError("no '" + MARK + "' line in:\n" + out));
  }
}
