package io.gleitzeit.provider.external;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.provider.TaskKey;

/** A frame an external worker sent (SPEC §6), as {@link WorkerFrames#parse} understood it. */
public sealed interface InboundFrame {

  /** {@code {"type": "heartbeat"}}. */
  enum Heartbeat implements InboundFrame { INSTANCE }

  /** {@code task:started}: the worker began the attempt. */
  record Started(TaskKey key) implements InboundFrame {}

  /** {@code task:completed} with its result (any JSON, {@code null} included). */
  record Completed(TaskKey key, JsonNode result) implements InboundFrame {}

  /**
   * {@code task:failed} with the worker's message, whether another attempt may succeed, and the worker's own
   * {@code error.type} (null when it gave none: the task's error is then a {@code provider_error}).
   */
  record Failed(TaskKey key, String message, boolean retryable, String errorType) implements InboundFrame {}

  /** A well-formed frame of a type this server does not know: ignored (SPEC §6). */
  record Unknown(String type) implements InboundFrame {}

  /** A frame that cannot be accepted; {@code problem} says why and is sent back in an error frame. */
  record Invalid(String problem) implements InboundFrame {}
}
