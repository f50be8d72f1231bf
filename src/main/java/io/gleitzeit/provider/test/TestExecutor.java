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
        case "test/fail" -> CompletableFuture.failedFuture(fail(params));
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

  /** The failure test/fail was asked for; its params checked like test/sleep's (a string "no" was retryable). */
  private static TaskFailure fail(ObjectNode params) {
    JsonNode message = params.get("message");
    JsonNode retryable = params.get("retryable");
    if (message != null && !message.isTextual() || retryable != null && !retryable.isBoolean()) {
      throw new TaskFailure("test/fail takes params.message, a string, and params.retryable, true or false", false);
    }
    return new TaskFailure(message == null ? "test/fail failed as asked" : message.asText(),
        retryable == null || retryable.asBoolean());
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
    JsonNode times = params.get("fail_times");
    if (times != null && !(times.isNumber() && times.canConvertToExactIntegral() && times.canConvertToInt()
        && times.asInt() >= 0)) {
      throw new TaskFailure("test/flaky needs params.fail_times, a whole number >= 0", false);
    }
    int failTimes = times == null ? 0 : times.asInt();
    if (key.attempt() <= failTimes) {
      throw new TaskFailure("test/flaky fails attempt " + key.attempt() + " of " + failTimes, true);
    }
    ObjectNode result = JsonNodeFactory.instance.objectNode().put("attempt", key.attempt());
    result.set("value", params.get("value"));
    return CompletableFuture.completedFuture(result);
  }
}
