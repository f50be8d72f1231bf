package io.gleitzeit.provider.external;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.provider.TaskKey;
import io.gleitzeit.provider.TaskRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The frames of SPEC §6, parsed and rendered without a server. */
class WorkerFramesTest {

  private static final TaskKey KEY = new TaskKey("wf-1", "a", 2);

  @Test
  void heartbeat() {
    assertSame(InboundFrame.Heartbeat.INSTANCE, WorkerFrames.parse("{\"type\": \"heartbeat\"}"));
    assertSame(InboundFrame.Heartbeat.INSTANCE, WorkerFrames.parse("{\"type\": \"heartbeat\", \"load\": 3}"),
        "extra fields are ignored");
  }

  @Test
  void startedCompletedAndFailed() {
    assertEquals(new InboundFrame.Started(KEY), WorkerFrames.parse(
        "{\"type\": \"task:started\", \"workflow_id\": \"wf-1\", \"task_id\": \"a\", \"attempt\": 2}"));
    assertEquals(new InboundFrame.Started(KEY), WorkerFrames.parse(
        "{\"type\": \"task:started\", \"workflow_id\": \"wf-1\", \"task_id\": \"a\", \"attempt\": 2.0}"),
        "JSON does not tell 2.0 from 2");

    InboundFrame completed = WorkerFrames.parse(
        "{\"type\": \"task:completed\", \"workflow_id\": \"wf-1\", \"task_id\": \"a\", \"attempt\": 2,"
            + " \"result\": {\"x\": [1, 2]}}");
    assertEquals(new InboundFrame.Completed(KEY, json("{\"x\": [1, 2]}")), completed);

    InboundFrame nullResult = WorkerFrames.parse(
        "{\"type\": \"task:completed\", \"workflow_id\": \"wf-1\", \"task_id\": \"a\", \"attempt\": 2, \"result\": null}");
    assertTrue(((InboundFrame.Completed) nullResult).result().isNull(), "any JSON, null included");

    assertEquals(new InboundFrame.Failed(KEY, "boom", false, null), WorkerFrames.parse(
        "{\"type\": \"task:failed\", \"workflow_id\": \"wf-1\", \"task_id\": \"a\", \"attempt\": 2,"
            + " \"error\": {\"message\": \"boom\", \"retryable\": false}}"));
    // The worker's own error type is kept (round 17: it was dropped for provider_error); null is no type.
    assertEquals(new InboundFrame.Failed(KEY, "boom", true, "ValueError"), WorkerFrames.parse(
        "{\"type\": \"task:failed\", \"workflow_id\": \"wf-1\", \"task_id\": \"a\", \"attempt\": 2,"
            + " \"error\": {\"message\": \"boom\", \"retryable\": true, \"type\": \"ValueError\"}}"));
    assertEquals(new InboundFrame.Failed(KEY, "boom", true, null), WorkerFrames.parse(
        "{\"type\": \"task:failed\", \"workflow_id\": \"wf-1\", \"task_id\": \"a\", \"attempt\": 2,"
            + " \"error\": {\"message\": \"boom\", \"retryable\": true, \"type\": null}}"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "5        | 'error.type' must be a string, got a number",
      "'\"\"'   | 'error.type' must have 1-128 characters, not blank, got 0",
      "'\" \"'  | 'error.type' must have 1-128 characters, not blank, got 1",
      "'\"timeout\"' | 'error.type' 'timeout' is one of the engine's own types"})
  void aWorkersErrorTypeIsAStringThatIsNotTheEngines(String type, String problem) {
    InboundFrame frame = WorkerFrames.parse("{\"type\": \"task:failed\", \"workflow_id\": \"wf-1\", \"task_id\": \"a\","
        + " \"attempt\": 2, \"error\": {\"message\": \"boom\", \"retryable\": true, \"type\": " + type + "}}");
    String said = assertInstanceOf(InboundFrame.Invalid.class, frame).problem();
    assertTrue(said.contains(problem), said);
  }

  @Test
  void unknownTypesAreRecognisedAsSuch() {
    assertEquals(new InboundFrame.Unknown("telemetry"), WorkerFrames.parse("{\"type\": \"telemetry\", \"cpu\": 1}"));
    assertEquals(new InboundFrame.Unknown("task:execute"), WorkerFrames.parse("{\"type\": \"task:execute\"}"),
        "server-to-worker types sent back are unknown here");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "not json                                                                  | frame is not JSON",
      "{\"type\": \"heartbeat\"} trailing                                         | frame is not JSON",
      "''                                                                        | got nothing",
      "[1, 2]                                                                    | JSON object, got an array",
      "{}                                                                        | no 'type'",
      "{\"type\": 5}                                                             | 'type' must be a string, got a number",
      "{\"type\": \"task:started\", \"task_id\": \"a\", \"attempt\": 1}          | missing 'workflow_id'",
      "{\"type\": \"task:started\", \"workflow_id\": \"\", \"task_id\": \"a\", \"attempt\": 1} | 'workflow_id' must be a non-empty string",
      "{\"type\": \"task:started\", \"workflow_id\": \"w\", \"task_id\": 3, \"attempt\": 1} | 'task_id' must be a non-empty string, got a number",
      "{\"type\": \"task:started\", \"workflow_id\": \"w\", \"task_id\": \"a\", \"attempt\": 0} | 'attempt' must be an integer >= 1, got 0",
      "{\"type\": \"task:started\", \"workflow_id\": \"w\", \"task_id\": \"a\", \"attempt\": 1.5} | 'attempt' must be an integer >= 1, got 1.5",
      "{\"type\": \"task:started\", \"workflow_id\": \"w\", \"task_id\": \"a\"}  | missing 'attempt'",
      "{\"type\": \"task:completed\", \"workflow_id\": \"w\", \"task_id\": \"a\", \"attempt\": 1} | missing 'result'",
      "{\"type\": \"task:failed\", \"workflow_id\": \"w\", \"task_id\": \"a\", \"attempt\": 1} | missing 'error'",
      "{\"type\": \"task:failed\", \"workflow_id\": \"w\", \"task_id\": \"a\", \"attempt\": 1, \"error\": \"x\"} | 'error' must be an object",
      "{\"type\": \"task:failed\", \"workflow_id\": \"w\", \"task_id\": \"a\", \"attempt\": 1, \"error\": {\"retryable\": true}} | missing 'error.message'",
      "{\"type\": \"task:failed\", \"workflow_id\": \"w\", \"task_id\": \"a\", \"attempt\": 1, \"error\": {\"message\": \"m\", \"retryable\": \"no\"}} | 'error.retryable' must be true or false, got a string",
  })
  void framesThatCannotBeAcceptedSayWhy(String text, String expected) {
    InboundFrame frame = WorkerFrames.parse(text);
    InboundFrame.Invalid invalid = assertInstanceOf(InboundFrame.Invalid.class, frame, text);
    assertTrue(invalid.problem().contains(expected), () -> "'" + invalid.problem() + "' should contain '" + expected
        + "'");
  }

  @Test
  void everyProblemOfATaskFrameIsNamedAndTheTypeLeads() {
    InboundFrame.Invalid invalid = (InboundFrame.Invalid) WorkerFrames.parse("{\"type\": \"task:completed\"}");
    assertTrue(invalid.problem().startsWith("task:completed: "), invalid.problem());
    for (String field : new String[] {"workflow_id", "task_id", "attempt", "result"}) {
      assertTrue(invalid.problem().contains("'" + field + "'"), invalid.problem());
    }
  }

  @Test
  void rendersWhatTheServerSends() {
    assertEquals(json("{\"type\": \"welcome\", \"provider_id\": \"w-1\", \"heartbeat_interval_ms\": 5000}"),
        json(WorkerFrames.welcome("w-1", 5000)));

    ObjectNode params = (ObjectNode) json("{\"prompt\": \"hi\", \"n\": [1]}");
    assertEquals(json("{\"type\": \"task:execute\", \"workflow_id\": \"wf-1\", \"task_id\": \"a\", \"attempt\": 2,"
            + " \"method\": \"ext/echo\", \"params\": {\"prompt\": \"hi\", \"n\": [1]}, \"timeout_ms\": 30000}"),
        json(WorkerFrames.execute(new TaskRequest(KEY, "ext/echo", params, 30_000L))));
    JsonNode noTimeout = json(WorkerFrames.execute(new TaskRequest(KEY, "ext/echo", params, null)));
    assertTrue(noTimeout.has("timeout_ms") && noTimeout.get("timeout_ms").isNull(), noTimeout::toString);

    assertEquals(json("{\"type\": \"task:cancel\", \"workflow_id\": \"wf-1\", \"task_id\": \"a\", \"attempt\": 2}"),
        json(WorkerFrames.cancel(KEY)));
    JsonNode error = json(WorkerFrames.error("frame is not \"JSON\""));
    assertEquals("error", error.path("type").asText());
    assertEquals("frame is not \"JSON\"", error.path("message").asText());
    assertFalse(WorkerFrames.error("x").contains("\n"), "one compact line");
  }

  private static JsonNode json(String text) {
    try {
      return Json.MAPPER.readTree(text);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
