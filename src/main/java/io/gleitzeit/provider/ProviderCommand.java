package io.gleitzeit.provider;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.ProviderSpec;
import io.gleitzeit.serialization.JsonSerializable;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/** What a provider entity is told or asked. */
public sealed interface ProviderCommand extends JsonSerializable {

  /** Register, or update the registration of, this provider (SPEC §5: 201 created, 200 updated). */
  record Register(ProviderSpec spec, ActorRef<RegisterReply> replyTo) implements ProviderCommand {}

  /** {@code refused}: why the registration was not taken (null when it was). */
  record RegisterReply(boolean created, ProviderView view, String refused) implements JsonSerializable {
    public RegisterReply(boolean created, ProviderView view) {
      this(created, view, null);
    }
  }

  /** Deregister: the provider takes no more work and its held tasks are handed back. */
  record Deregister(ActorRef<ProviderReply> replyTo) implements ProviderCommand {}

  record GetProvider(ActorRef<ProviderReply> replyTo) implements ProviderCommand {}

  /** {@code view} is null when no provider has this id. */
  record ProviderReply(ProviderView view) implements JsonSerializable {}

  /** The provider's runtime is alive; also how the entity learns where to send work. */
  record Heartbeat(ActorRef<RuntimeCommand> runtime) implements ProviderCommand {}

  /** A runtime's answer to {@link RuntimeCommand.ReportHeld}: the asked attempts it holds. */
  record RuntimeHolds(ActorRef<RuntimeCommand> runtime, List<TaskKey> held) implements ProviderCommand {}

  /** A coordinator asks for a slot for this attempt. Idempotent by key. */
  record Reserve(TaskKey key, String method, ActorRef<ReserveReply> replyTo) implements ProviderCommand {}

  sealed interface ReserveReply extends JsonSerializable {
    TaskKey key();

    ProviderStatus status();
  }

  record Reserved(TaskKey key, ProviderStatus status) implements ReserveReply {}

  record Refused(TaskKey key, String reason, ProviderStatus status) implements ReserveReply {}

  /** The workflow recorded the assignment: send the attempt to the runtime. */
  record Dispatch(TaskKey key, String method, ObjectNode params, Long timeoutMs) implements ProviderCommand {}

  /**
   * The workflow no longer wants the attempt here (never sent, cancelled or timed out); {@code cancel} stops it.
   * {@code timedOut}: the provider did not answer within the task's timeout, which counts against its health.
   */
  record Release(TaskKey key, boolean cancel, boolean timedOut) implements ProviderCommand {
    public Release(TaskKey key, boolean cancel) {
      this(key, cancel, false);
    }
  }

  /** The runtime finished the attempt and its outcome was acknowledged by the workflow. */
  /** {@code outcome}: succeeded, failed or refused, as {@link ProviderEvent.TaskReleased} records it. */
  record Finished(TaskKey key, String outcome, long latencyMs) implements ProviderCommand {}

  /**
   * The runtime finished the attempt but gave up delivering its outcome to the workflow after its retries
   * (SPEC §7): the report goes to the dead letter queue, the slot is freed, the attempt is handed back.
   */
  record ReportGivenUp(TaskKey key, String reason, long latencyMs) implements ProviderCommand {}

  /** A restarted workflow asks whether this provider still holds the attempt; the answer goes to the workflow. */
  record CheckHeld(TaskKey key) implements ProviderCommand {}

  /** A coordinator (re)starting asks every provider for its status. */
  enum PublishStatus implements ProviderCommand { INSTANCE }

  /** Timer: the heartbeat deadline passed. */
  enum HeartbeatDeadline implements ProviderCommand { INSTANCE }

  /** To itself: persist the slot changes decided since its last write, together (see {@link PendingSlots}). */
  enum PersistSlots implements ProviderCommand { INSTANCE }

  /** Timer: check the reservations that were never dispatched (see ProviderEntity#onCheckUndispatched). */
  enum CheckUndispatched implements ProviderCommand { INSTANCE }

  /** Receive timeout: no message for a while. */
  enum Idle implements ProviderCommand { INSTANCE }
}
