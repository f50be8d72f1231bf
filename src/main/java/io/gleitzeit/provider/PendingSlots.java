package io.gleitzeit.provider;

import io.gleitzeit.provider.ProviderEvent.TaskAcquired;
import io.gleitzeit.provider.ProviderEvent.TaskReleased;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Slot changes a provider entity has decided but not yet persisted.
 *
 * <p>One provider takes and frees a slot for every attempt it runs, and an entity persists one write at a
 * time: persisting each change on its own made the busiest provider the bottleneck of the whole engine
 * (two journal round trips per task, one after the other). Instead the changes decided while a write is in
 * flight are persisted together by the next one, a group commit. Decisions read the provider as it will be
 * after these changes ({@link #holds}, {@link #load}, {@link #nextSequence}), so the events are exactly
 * those the changes would have persisted one by one.
 */
final class PendingSlots {

  private final List<ProviderEvent> events = new ArrayList<>();
  /** Slots taken by pending events. */
  private final Set<TaskKey> acquired = new HashSet<>();
  /** Slots of the persisted state freed by pending events. */
  private final Set<TaskKey> released = new HashSet<>();
  private int envelopes;

  boolean isEmpty() {
    return events.isEmpty();
  }

  boolean holds(ProviderState state, TaskKey key) {
    return acquired.contains(key) || (state.holds(key) && !released.contains(key));
  }

  int load(ProviderState state) {
    return state.load() + acquired.size() - released.size();
  }

  /** The sequence number the next event's first envelope takes. */
  long nextSequence(ProviderState state) {
    return state.lastSequence + envelopes + 1;
  }

  void add(ProviderEvent event) {
    events.add(event);
    envelopes += event.envelopeCount();
    if (event instanceof TaskAcquired e) {
      acquired.add(e.key());
    } else if (event instanceof TaskReleased e && !acquired.remove(e.key())) {
      released.add(e.key());
    } else if (!(event instanceof TaskReleased)) {
      throw new IllegalArgumentException("only slot changes are grouped, not " + event.getClass().getSimpleName());
    }
  }

  /** Every pending event, which is now the caller's to persist; this is empty again. */
  List<ProviderEvent> drain() {
    List<ProviderEvent> batch = List.copyOf(events);
    events.clear();
    acquired.clear();
    released.clear();
    envelopes = 0;
    return batch;
  }
}
