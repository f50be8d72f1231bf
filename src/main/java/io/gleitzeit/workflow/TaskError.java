package io.gleitzeit.workflow;

/** Why an attempt failed, as SPEC §4 shows it: {@code {"message", "retryable", "type"}}. */
public record TaskError(String message, boolean retryable, String type) {

  public static final String PROVIDER = "provider_error";
  public static final String RESOLUTION = "parameter_resolution";
  public static final String TIMEOUT = "timeout";
  public static final String REASSIGNMENTS = "reassignment_limit";
  public static final String SCHEDULE_TO_START = "schedule_to_start_timeout";

  public static TaskError ofProvider(String message, boolean retryable) {
    return new TaskError(message, retryable, PROVIDER);
  }
}
