package io.gleitzeit.provider.test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.provider.TaskExecutor;
import io.gleitzeit.provider.TaskFailure;
import io.gleitzeit.provider.TaskKey;
import io.gleitzeit.provider.TaskRequest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The built-in {@code test} provider of SPEC §6, offered by every node so that workflows can be tried with
 * nothing installed: {@code test/echo}, {@code test/sleep}, {@code test/fail}, {@code test/flaky}.
 */
public final class TestExecutor implements TaskExecutor {

  public static final List<String> METHODS = List.of("test/echo", "test/sleep", "test/fail", "test/flaky");

  private final Map<TaskKey, CompletableFuture<JsonNode>> sleeping = new ConcurrentHashMap<>();

  @Override
  public CompletionStage<JsonNode> execute(TaskRequest request, Runnable started) {
    started.run();
    ObjectNode params = request.params();
    try {
      return switch (request.method()) {
        case "test/echo" -> CompletableFuture.completedFuture(params);
        case "test/sleep" -> sleep(request.key(), params);
        case "test/fail" -> CompletableFuture.failedFuture(new TaskFailure(
            params.path("message").asText("test/fail failed as asked"), params.path("retryable").asBoolean(true)));
        case "test/flaky" -> flaky(request.key(), params);
        default -> CompletableFuture.failedFuture(
            new TaskFailure("the test provider does not serve " + request.method(), false));
      };
    } catch (TaskFailure f) {
      return CompletableFuture.failedFuture(f);
    }
  }

  @Override
  public void cancel(TaskKey key) {
    CompletableFuture<JsonNode> timer = sleeping.remove(key);
    if (timer != null) {
      timer.completeExceptionally(new TaskFailure("cancelled", false));
    }
  }

  /** Sleeps without holding a thread: a delayed completion, not Thread.sleep. */
  private CompletionStage<JsonNode> sleep(TaskKey key, ObjectNode params) {
    JsonNode ms = params.get("ms");
    if (ms == null || !ms.isNumber() || ms.asLong() < 0) {
      throw new TaskFailure("test/sleep needs params.ms, a number of milliseconds >= 0", false);
    }
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    result.set("slept_ms", ms);
    CompletableFuture<JsonNode> done = new CompletableFuture<>();
    sleeping.put(key, done);
    CompletableFuture.delayedExecutor(ms.asLong(), TimeUnit.MILLISECONDS).execute(() -> {
      sleeping.remove(key);
      done.complete(result);
    });
    return done;
  }

  private static CompletionStage<JsonNode> flaky(TaskKey key, ObjectNode params) {
    int failTimes = params.path("fail_times").asInt(0);
    if (key.attempt() <= failTimes) {
      throw new TaskFailure("test/flaky fails attempt " + key.attempt() + " of " + failTimes, true);
    }
    ObjectNode result = JsonNodeFactory.instance.objectNode().put("attempt", key.attempt());
    result.set("value", params.get("value"));
    return CompletableFuture.completedFuture(result);
  }
}
