package io.gleitzeit.workflow;

import java.util.List;

/**
 * Why an attempt failed, as SPEC §4 shows it: {@code {"message", "retryable", "type"}}. {@code retryAfterMs},
 * null unless the provider asked for it (HTTP {@code Retry-After}), is the least delay before the next
 * automatic attempt (SPEC §7); it is persisted with the event but not part of the wire form.
 */
public record TaskError(String message, boolean retryable, String type, Long retryAfterMs) {

  public static final String PROVIDER = "provider_error";
  public static final String RESOLUTION = "parameter_resolution";
  public static final String TIMEOUT = "timeout";
  public static final String REASSIGNMENTS = "reassignment_limit";
  public static final String SCHEDULE_TO_START = "schedule_to_start_timeout";

  /** The types the engine decides itself, which a provider's own type may not take. */
  public static final List<String> ENGINE_TYPES = List.of(PROVIDER, RESOLUTION, TIMEOUT, REASSIGNMENTS,
      SCHEDULE_TO_START);

  public TaskError(String message, boolean retryable, String type) {
    this(message, retryable, type, null);
  }

  public static TaskError ofProvider(String message, boolean retryable) {
    return new TaskError(message, retryable, PROVIDER);
  }

  public static TaskError ofProvider(String message, boolean retryable, Long retryAfterMs) {
    return new TaskError(message, retryable, PROVIDER, retryAfterMs);
  }
}
