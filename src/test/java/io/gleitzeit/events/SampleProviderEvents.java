package io.gleitzeit.events;

import io.gleitzeit.domain.ProviderSpec;
import io.gleitzeit.provider.ProviderEvent;
import io.gleitzeit.provider.ProviderStatus;
import io.gleitzeit.provider.ProviderEvent.ProviderDeregistered;
import io.gleitzeit.provider.ProviderEvent.ProviderMarkedUnhealthy;
import io.gleitzeit.provider.ProviderEvent.ProviderRecovered;
import io.gleitzeit.provider.ProviderEvent.ProviderRegistered;
import io.gleitzeit.provider.ProviderEvent.TaskAcquired;
import io.gleitzeit.provider.ProviderEvent.TaskReleased;
import io.gleitzeit.provider.TaskKey;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One sample of every persisted provider event, in each of its shapes; each is the source of a golden file. */
final class SampleProviderEvents {

  static final Instant AT = Instant.parse("2026-11-26T10:30:00.123Z");
  static final String PROVIDER = "ollama-1";

  private SampleProviderEvents() {}

  static ProviderSpec spec(int maxConcurrency) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("zone", "eu-1");
    labels.put("gpu", "a100");
    return new ProviderSpec(PROVIDER, "external", List.of("llm/generate", "mcp/tool.*"), maxConcurrency, labels);
  }

  static final TaskKey K1 = new TaskKey("wf-1", "analyze", 1);
  static final TaskKey K2 = new TaskKey("wf-2", "summarize", 3);

  /** Keyed by the golden file's name: {@code <EventClass>[<Shape>]-v1}. */
  static Map<String, ProviderEvent> all() {
    Map<String, ProviderEvent> events = new LinkedHashMap<>();
    events.put("ProviderRegistered-v1", new ProviderRegistered(PROVIDER, spec(2), false, AT, 1));
    events.put("ProviderRegisteredUpdate-v1", new ProviderRegistered(PROVIDER, spec(3), true, AT, 3));
    events.put("TaskAcquired-v1", new TaskAcquired(PROVIDER, K1, "llm/generate", false, AT, 4));
    events.put("TaskAcquiredBusy-v1", new TaskAcquired(PROVIDER, K2, "mcp/tool.read_file", true, AT, 4));
    events.put("TaskReleasedAvailable-v1", new TaskReleased(PROVIDER, K2, TaskReleased.SUCCEEDED, 250, true, AT, 5));
    events.put("TaskReleased-v1", new TaskReleased(PROVIDER, K1, TaskReleased.FAILED, 1200, false, AT, 6));
    events.put("ProviderMarkedUnhealthy-v1", new ProviderMarkedUnhealthy(PROVIDER, 3, List.of(K1, K2), AT, 6));
    events.put("ProviderRecovered-v1", new ProviderRecovered(PROVIDER, AT, 7));
    events.put("ProviderDeregistered-v1", new ProviderDeregistered(PROVIDER, List.of(K1), AT, 9));
    events.put("ReportUndeliverable-v1", new ProviderEvent.ReportUndeliverable(PROVIDER, K2, "the result of attempt 3"
        + " was not acknowledged by workflow wf-2 after 10 deliveries; last: AskTimeoutException", AT, 10));
    // A group write of slot changes: each change keeps its own sequence numbers (here 11 and 12) and time (AT for
    // all, as every sample envelope has the time AT; ProviderStateTest applies changes of different times).
    events.put("SlotsChanged-v1", new ProviderEvent.SlotsChanged(PROVIDER, List.of(
        new TaskAcquired(PROVIDER, new TaskKey("wf-3", "a", 1), "llm/generate", false, AT, 11),
        new TaskReleased(PROVIDER, K2, TaskReleased.SUCCEEDED, 250, true, AT, 11),
        new TaskAcquired(PROVIDER, new TaskKey("wf-3", "b", 1), "llm/generate", true, AT, 12))));
    // v2: an update whose max_concurrency turned the provider busy (or available) with the attempts it holds.
    events.put("ProviderRegisteredUpdateTurnedBusy-v2", new ProviderRegistered(PROVIDER, spec(1), true,
        ProviderStatus.BUSY, AT, 13));
    return events;
  }
}
