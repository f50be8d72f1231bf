package io.gleitzeit.events;

import java.util.Set;

/**
 * The filters of {@code /events} and {@code /events/stream} (SPEC §5): an exact type or a group such as
 * {@code task:*}, workflow, task, provider and severity. A null field matches everything.
 */
public record EventFilter(String type, String workflowId, String taskId, String providerId, String severity) {

  public static final Set<String> SEVERITIES = Set.of("debug", "info", "warning", "error");
  public static final EventFilter ALL = new EventFilter(null, null, null, null, null);

  public boolean matches(EventEnvelope e) {
    return matchesType(e.eventType())
        && (workflowId == null || workflowId.equals(e.workflowId()))
        && (taskId == null || taskId.equals(e.taskId()))
        && (providerId == null || providerId.equals(e.providerId()))
        && (severity == null || severity.equals(e.severity()));
  }

  private boolean matchesType(String eventType) {
    if (type == null) {
      return true;
    }
    if (type.endsWith(":*")) {
      return eventType.startsWith(type.substring(0, type.length() - 1));
    }
    return type.equals(eventType);
  }
}
