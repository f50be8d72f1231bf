package io.gleitzeit.api;

import io.gleitzeit.events.EventFilter;
import java.util.Map;
import java.util.regex.Pattern;

/** Reads and checks the event filter query parameters; a bad value names the parameter. */
final class EventFilterParams {

  private static final Pattern TYPE = Pattern.compile("[a-z_]+:(\\*|[a-z_]+)");

  static final class BadParameter extends Exception {
    private final String parameter;

    BadParameter(String parameter, String message) {
      super(message);
      this.parameter = parameter;
    }

    String parameter() {
      return parameter;
    }
  }

  private EventFilterParams() {}

  static EventFilter parse(Map<String, String> params) throws BadParameter {
    String type = blankToNull(params.get("type"));
    if (type != null && !TYPE.matcher(type).matches()) {
      throw new BadParameter("type", "type must be an event type such as task:completed or a group such as task:*,"
          + " got '" + type + "'");
    }
    String severity = blankToNull(params.get("severity"));
    if (severity != null && !EventFilter.SEVERITIES.contains(severity)) {
      throw new BadParameter("severity", "severity must be one of debug, info, warning, error, got '" + severity + "'");
    }
    return new EventFilter(type, blankToNull(params.get("workflow_id")), blankToNull(params.get("task_id")),
        blankToNull(params.get("provider_id")), severity);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
