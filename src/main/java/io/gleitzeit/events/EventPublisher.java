package io.gleitzeit.events;

import io.gleitzeit.workflow.WorkflowEvent;

/** Puts a persisted event's envelopes on the live stream. */
@FunctionalInterface
public interface EventPublisher {
  void publish(WorkflowEvent event);

  EventPublisher NONE = event -> { };
}
