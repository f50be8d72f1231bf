package io.gleitzeit.cluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 7: the node-loss test with PostgreSQL as the shared journal ({@code scripts/cluster start 3 --journal
 * postgres}: a throwaway PostgreSQL started by the script with initdb and pg_ctl, stopped by {@code stop}). The victim
 * is node 2, a younger node. See {@link NodeLossScenario}.
 *
 * <p>PostgreSQL's binaries must be installed; {@code .ci/run} installs them when they are missing. Where they are
 * missing outside CI the test is skipped with that reason; under CI ({@code CI} set) it fails instead, so a CI run
 * never passes without it.
 */
@Tag("cluster")
@Tag("integration")
@Tag("postgres")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class PostgresNodeLossIT {

  @Test
  void killNineOfANodeUnderLoadOnAPostgresJournalLosesNoWorkflow() throws Exception {
    if (postgresBinaries().isEmpty()) {
      String why = "PostgreSQL's initdb is neither on PATH nor under /usr/lib/postgresql/*/bin"
          + " (apt-get install postgresql; .ci/run does this)";
      if (System.getenv("CI") != null) {
        throw new AssertionError(why);
      }
      Assumptions.abort(why);
    }
    NodeLossScenario.run("node-loss-postgres", "postgres", 2);
  }

  /** Where initdb is, as scripts/cluster looks for it. */
  static Optional<Path> postgresBinaries() {
    Stream<Path> onPath = Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":"))
        .filter(dir -> !dir.isEmpty()).map(Path::of);
    Stream<Path> debian;
    try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
      debian = versions.map(v -> v.resolve("bin")).toList().stream();
    } catch (java.io.IOException e) {
      debian = Stream.empty();
    }
    return Stream.concat(onPath, debian).filter(dir -> Files.isExecutable(dir.resolve("initdb"))).findFirst();
  }
}
