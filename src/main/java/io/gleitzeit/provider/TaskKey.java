package io.gleitzeit.provider;

import io.gleitzeit.serialization.JsonSerializable;

/** One execution of a task: the unit of assignment, fencing and idempotency. */
public record TaskKey(String workflowId, String taskId, int attempt) implements JsonSerializable {
  @Override
  public String toString() {
    return workflowId + "/" + taskId + "#" + attempt;
  }
}
