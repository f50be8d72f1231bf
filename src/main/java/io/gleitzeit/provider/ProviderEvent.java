package io.gleitzeit.provider;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.gleitzeit.domain.ProviderSpec;
import io.gleitzeit.serialization.JsonSerializable;
import java.time.Instant;
import java.util.List;

/**
 * The facts a provider entity persists: registration, the attempts it holds, and health transitions.
 * Heartbeats are not persisted. Each event records the sequence number of its first envelope in the
 * provider's stream and how many envelopes it yields (see {@code io.gleitzeit.events.ProviderEnvelopes}).
 * Never rename or move these records: they are in the journal.
 */
public sealed interface ProviderEvent extends JsonSerializable {

  String providerId();

  Instant at();

  long firstSequence();

  int envelopeCount();

  default long lastSequence() {
    return firstSequence() + envelopeCount() - 1;
  }

  /**
   * provider:registered, then provider:available (a new registration), or for an update the status its new
   * {@code max_concurrency} turned it to with the attempts it holds: {@code turned} is {@link ProviderStatus#BUSY}
   * or {@link ProviderStatus#AVAILABLE} (provider:busy / provider:available), null when the status stayed.
   */
  record ProviderRegistered(String providerId, ProviderSpec spec, boolean update,
                            @JsonInclude(JsonInclude.Include.NON_NULL) String turned, Instant at, long firstSequence)
      implements ProviderEvent {

    public ProviderRegistered(String providerId, ProviderSpec spec, boolean update, Instant at, long firstSequence) {
      this(providerId, spec, update, null, at, firstSequence);
    }

    @Override
    public int envelopeCount() {
      return (update ? 1 : 2) + (turned == null ? 0 : 1);
    }
  }

  /** provider:deregistered; every held attempt is handed back to its workflow. */
  record ProviderDeregistered(String providerId, List<TaskKey> handedBack, Instant at, long firstSequence)
      implements ProviderEvent {
    @Override
    public int envelopeCount() {
      return 1;
    }
  }

  /** A slot was reserved for an attempt; provider:busy when this filled the last slot. */
  record TaskAcquired(String providerId, TaskKey key, String method, boolean nowBusy, Instant at, long firstSequence)
      implements ProviderEvent {
    @Override
    public int envelopeCount() {
      return nowBusy ? 1 : 0;
    }
  }

  /**
   * An attempt's slot is free again. {@code outcome} is "succeeded", "failed", "timed_out" (no answer within the
   * task's timeout; these three count for health), "refused" (it failed for good before the provider did any work:
   * bad params, a host not on the allow list; the request's fault, not the provider's, so it does not count) or
   * "released" (the workflow did not use or cancelled it); provider:available when a busy provider has room.
   */
  record TaskReleased(String providerId, TaskKey key, String outcome, long latencyMs, boolean nowAvailable,
                      Instant at, long firstSequence) implements ProviderEvent {
    public static final String SUCCEEDED = "succeeded";
    public static final String FAILED = "failed";
    public static final String RELEASED = "released";
    public static final String REFUSED = "refused";
    public static final String TIMED_OUT = "timed_out";

    @Override
    public int envelopeCount() {
      return nowAvailable ? 1 : 0;
    }
  }

  /**
   * The slot changes of one group write ({@link TaskAcquired} and {@link TaskReleased}, in the order they were
   * decided) as one journal event. A provider takes and frees a slot for every attempt it runs: a row per change
   * made its bookkeeping two of the seven journal rows of a task. Each change keeps its own time and sequence
   * numbers, so its envelopes are those it yields on its own. A group of one change is written as that change.
   */
  record SlotsChanged(
      String providerId,
      @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "change")
      @JsonSubTypes({@JsonSubTypes.Type(value = TaskAcquired.class, name = "acquired"),
          @JsonSubTypes.Type(value = TaskReleased.class, name = "released")})
      List<ProviderEvent> changes) implements ProviderEvent {

    public SlotsChanged {
      changes = List.copyOf(changes);
      if (changes.isEmpty()
          || !changes.stream().allMatch(c -> c instanceof TaskAcquired || c instanceof TaskReleased)) {
        throw new IllegalArgumentException("slot changes are TaskAcquired and TaskReleased events, at least one");
      }
    }

    /** When the last change was decided. */
    @Override
    public Instant at() {
      return changes.get(changes.size() - 1).at();
    }

    @Override
    public long firstSequence() {
      return changes.get(0).firstSequence();
    }

    @Override
    public int envelopeCount() {
      return changes.stream().mapToInt(ProviderEvent::envelopeCount).sum();
    }
  }

  /** provider:unhealthy: heartbeats stopped; every held attempt is handed back to its workflow. */
  record ProviderMarkedUnhealthy(String providerId, int missedHeartbeats, List<TaskKey> handedBack, Instant at,
                                 long firstSequence) implements ProviderEvent {
    @Override
    public int envelopeCount() {
      return 1;
    }
  }

  /**
   * dead_letter:added (kind {@code report}, naming the attempt's workflow and task): the outcome of an attempt
   * this provider ran could not be delivered to its workflow after the runtime's retries (SPEC §7).
   */
  record ReportUndeliverable(String providerId, TaskKey key, String reason, Instant at, long firstSequence)
      implements ProviderEvent {
    @Override
    public int envelopeCount() {
      return 1;
    }
  }

  /** provider:recovered, then provider:available: heartbeats are back. */
  record ProviderRecovered(String providerId, Instant at, long firstSequence) implements ProviderEvent {
    @Override
    public int envelopeCount() {
      return 2;
    }
  }
}
