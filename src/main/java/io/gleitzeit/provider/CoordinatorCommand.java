package io.gleitzeit.provider;

import io.gleitzeit.domain.Priority;
import io.gleitzeit.serialization.JsonSerializable;

/** What the assignment coordinator of a node is told. */
public sealed interface CoordinatorCommand extends JsonSerializable, AssignmentCoordinator.Message {

  /** Find a provider for this attempt. Idempotent by key: a repeated request gets the same grant. */
  record RequestAssignment(TaskKey key, String method, Priority priority, String pinnedProvider)
      implements CoordinatorCommand {}

  /**
   * Forget a request still waiting for room: its task was cancelled. A request whose slot is being reserved
   * already is not withdrawn; its grant is refused by the workflow and the slot freed.
   */
  record WithdrawRequest(TaskKey key) implements CoordinatorCommand {}
}
