package io.gleitzeit.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gleitzeit.domain.ProviderSpec;
import io.gleitzeit.provider.ProviderEvent.ProviderRegistered;
import io.gleitzeit.provider.ProviderEvent.SlotsChanged;
import io.gleitzeit.provider.ProviderEvent.TaskAcquired;
import io.gleitzeit.provider.ProviderEvent.TaskReleased;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A provider's state as its journal rebuilds it. */
class ProviderStateTest {

  private static final Instant T0 = Instant.parse("2026-11-27T10:00:00Z");
  private static final TaskKey K1 = new TaskKey("wf-a", "t1", 1);
  private static final TaskKey K2 = new TaskKey("wf-a", "t2", 1);
  private static final TaskKey K3 = new TaskKey("wf-b", "t3", 2);

  private static ProviderState registered() {
    ProviderSpec spec = new ProviderSpec("p", "external", List.of("test/*"), 2, Map.of());
    return ProviderState.empty().apply(new ProviderRegistered("p", spec, false, T0, 1));
  }

  @Test
  void shouldApplyTheChangesOfAGroupWriteAsIfEachHadBeenWrittenAlone() {
    List<ProviderEvent> changes = List.of(
        new TaskAcquired("p", K1, "test/echo", false, T0, 3),
        new TaskAcquired("p", K2, "test/echo", true, T0, 3),
        new TaskReleased("p", K1, TaskReleased.SUCCEEDED, 40, true, T0.plusMillis(40), 4),
        new TaskAcquired("p", K3, "test/echo", true, T0.plusMillis(41), 5));

    ProviderState grouped = registered().apply(new SlotsChanged("p", changes));
    ProviderState oneByOne = registered();
    changes.forEach(oneByOne::apply);

    assertEquals(List.of(K2, K3), grouped.heldKeys());
    assertEquals(oneByOne.heldKeys(), grouped.heldKeys());
    assertEquals(5, grouped.lastSequence);
    assertEquals(oneByOne.lastSequence, grouped.lastSequence);
    assertEquals(oneByOne.health, grouped.health);
    assertEquals(3, new SlotsChanged("p", changes).envelopeCount(), "busy, available, busy");
  }
}
