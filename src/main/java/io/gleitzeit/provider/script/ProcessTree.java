package io.gleitzeit.provider.script;

import java.util.List;

/** Ends a process and everything it started, so a timed-out or cancelled script leaves nothing running. */
final class ProcessTree {

  private ProcessTree() {}

  /** Kills {@code process} and its descendants (listed first: once it dies they are no longer its children). */
  static void kill(ProcessHandle process) {
    List<ProcessHandle> descendants = process.descendants().toList();
    process.destroyForcibly();
    descendants.forEach(ProcessHandle::destroyForcibly);
  }
}
