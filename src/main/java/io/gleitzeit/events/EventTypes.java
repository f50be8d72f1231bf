package io.gleitzeit.events;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** SPEC §4's event types, and the groups ({@code task:*}) a filter may name instead of one type. */
public final class EventTypes {

  public static final Set<String> ALL = Set.of(
      "workflow:submitted", "workflow:state_changed", "workflow:completed", "workflow:failed", "workflow:cancelled",
      "task:created", "task:ready", "task:assigned", "task:started", "task:completed", "task:failed",
      "task:retry_scheduled", "task:cancelled", "task:skipped", "task:reassigned", "task:progress",
      "dependency:satisfied",
      "assignment:requested", "assignment:candidate_found", "assignment:approved", "assignment:rejected",
      "assignment:executed",
      "parameters:resolve_requested", "parameters:resolved", "parameters:resolution_failed",
      "provider:registered", "provider:available", "provider:busy", "provider:heartbeat", "provider:unhealthy",
      "provider:recovered", "provider:deregistered",
      "dead_letter:added", "dead_letter:requeued");

  /** {@code workflow:*}, {@code task:*}, ...: one per category of {@link #ALL}. */
  public static final Set<String> GROUPS = ALL.stream().map(t -> t.substring(0, t.indexOf(':')) + ":*")
      .collect(Collectors.toUnmodifiableSet());

  private EventTypes() {}

  /** The types of a group ({@code task:*}), in alphabetical order. */
  public static List<String> inGroup(String group) {
    String prefix = group.substring(0, group.length() - 1);
    return ALL.stream().filter(t -> t.startsWith(prefix)).sorted().toList();
  }

  /** An event type of SPEC §4, or a group of them. */
  public static boolean isTypeOrGroup(String type) {
    return ALL.contains(type) || GROUPS.contains(type);
  }
}
