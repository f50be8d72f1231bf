package io.gleitzeit.provider.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.provider.TaskFailure;
import io.gleitzeit.provider.TaskKey;
import io.gleitzeit.provider.TaskRequest;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** The test provider's failing methods take their params as SPEC §6 gives them, and refuse what they cannot read. */
class TestExecutorTest {

  private final TestExecutor executor = new TestExecutor();

  private TaskFailure failureOf(String method, String params, int attempt) throws Exception {
    ObjectNode p = (ObjectNode) Json.MAPPER.readTree(params);
    var outcome = executor.execute(new TaskRequest(new TaskKey("wf", "t", attempt), method, p, null), () -> { })
        .toCompletableFuture();
    ExecutionException e = assertThrows(ExecutionException.class, outcome::get, params);
    return assertInstanceOf(TaskFailure.class, e.getCause());
  }

  @Test
  void failFailsWithItsMessageRetryableUnlessToldOtherwise() throws Exception {
    TaskFailure asked = failureOf("test/fail", "{\"message\": \"m\", \"retryable\": false}", 1);
    assertEquals("m", asked.getMessage());
    assertFalse(asked.retryable());
    assertTrue(failureOf("test/fail", "{}", 1).retryable());
  }

  @Test
  void failRefusesARetryableThatIsNotABoolean() throws Exception {
    for (String params : new String[] {"{\"retryable\": \"no\"}", "{\"retryable\": 0}", "{\"message\": 5}"}) {
      TaskFailure refused = failureOf("test/fail", params, 1);
      assertFalse(refused.retryable(), params);
      assertTrue(refused.getMessage().startsWith("test/fail takes params.message"), refused.getMessage());
    }
  }

  @Test
  void flakyFailsItsFirstAttemptsThenAnswersAndRefusesABadCount() throws Exception {
    assertTrue(failureOf("test/flaky", "{\"fail_times\": 2.0}", 2).retryable());
    JsonNode third = executor.execute(new TaskRequest(new TaskKey("wf", "t", 3), "test/flaky",
        (ObjectNode) Json.MAPPER.readTree("{\"fail_times\": 2, \"value\": 7}"), null), () -> { })
        .toCompletableFuture().get();
    assertEquals(7, third.path("value").asInt());
    for (String params : new String[] {"{\"fail_times\": \"2\"}", "{\"fail_times\": 1.5}", "{\"fail_times\": -1}"}) {
      TaskFailure refused = failureOf("test/flaky", params, 1);
      assertFalse(refused.retryable(), params);
      assertEquals("test/flaky needs params.fail_times, a whole number >= 0", refused.getMessage());
    }
  }
}
