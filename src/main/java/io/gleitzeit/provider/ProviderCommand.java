package io.gleitzeit.provider;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.serialization.JsonSerializable;
import org.apache.pekko.actor.typed.ActorRef;

/** What a provider runtime is asked to do. */
public sealed interface ProviderCommand extends JsonSerializable, ProviderRuntime.Message {

  /** Run one attempt; {@code coordinator} is told when the slot it granted is free again. */
  record ExecuteTask(TaskKey key, String method, ObjectNode params, Long timeoutMs,
                     ActorRef<CoordinatorCommand> coordinator) implements ProviderCommand {}

  /** Stop the attempt if it still runs; its result, if any, will be rejected by the workflow anyway. */
  record CancelTask(TaskKey key) implements ProviderCommand {}

  /** After a workflow restarted: does this provider still hold the attempt (running, or its report unacknowledged)? */
  record CheckHeld(TaskKey key, ActorRef<HeldAnswer> replyTo) implements ProviderCommand {}

  record HeldAnswer(TaskKey key, String providerId, boolean held) implements JsonSerializable {}

  record Describe(ActorRef<Described> replyTo) implements ProviderCommand {}

  record Described(ProviderDescriptor descriptor, ActorRef<ProviderCommand> provider) implements JsonSerializable {}
}
