package io.gleitzeit.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gleitzeit.testing.NodeProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * SPEC §8: a node that cannot start exits non-zero with a clear message naming what is wrong — a taken port,
 * an unusable data directory, a missing or broken configuration file — and no stack trace. Each case runs
 * {@code io.gleitzeit.node.Main server} as a real process.
 */
@Tag("integration")
class NodeStartFailureIT {

  private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(60);
  private static Path runDir;

  @BeforeAll
  static void runDirectory() throws IOException {
    runDir = Files.createDirectories(Path.of("target", "it-nodes",
        "start-failure-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS"))))
        .toAbsolutePath();
  }

  private static Path caseDir(TestInfo info) throws IOException {
    return Files.createDirectories(runDir.resolve(info.getTestMethod().orElseThrow().getName()));
  }

  /** What a node that must not start did: exit code and stderr, with the checks every case shares. */
  private record Failure(int exitCode, String stderr, String stdout) {}

  private static Failure runExpectingFailure(NodeProcess.Builder builder) {
    try (NodeProcess node = builder.launch()) {
      int code = node.awaitExit(EXIT_TIMEOUT);
      Failure failure = new Failure(code, node.stderr(), node.stdout());
      String evidence = "\nexit code: " + code + "\nstdout:\n" + failure.stdout() + "\nstderr:\n" + failure.stderr();
      assertNotEquals(0, code, "the node must exit non-zero" + evidence);
      assertFalse(failure.stdout().contains(NodeProcess.READY_PREFIX), "the node must not report ready" + evidence);
      assertFalse(failure.stderr().contains("\tat "), "no stack trace on stderr" + evidence);
      assertFalse(failure.stderr().contains("Exception in thread"), "no uncaught exception" + evidence);
      return failure;
    }
  }

  private static String evidence(Failure f) {
    return "\nexit code: " + f.exitCode() + "\nstderr:\n" + f.stderr();
  }

  /** The one line a user reads: {@code gleitzeit: ...}. */
  private static String messageLine(Failure f) {
    return f.stderr().lines().filter(l -> l.startsWith("gleitzeit: ")).findFirst()
        .orElseThrow(() -> new AssertionError("no 'gleitzeit: ...' line on stderr" + evidence(f)));
  }

  private static ServerSocket holdLoopbackPort() throws IOException {
    ServerSocket socket = new ServerSocket();
    socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    return socket;
  }

  @Test
  void httpPortAlreadyTakenExitsNonZeroNamingThePort(TestInfo info) throws IOException {
    Path dir = caseDir(info);
    try (ServerSocket taken = holdLoopbackPort()) {
      int port = taken.getLocalPort();
      Failure f = runExpectingFailure(NodeProcess.builder(dir.resolve("data")).httpPort(port));
      assertEquals(1, f.exitCode(), "exit code" + evidence(f));
      String line = messageLine(f);
      assertTrue(line.startsWith("gleitzeit: cannot start the node: "), line);
      assertTrue(line.contains(String.valueOf(port)), "the message names the port " + port + ": " + line);
      assertTrue(line.contains("HTTP"), "the message says it is the HTTP port: " + line);
    }
  }

  @Test
  void remotePortAlreadyTakenExitsNonZeroNamingThePort(TestInfo info) throws IOException {
    Path dir = caseDir(info);
    try (ServerSocket taken = holdLoopbackPort()) {
      int port = taken.getLocalPort();
      Failure f = runExpectingFailure(NodeProcess.builder(dir.resolve("data")).remotePort(port));
      assertEquals(1, f.exitCode(), "exit code" + evidence(f));
      String line = messageLine(f);
      assertTrue(line.startsWith("gleitzeit: cannot start the node: "), line);
      assertTrue(line.contains(String.valueOf(port)), "the message names the port " + port + ": " + line);
      assertTrue(line.contains("remote"), "the message says it is the remote port: " + line);
    }
  }

  /** A remote port out of range, or the HTTP port again: one line each (a stack trace before, round 15). */
  @Test
  void aRemotePortOutOfRangeOrEqualToTheHttpPortIsSaidInOneLine(TestInfo info) throws IOException {
    Path dir = caseDir(info);
    Failure range = runExpectingFailure(NodeProcess.builder(dir.resolve("range")).remotePort(70000));
    assertEquals("gleitzeit: cannot start the node: bad configuration: the remote port must be from 0 to 65535, got"
        + " 70000", messageLine(range));

    int port;
    try (ServerSocket free = holdLoopbackPort()) {
      port = free.getLocalPort();
    }
    Failure same = runExpectingFailure(NodeProcess.builder(dir.resolve("same")).httpPort(port).remotePort(port));
    assertEquals("gleitzeit: cannot start the node: bad configuration: the HTTP port and the remote port are both "
        + port + "; they must differ", messageLine(same));
  }

  @Test
  void dataDirThatIsARegularFileExitsNonZeroNamingIt(TestInfo info) throws IOException {
    Path dir = caseDir(info);
    Path file = Files.writeString(dir.resolve("not-a-directory"), "I am a file\n");
    Failure f = runExpectingFailure(NodeProcess.builder(file).logDir(dir));
    assertEquals(1, f.exitCode(), "exit code" + evidence(f));
    String line = messageLine(f);
    assertTrue(line.startsWith("gleitzeit: cannot start the node: "), line);
    assertTrue(line.contains(file.toAbsolutePath().toString()), "the message names " + file + ": " + line);
    assertTrue(line.contains("data directory"), "the message says it is the data directory: " + line);
    assertEquals("I am a file\n", Files.readString(file), "the file is left alone");
  }

  @Test
  void dataDirUnderARegularFileExitsNonZeroNamingIt(TestInfo info) throws IOException {
    Path dir = caseDir(info);
    Path file = Files.writeString(dir.resolve("plain-file"), "x");
    Path dataDir = file.resolve("data");
    Failure f = runExpectingFailure(NodeProcess.builder(dataDir).logDir(dir));
    assertEquals(1, f.exitCode(), "exit code" + evidence(f));
    String line = messageLine(f);
    assertTrue(line.startsWith("gleitzeit: cannot start the node: "), line);
    assertTrue(line.contains(dataDir.toAbsolutePath().toString()), "the message names " + dataDir + ": " + line);
    assertTrue(line.contains("data directory"), "the message says it is the data directory: " + line);
  }

  @Test
  void dataDirInUseByARunningNodeExitsNonZeroNamingTheJournal(TestInfo info) throws IOException {
    Path dataDir = caseDir(info).resolve("data");
    try (NodeProcess running = NodeProcess.start(dataDir)) {
      Failure f = runExpectingFailure(NodeProcess.builder(dataDir));
      assertEquals(1, f.exitCode(), "exit code" + evidence(f));
      String line = messageLine(f);
      assertTrue(line.startsWith("gleitzeit: cannot start the node: "), line);
      assertTrue(line.contains("journal"), "the message says the journal is the problem: " + line);
      assertTrue(line.contains(dataDir.toAbsolutePath().toString()), "the message names " + dataDir + ": " + line);
      assertTrue(running.isAlive(), "the node that holds the journal keeps running: " + running.stderr());
    }
  }

  @Test
  void corruptEventIndexFileExitsNonZeroNamingIt(TestInfo info) throws IOException {
    Path dataDir = caseDir(info).resolve("data");
    Files.createDirectories(dataDir);
    // Not an H2 file at all: its header cannot be read.
    Path index = Files.write(dataDir.resolve("journal-index.mv.db"), new byte[8192]);
    Failure f = runExpectingFailure(NodeProcess.builder(dataDir));
    assertEquals(1, f.exitCode(), "exit code" + evidence(f));
    String line = messageLine(f);
    assertTrue(line.startsWith("gleitzeit: cannot start the node: the event index cannot start: "), line);
    assertTrue(line.contains(index.toAbsolutePath().toString()), "the message names " + index + ": " + line);
    assertFalse(f.stderr().contains("HikariPool"), "only the node's own message, not the pool's" + evidence(f));
  }

  @Test
  void missingConfigFileExitsNonZeroNamingIt(TestInfo info) throws IOException {
    Path dir = caseDir(info);
    Path missing = dir.resolve("no-such-gleitzeit.conf");
    Failure f = runExpectingFailure(NodeProcess.builder(dir.resolve("data")).config(missing));
    assertEquals(1, f.exitCode(), "exit code" + evidence(f));
    String line = messageLine(f);
    assertTrue(line.contains(missing.toString()), "the message names " + missing + ": " + line);
    assertTrue(line.contains("configuration file"), "the message says it is the configuration file: " + line);
    assertFalse(Files.exists(missing), "nothing created the missing file");
  }

  @Test
  void malformedConfigFileExitsNonZeroNamingIt(TestInfo info) throws IOException {
    Path dir = caseDir(info);
    Path broken = Files.writeString(dir.resolve("broken.conf"), "gleitzeit {\n  http.port = \n  oops = [1, 2\n");
    Failure f = runExpectingFailure(NodeProcess.builder(dir.resolve("data")).config(broken));
    assertEquals(1, f.exitCode(), "exit code" + evidence(f));
    String line = messageLine(f);
    assertTrue(line.contains("configuration"), "the message says the configuration is bad: " + line);
    assertTrue(line.contains(broken.getFileName().toString()), "the message names " + broken + ": " + line);
  }

  /** A setting of the right type out of its range: a node that started would fail later, and less clearly. */
  @Test
  void settingOutOfItsRangeExitsNonZeroNamingIt(TestInfo info) throws IOException {
    Path dir = caseDir(info);
    Path conf = Files.writeString(dir.resolve("zero.conf"), "gleitzeit.providers.heartbeat-interval = 0s\n");
    Failure f = runExpectingFailure(NodeProcess.builder(dir.resolve("data")).config(conf));
    assertEquals(1, f.exitCode(), "exit code" + evidence(f));
    String line = messageLine(f);
    assertTrue(line.contains("bad configuration") && line.contains("gleitzeit.providers.heartbeat-interval")
        && line.contains("must be longer than 0"), "the message names the setting and its range: " + line);
  }

  static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> badBuiltinProviders() {
    return java.util.stream.Stream.of(
        org.junit.jupiter.params.provider.Arguments.of("twice",
            "{ id = x, type = test }, { id = x, type = test }",
            "two built-in providers have the id x"),
        org.junit.jupiter.params.provider.Arguments.of("foreign-method",
            "{ id = web, type = http, methods = [\"llm/generate\"], settings { allowed-hosts = [\"127.0.0.1:1\"] } }",
            "built-in provider web: methods: the http type does not serve llm/generate"),
        org.junit.jupiter.params.provider.Arguments.of("unknown-type",
            "{ id = q, type = quantum, max-concurrency = 0 }",
            "built-in provider q: type: unknown type 'quantum' (built-in types: test, http, script, llm, mcp)"),
        org.junit.jupiter.params.provider.Arguments.of("zero-concurrency",
            "{ id = z, type = test, max-concurrency = 0 }",
            "built-in provider z: max-concurrency: "),
        org.junit.jupiter.params.provider.Arguments.of("misspelt-key",
            "{ id = h, type = http, max_concurrency = 8, settings { allowed-hosts = [\"127.0.0.1:1\"] } }",
            "built-in provider h: unknown key 'max_concurrency' (known: id, type, methods, max-concurrency, labels,"
                + " settings)"),
        org.junit.jupiter.params.provider.Arguments.of("settings-of-the-second",
            "{ id = llm-a, type = llm, settings { api = ollama, base-url = \"http://127.0.0.1:1\", model = m } },"
                + " { id = llm-b, type = llm, settings { api = ollama, model = m } }",
            "built-in provider llm-b: llm settings: "));
  }

  /** A mistake in a built-in provider's entry: one line naming the provider and the setting, no Java text. */
  @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.MethodSource("badBuiltinProviders")
  void badBuiltinProviderExitsNonZeroNamingIt(String name, String entries, String expected) throws IOException {
    Path dir = Files.createDirectories(runDir.resolve("builtin-" + name));
    Path conf = Files.writeString(dir.resolve("providers.conf"), "gleitzeit.providers.builtin = [ " + entries + " ]\n");
    Failure f = runExpectingFailure(NodeProcess.builder(dir.resolve("data")).config(conf));
    assertEquals(1, f.exitCode(), "exit code" + evidence(f));
    String line = messageLine(f);
    assertTrue(line.startsWith("gleitzeit: cannot start the node: bad configuration: ") && line.contains(expected),
        "expected '" + expected + "' in: " + line);
    assertFalse(line.contains("Problem["), "no Java record text: " + line);
  }
}
