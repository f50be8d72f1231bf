package io.gleitzeit.provider.script;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Ends a process and everything it started, so a timed-out or cancelled script leaves nothing running. A script
 * runs in a process group of its own ({@link #OWN_GROUP}, util-linux's {@code setsid}), so that what it started
 * and then left (a subshell's {@code (sleep 600 &)}: reparented to init, no longer a descendant) is still found.
 */
final class ProcessTree {

  /**
   * The prefix that starts a program as the leader of a new session and process group: its group id is its pid.
   * Empty where {@code setsid} or {@code kill} is missing: only the process and its descendants are killed then.
   */
  static final List<String> OWN_GROUP = executable("setsid").isEmpty() || executable("kill").isEmpty()
      ? List.of() : List.of(executable("setsid"), "--");

  private static final String KILL = executable("kill");

  private ProcessTree() {}

  /**
   * Kills {@code process} and its descendants (listed first: once it dies they are no longer its children) and,
   * when it was started with {@link #OWN_GROUP}, every process left in its group.
   */
  static void kill(ProcessHandle process) {
    List<ProcessHandle> descendants = process.descendants().toList();
    if (!OWN_GROUP.isEmpty()) {
      killGroup(process.pid());
    }
    process.destroyForcibly();
    descendants.forEach(ProcessHandle::destroyForcibly);
  }

  /** Started, not waited for: a cancel runs on the provider runtime's actor thread. */
  private static void killGroup(long groupId) {
    try {
      new ProcessBuilder(KILL, "-KILL", "--", "-" + groupId).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    } catch (IOException e) {
      // the process and its descendants are still killed one by one
    }
  }

  private static String executable(String name) {
    return Stream.of("/usr/bin/" + name, "/bin/" + name).filter(p -> Files.isExecutable(Path.of(p))).findFirst()
        .orElse("");
  }
}
