package io.gleitzeit.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.typesafe.config.ConfigFactory;
import io.gleitzeit.domain.DefinitionParser;
import io.gleitzeit.domain.ParameterResolver;
import io.gleitzeit.domain.ParseResult;
import io.gleitzeit.domain.SourceFormat;
import io.gleitzeit.workflow.WorkflowEvent.TaskFailed;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.Test;

/** SPEC §7: a failure carrying Retry-After waits at least that long, whatever the retry policy says. */
class RetryAfterDecisionsTest {

  private static final Instant T0 = Instant.parse("2026-11-26T10:00:00.000Z");

  /** A workflow whose task {@code a} has been assigned its first attempt, with the given retry policy. */
  private static WorkflowState assigned(WorkflowDecisions decisions, String retry) {
    ParseResult parsed = new DefinitionParser().parse(("{'id': 'wf-1', 'tasks': [{'id': 'a', 'method': 'http/request',"
        + " 'retry': " + retry + "}]}").replace('\'', '"').getBytes(StandardCharsets.UTF_8), SourceFormat.JSON);
    WorkflowState state = WorkflowState.empty();
    state.apply(decisions.submit(((ParseResult.Valid) parsed).definition(), T0));
    state.apply(decisions.assign(state, "a", "http-1", T0));
    return state;
  }

  private static WorkflowDecisions decisions() {
    return new WorkflowDecisions(new ParameterResolver(1024), 10, () -> 0.5);
  }

  @Test
  void shouldWaitForRetryAfterWhenItIsLongerThanThePolicyDelay() {
    WorkflowDecisions decisions = decisions();
    WorkflowState state = assigned(decisions, "{'max_attempts': 3, 'backoff': 'fixed', 'base_delay': 0.1, 'max_delay': 1,"
        + " 'jitter': false}");
    TaskFailed failed = decisions.fail(state, "a", TaskError.ofProvider("HTTP 429", true, 5_000L), T0);
    assertEquals(new RetryPlan(2, 5_000, T0.plusSeconds(5)), failed.retry(), "beyond max_delay too");
  }

  @Test
  void shouldKeepThePolicyDelayWhenItIsLongerThanRetryAfter() {
    WorkflowDecisions decisions = decisions();
    WorkflowState state = assigned(decisions, "{'max_attempts': 3, 'backoff': 'fixed', 'base_delay': 10, 'jitter': false}");
    TaskFailed failed = decisions.fail(state, "a", TaskError.ofProvider("HTTP 503", true, 2_000L), T0);
    assertEquals(new RetryPlan(2, 10_000, T0.plusSeconds(10)), failed.retry());
    // jitter draws from the policy delay; Retry-After is a floor under the drawn delay
    WorkflowState jittered = assigned(decisions, "{'max_attempts': 3, 'backoff': 'fixed', 'base_delay': 10, 'jitter': true}");
    assertEquals(5_000, decisions.fail(jittered, "a", TaskError.ofProvider("x", true, null), T0).retry().delayMs());
    assertEquals(7_000, decisions.fail(jittered, "a", TaskError.ofProvider("x", true, 7_000L), T0).retry().delayMs());
  }

  @Test
  void shouldNotRetryANonRetryableFailureWhateverItsRetryAfter() {
    WorkflowDecisions decisions = decisions();
    WorkflowState state = assigned(decisions, "{'max_attempts': 3}");
    assertNull(decisions.fail(state, "a", TaskError.ofProvider("HTTP 429 too long", false, 1_000L), T0).retry());
  }

  @Test
  void shouldPersistRetryAfterInTheFailedEvent() {
    ActorTestKit kit = ActorTestKit.create(ConfigFactory.load("application-test"));
    try {
      WorkflowDecisions decisions = decisions();
      TaskFailed event = decisions.fail(assigned(decisions, "{'max_attempts': 2}"), "a",
          TaskError.ofProvider("HTTP 429", true, 3_000L), T0);
      Serialization serialization = SerializationExtension.get(Adapter.toClassic(kit.system()));
      var serializer = serialization.findSerializerFor(event);
      Object back = serialization.deserialize(serializer.toBinary(event), serializer.identifier(),
          Serializers.manifestFor(serializer, event)).get();
      assertEquals(event, back);
      assertEquals(3_000L, assertInstanceOf(TaskFailed.class, back).error().retryAfterMs());
    } finally {
      kit.shutdownTestKit();
    }
  }
}
