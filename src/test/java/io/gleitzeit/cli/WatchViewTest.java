package io.gleitzeit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.domain.Json;
import org.junit.jupiter.api.Test;

/** The watch view folds envelopes into task rows and renders them as a table or as one line per change. */
class WatchViewTest {

  private static JsonNode envelope(String type, String task, String provider, String payload) {
    try {
      return Json.MAPPER.readTree("{\"event_type\": \"" + type + "\", \"task_id\": "
          + (task == null ? "null" : "\"" + task + "\"") + ", \"provider_id\": "
          + (provider == null ? "null" : "\"" + provider + "\"") + ", \"payload\": " + payload + "}");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void shouldShowEachTasksLatestAttemptInATable() {
    WatchView view = new WatchView("wf-1");
    view.apply(envelope("workflow:submitted", null, null, "{}"));
    view.apply(envelope("task:created", "fetch", null, "{}"));
    view.apply(envelope("task:created", "summarize", null, "{}"));
    view.apply(envelope("task:ready", "fetch", null, "{\"attempt\": 1}"));
    view.apply(envelope("task:assigned", "fetch", "test-1", "{\"attempt\": 1}"));
    view.apply(envelope("task:started", "fetch", "test-1", "{\"attempt\": 1}"));
    view.apply(envelope("task:failed", "fetch", "test-1", "{\"attempt\": 1, \"will_retry\": true, \"duration_ms\": 4}"));
    view.apply(envelope("task:ready", "fetch", null, "{\"attempt\": 2}"));
    view.apply(envelope("task:assigned", "fetch", "test-2", "{\"attempt\": 2}"));
    WatchView.Row row = view.apply(envelope("task:completed", "fetch", "test-2",
        "{\"attempt\": 2, \"duration_ms\": 12}"));

    assertEquals("completed", row.state);
    assertEquals("""
        workflow wf-1  running  (10 events)
        TASK       STATE               ATTEMPT  PROVIDER              DURATION
        fetch      completed                 2  test-2                12 ms
        summarize  pending                   1  -                     -
        """, view.table());
    assertEquals("fetch                completed          attempt 2  test-2  12 ms", WatchView.line(row));
    assertFalse(view.ended());
  }

  @Test
  void shouldForgetTheProviderOfAnEarlierAttemptAndEndWithTheWorkflow() {
    WatchView view = new WatchView("wf-2");
    view.apply(envelope("task:assigned", "a", "p1", "{\"attempt\": 1}"));
    view.apply(envelope("task:reassigned", "a", "p1", "{\"previous_attempt\": 1, \"attempt\": 2}"));
    WatchView.Row row = view.apply(envelope("task:ready", "a", null, "{\"attempt\": 2}"));
    assertEquals(2, row.attempt);
    assertNull(row.provider, "attempt 2 has no provider yet");
    assertEquals("a                    ready              attempt 2  -  -", WatchView.line(row));

    assertNull(view.apply(envelope("assignment:requested", "a", null, "{}")), "not a task state change");
    assertNull(view.apply(envelope("workflow:cancelled", null, null, "{}")));
    assertTrue(view.ended());
    assertEquals("cancelled", view.status());
  }
}
