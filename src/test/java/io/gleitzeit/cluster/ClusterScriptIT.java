package io.gleitzeit.cluster;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gleitzeit.testing.ClusterScript;
import io.gleitzeit.testing.ClusterScript.Result;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code scripts/cluster}'s answers to mistakes (SPEC §8: a clear message and a non-zero exit, never a half-started
 * cluster), checked without starting a node: every mistake here is caught before a JVM starts.
 */
@Tag("cluster")
@Tag("integration")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClusterScriptIT {

  /** One directory for every case: none of them may leave anything in it but the script's own output files. */
  private static final Path dir = ClusterRuns.dataDir("script-errors");
  private static final ClusterScript script = ClusterScript.builder(dir).unstarted();

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "start                         | needs the number of nodes",
      "start 0                       | from 1 to 20",
      "start three                   | from 1 to 20",
      "start 3 --journal mysql       | --journal is h2 or postgres, got 'mysql'",
      "start 3 --http-port 1,2       | --http-port lists 2 ports for 3 nodes",
      "start 3 --remote-port 70000   | is not a port",
      "start 2 --frobnicate 1        | unknown option '--frobnicate'",
      "start 2 --timeout soon        | --timeout takes whole seconds",
      "restart                       | unknown command 'restart'",
      "stop-node x                   | a node number is a whole number",
      "status --kill                 | --kill belongs to stop-node",
      "status 2                      | status takes no argument",
      "start 2 3                     | start takes one number of nodes",
  })
  void aMistakenCommandLineIsRefusedWithAMessage(String args, String message) {
    Result r = script.run(args.split(" "));
    assertAll(
        () -> assertEquals(1, r.exitCode(), r::toString),
        () -> assertTrue(r.stderr().contains(message), "stderr names the mistake (" + message + "): " + r),
        () -> assertEquals("", r.stdout(), r::toString),
        () -> assertFalse(r.stderr().contains("line "), "no bash error: " + r));
  }

  /** Asked for, the usage is an answer (stdout, exit 0), not a mistake (round 18: exit 2 on stderr). */
  @ParameterizedTest
  @CsvSource({"--help", "help", "start --help"})
  void helpPrintsTheUsageAndSucceeds(String args) {
    Result r = script.run(args.split(" "));
    assertEquals(0, r.exitCode(), r::toString);
    assertTrue(r.stdout().contains("scripts/cluster start N"), r::toString);
  }

  @Test
  void statusAndStopOfADirectoryWithoutAClusterSaySo() {
    Result status = script.run("status");
    Result stop = script.run("stop");
    assertAll(
        () -> assertEquals(1, status.exitCode(), status::toString),
        () -> assertTrue(status.stderr().contains("no cluster in " + dir), status::toString),
        () -> assertEquals(0, stop.exitCode(), "stop is idempotent: " + stop),
        () -> assertTrue(stop.stderr().contains("no cluster in " + dir), stop::toString));
  }

  @Test
  void aTakenPortStopsTheStartBeforeAnythingRuns() throws IOException {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      int port = taken.getLocalPort();
      Result r = script.run("start", "2", "--http-port", port + "," + (port == 65535
          ? port - 1 : port + 1), "--remote-port", "1,2");
      assertAll(
          () -> assertEquals(1, r.exitCode(), r::toString),
          () -> assertTrue(r.stderr().contains("the HTTP port " + port + " of node 1 is already in use"), r::toString),
          () -> assertFalse(Files.exists(dir.resolve("node-1")), "no node was set up: " + list(dir)));
    }
  }

  /**
   * "The journal stays across stop/start": a start again without options takes the journal and the ports that the
   * directory's last start chose (a stopped postgres cluster started again without {@code --journal} came up on an
   * empty h2 journal, on the default ports; the eleventh black-box round). Seen before anything starts, through a
   * taken port: first one of the recorded HTTP ports, then the recorded journal's.
   */
  @Test
  void aStartAgainKeepsTheJournalAndThePortsOfTheLastStart() throws IOException {
    Path again = ClusterRuns.dataDir("script-start-again");
    ClusterScript script = ClusterScript.builder(again).unstarted();
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      int port = taken.getLocalPort();
      List<Integer> free = freePorts(4);
      Files.writeString(again.resolve("cluster.env"), stoppedPostgresCluster(free.get(0) + " " + port,
          free.get(1) + " " + free.get(2), free.get(3)));
      Result httpTaken = script.run("start", "2");
      assertAll(
          () -> assertEquals(1, httpTaken.exitCode(), httpTaken::toString),
          () -> assertTrue(httpTaken.stderr().contains("the HTTP port " + port + " of node 2 is already in use"),
              httpTaken::toString));

      Files.writeString(again.resolve("cluster.env"), stoppedPostgresCluster(free.get(0) + " " + free.get(1),
          free.get(2) + " " + free.get(3), port));
      Result journalTaken = script.run("start", "2");
      assertAll(
          () -> assertEquals(1, journalTaken.exitCode(), journalTaken::toString),
          () -> assertTrue(journalTaken.stderr().contains("the journal port " + port + " (postgres) is already in use"),
              journalTaken::toString));
    } finally {
      script.run("stop"); // a start that went ahead (on other ports, another journal) leaves nothing running
    }
  }

  /** What {@code scripts/cluster start 2 --journal postgres} records, for a cluster that is not running. */
  private static String stoppedPostgresCluster(String httpPorts, String remotePorts, int journalPort) {
    return "COUNT=2\nJOURNAL=postgres\nHTTP_PORTS='" + httpPorts + "'\nREMOTE_PORTS='" + remotePorts + "'\n"
        + "JOURNAL_PORT=" + journalPort + "\nPG_MANAGED=1\nPG_URL=jdbc:postgresql://127.0.0.1:" + journalPort
        + "/gleitzeit\nPG_USER_NAME=gleitzeit\nPG_DATA=''\nPG_OS_USER=''\nCLASSPATH_USED=''\n";
  }

  private static List<Integer> freePorts(int n) throws IOException {
    List<ServerSocket> sockets = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        ServerSocket socket = new ServerSocket();
        sockets.add(socket);
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      }
      return sockets.stream().map(ServerSocket::getLocalPort).toList();
    } finally {
      for (ServerSocket socket : sockets) {
        socket.close();
      }
    }
  }

  private static List<String> list(Path dir) {
    try (var files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).toList();
    } catch (IOException e) {
      return List.of(e.toString());
    }
  }
}
