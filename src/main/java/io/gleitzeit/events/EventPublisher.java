package io.gleitzeit.events;

import java.util.List;

/** Puts envelopes on the live stream: those of a persisted event, or a live-only one such as a heartbeat. */
@FunctionalInterface
public interface EventPublisher {
  void publish(List<EventEnvelope> envelopes);

  EventPublisher NONE = envelopes -> { };
}
