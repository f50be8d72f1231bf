package io.gleitzeit.provider.external;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.provider.TaskFailure;
import io.gleitzeit.provider.TaskKey;
import io.gleitzeit.provider.TaskRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The executor behind a worker connection, with the socket replaced by a list of sent frames. */
class WebSocketExecutorTest {

  private final List<String> sent = new ArrayList<>();
  private final WebSocketExecutor executor = new WebSocketExecutor(sent::add);
  private final TaskKey key = new TaskKey("wf-1", "a", 1);

  @Test
  void anAttemptIsAnExecuteFrameAndCompletesWithTheWorkersAnswer() throws Exception {
    AtomicInteger started = new AtomicInteger();
    CompletableFuture<JsonNode> outcome = executor.execute(
        new TaskRequest(key, "ext/echo", Json.MAPPER.createObjectNode().put("v", 1), null),
        started::incrementAndGet).toCompletableFuture();

    assertEquals(1, sent.size());
    assertEquals("task:execute", Json.MAPPER.readTree(sent.get(0)).path("type").asText());
    assertTrue(executor.started(key));
    assertTrue(executor.started(key), "a repeated task:started is still this attempt's");
    assertEquals(1, started.get(), "started is reported at most once");
    assertFalse(outcome.isDone());

    assertTrue(executor.completed(key, Json.MAPPER.createObjectNode().put("v", 1)));
    assertEquals(1, outcome.get().path("v").asInt());
    assertFalse(executor.completed(key, null), "answered already: no longer pending");
    assertEquals(0, executor.pendingCount());
  }

  @Test
  void aFailureCarriesMessageRetryableAndTheWorkersType() {
    CompletableFuture<JsonNode> outcome = executor.execute(new TaskRequest(key, "ext/fail",
        Json.MAPPER.createObjectNode(), 1000L), () -> {}).toCompletableFuture();
    assertTrue(executor.failed(key, "nope", false, "invalid_input"));
    ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, outcome::get);
    TaskFailure failure = assertInstanceOf(TaskFailure.class, e.getCause());
    assertEquals("nope", failure.getMessage());
    assertFalse(failure.retryable());
    assertEquals("invalid_input", failure.type());
  }

  @Test
  void answersForAttemptsItNeverSentAreNotItsOwn() {
    TaskKey other = new TaskKey("wf-1", "a", 2);
    assertFalse(executor.started(other));
    assertFalse(executor.completed(other, null));
    assertFalse(executor.failed(other, "m", true, null));
    assertTrue(sent.isEmpty());
  }

  @Test
  void cancelSendsACancelFrameAndDropsTheAttempt() throws Exception {
    CompletableFuture<JsonNode> outcome = executor.execute(new TaskRequest(key, "ext/sleep",
        Json.MAPPER.createObjectNode(), null), () -> {}).toCompletableFuture();
    executor.cancel(key);
    JsonNode cancel = Json.MAPPER.readTree(sent.get(1));
    assertEquals("task:cancel", cancel.path("type").asText());
    assertEquals(1, cancel.path("attempt").asInt());
    assertTrue(outcome.isCompletedExceptionally());
    assertFalse(executor.completed(key, null), "a late answer after cancel is not pending any more");
  }
}
