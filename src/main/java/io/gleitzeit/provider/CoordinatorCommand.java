package io.gleitzeit.provider;

import io.gleitzeit.domain.Priority;
import io.gleitzeit.serialization.JsonSerializable;

/** What the assignment coordinator of a node is told. */
public sealed interface CoordinatorCommand extends JsonSerializable, AssignmentCoordinator.Message {

  /** Find a provider for this attempt. Idempotent by key: a repeated request gets the same grant. */
  record RequestAssignment(TaskKey key, String method, Priority priority, String pinnedProvider)
      implements CoordinatorCommand {}

  /** The attempt no longer needs its slot (finished, rejected, cancelled or never sent). */
  record ReleaseAssignment(TaskKey key) implements CoordinatorCommand {}

  /** A restarted workflow asks whether the attempt's provider still holds it; the answer goes to the workflow. */
  record Reattach(TaskKey key, String providerId) implements CoordinatorCommand {}

  /** Tell the attempt's provider to stop it. */
  record CancelAtProvider(TaskKey key, String providerId) implements CoordinatorCommand {}
}
