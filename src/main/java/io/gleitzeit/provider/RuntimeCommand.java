package io.gleitzeit.provider;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.serialization.JsonSerializable;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/** What a provider runtime (a built-in provider on a node, or an external worker's connection) is told. */
public sealed interface RuntimeCommand extends JsonSerializable, ProviderRuntime.Message {

  /** Run one attempt. */
  record ExecuteTask(TaskKey key, String method, ObjectNode params, Long timeoutMs) implements RuntimeCommand {}

  /** Stop the attempt if it still runs; its outcome will be rejected by the workflow anyway. */
  record CancelTask(TaskKey key) implements RuntimeCommand {}

  /**
   * Tell the worker to stop an attempt this runtime never held: one sent on an earlier connection, which its
   * workflow gave up (a timeout, a cancellation) while the worker was away, and which it may still run.
   */
  record CancelFromEarlierConnection(TaskKey key) implements RuntimeCommand {}

  /**
   * The provider no longer takes work from this runtime (another connection of its external worker replaced it,
   * or it was deregistered): the runtime tells its worker why and stops, which closes the worker's connection.
   */
  record Detach(String reason) implements RuntimeCommand {}

  /** Which of {@code keys} does this runtime hold (running, or its outcome not yet acknowledged)? */
  record ReportHeld(List<TaskKey> keys, ActorRef<ProviderCommand> replyTo) implements RuntimeCommand {}
}
