package io.gleitzeit.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code scripts/gleitzeit <args>} as its jar runs it (a JVM on {@code io.gleitzeit.node.Main}, C1 only, which
 * starts fast) against a node at {@code GLEITZEIT_URL}: its exit code and what it printed.
 */
public record CliProcess(int exitCode, String stdout, String stderr) {

  @Override
  public String toString() {
    return "exit " + exitCode + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr;
  }

  public static CliProcess run(String baseUrl, String... args) throws IOException, InterruptedException {
    return runWithInput(baseUrl, null, args);
  }

  /** The same with {@code stdin} as the command's standard input (none when null). */
  public static CliProcess runWithInput(String baseUrl, String stdin, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), "io.gleitzeit.node.Main"));
    command.addAll(List.of(args));
    Path out = Files.createTempFile("gleitzeit-cli-", ".out");
    Path err = Files.createTempFile("gleitzeit-cli-", ".err");
    ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().put("GLEITZEIT_URL", baseUrl);
    Process process = pb.start();
    try (OutputStream in = process.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
    }
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the command line did not finish within 60 s: " + command);
    }
    try {
      return new CliProcess(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }
}
