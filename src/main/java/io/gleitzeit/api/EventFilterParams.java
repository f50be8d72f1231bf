package io.gleitzeit.api;

import io.gleitzeit.domain.WorkflowStatus;
import io.gleitzeit.events.EventFilter;
import io.gleitzeit.events.EventIndex;
import io.gleitzeit.events.EventTypes;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads and checks the event filter query parameters, and the paging parameters of {@code GET /events} and
 * {@code GET /workflows}; a bad value names the parameter. A blank value counts as absent.
 */
final class EventFilterParams {

  /** A cursor decoded: which endpoint it belongs to and a position. */
  private static final Pattern CURSOR = Pattern.compile("([a-z]+):(\\d{1,18})");
  private static final String EVENTS_CURSOR = "events";
  private static final String WORKFLOWS_CURSOR = "workflows";
  private static final String DEAD_LETTERS_CURSOR = "deadletters";
  private static final java.util.Set<String> DEAD_LETTER_STATUSES = java.util.Set.of("pending", "requeued");

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
    if (type != null && !EventTypes.isTypeOrGroup(type)) {
      throw new BadParameter("type", "type must be an event type of SPEC §4 such as task:completed or a group such as"
          + " task:*, got '" + type + "'");
    }
    String severity = blankToNull(params.get("severity"));
    if (severity != null && !EventFilter.SEVERITIES.contains(severity)) {
      throw new BadParameter("severity", "severity must be one of debug, info, warning, error, got '" + severity + "'");
    }
    return new EventFilter(type, blankToNull(params.get("workflow_id")), blankToNull(params.get("task_id")),
        blankToNull(params.get("provider_id")), severity);
  }

  /**
   * {@code GET /events}: the filters, {@code since} (inclusive) and {@code until} (exclusive) as ISO-8601
   * date-times with an offset, {@code limit} 1..1000 (default 100), and {@code after}, a cursor from a
   * previous answer's {@code next}.
   */
  static EventIndex.EventQuery parseQuery(Map<String, String> params) throws BadParameter {
    EventFilter filter = parse(params);
    Instant since = instant(params, "since");
    Instant until = instant(params, "until");
    if (since != null && until != null && until.isBefore(since)) {
      throw new BadParameter("until", "until must not be before since, got since=" + params.get("since")
          + " and until=" + params.get("until"));
    }
    Long after = cursor(params, EVENTS_CURSOR);
    return new EventIndex.EventQuery(filter, since, until, limit(params), after == null ? 0 : after);
  }

  /** {@code GET /workflows}: {@code status}, {@code limit} as for events, {@code after} a cursor from {@code next}. */
  static EventIndex.WorkflowQuery parseWorkflowList(Map<String, String> params) throws BadParameter {
    String status = blankToNull(params.get("status"));
    WorkflowStatus parsed = null;
    if (status != null) {
      parsed = WorkflowStatus.fromWire(status).orElseThrow(() -> new BadParameter("status",
          "status must be one of running, completed, failed, cancelled, got '" + status + "'"));
    }
    return new EventIndex.WorkflowQuery(parsed, limit(params), cursor(params, WORKFLOWS_CURSOR));
  }

  /** {@code GET /dead-letters}: {@code workflow_id}, {@code task_id}, {@code status} (pending, requeued), paging. */
  static EventIndex.DeadLetterQuery parseDeadLetters(Map<String, String> params) throws BadParameter {
    String status = blankToNull(params.get("status"));
    if (status != null && !DEAD_LETTER_STATUSES.contains(status)) {
      throw new BadParameter("status", "status must be pending or requeued, got '" + status + "'");
    }
    Long after = cursor(params, DEAD_LETTERS_CURSOR);
    return new EventIndex.DeadLetterQuery(blankToNull(params.get("workflow_id")), blankToNull(params.get("task_id")),
        status, limit(params), after == null ? 0 : after);
  }

  static String deadLettersCursor(Long position) {
    return position == null ? null : encode(DEAD_LETTERS_CURSOR, position);
  }

  /** The {@code next} cursor of {@code GET /events}: opaque to clients, a position in the index to us. */
  static String eventsCursor(Long position) {
    return position == null ? null : encode(EVENTS_CURSOR, position);
  }

  static String workflowsCursor(Long position) {
    return position == null ? null : encode(WORKFLOWS_CURSOR, position);
  }

  private static String encode(String kind, long position) {
    return Base64.getUrlEncoder().withoutPadding()
        .encodeToString((kind + ":" + position).getBytes(StandardCharsets.US_ASCII));
  }

  private static Long cursor(Map<String, String> params, String kind) throws BadParameter {
    String value = blankToNull(params.get("after"));
    if (value == null) {
      return null;
    }
    String decoded;
    try {
      decoded = new String(Base64.getUrlDecoder().decode(value), StandardCharsets.US_ASCII);
    } catch (IllegalArgumentException e) {
      decoded = "";
    }
    var m = CURSOR.matcher(decoded);
    if (!m.matches() || !m.group(1).equals(kind)) {
      throw new BadParameter("after", "after must be the 'next' value of a previous answer of this endpoint, got '"
          + value + "'");
    }
    return Long.parseLong(m.group(2));
  }

  private static int limit(Map<String, String> params) throws BadParameter {
    String value = blankToNull(params.get("limit"));
    if (value == null) {
      return EventIndex.DEFAULT_LIMIT;
    }
    int limit = value.matches("\\d{1,9}") ? Integer.parseInt(value) : -1;
    if (limit < 1 || limit > EventIndex.MAX_LIMIT) {
      throw new BadParameter("limit", "limit must be a whole number from 1 to " + EventIndex.MAX_LIMIT + ", got '"
          + value + "'");
    }
    return limit;
  }

  /** {@code state?at_time=}: an ISO-8601 date-time with an offset, like {@code since}. */
  static Instant time(Map<String, String> params, String name) throws BadParameter {
    return instant(params, name);
  }

  private static Instant instant(Map<String, String> params, String name) throws BadParameter {
    String value = blankToNull(params.get(name));
    if (value == null) {
      return null;
    }
    try {
      // An unencoded '+' of an offset arrives as a space (form encoding); a date-time has no space otherwise.
      Instant instant = OffsetDateTime.parse(value.replace(' ', '+')).toInstant();
      instant.toEpochMilli(); // beyond the range of epoch milliseconds: not a time any event has
      return instant;
    } catch (DateTimeParseException | ArithmeticException e) {
      throw new BadParameter(name, name + " must be an ISO-8601 date-time with an offset such as "
          + "2026-11-26T10:30:00.123Z, got '" + value + "'");
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
