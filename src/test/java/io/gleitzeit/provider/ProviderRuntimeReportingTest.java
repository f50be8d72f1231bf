package io.gleitzeit.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.gleitzeit.domain.Json;
import io.gleitzeit.provider.ProviderCommand.Finished;
import io.gleitzeit.provider.ProviderCommand.ReportGivenUp;
import io.gleitzeit.provider.RuntimeCommand.ExecuteTask;
import io.gleitzeit.workflow.WorkflowCommand;
import io.gleitzeit.workflow.WorkflowCommand.ReportTaskResult;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * How a provider runtime reports outcomes to workflows (SPEC §7): at least once, with retries; after its
 * last delivery it gives up and its provider entity records the report as a dead letter. Real time with a
 * short report timeout: the delays are the runtime's own backoff (400 ms after the first delivery).
 */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProviderRuntimeReportingTest {

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ConfigFactory.load("application-test")).build();

  private static final ProviderRuntime.Reporting REPORTING = new ProviderRuntime.Reporting(Duration.ofMillis(100), 2);
  private static final TaskKey KEY = new TaskKey("wf-1", "a", 1);
  private static final Duration QUIET = Duration.ofMillis(300);

  private TestProbe<WorkflowCommand> workflow;
  private TestProbe<ProviderCommand> entity;

  @BeforeEach
  void probes() {
    workflow = testKit.createTestProbe();
    entity = testKit.createTestProbe();
  }

  /** A runtime of provider p-1 whose executor answers every attempt at once with its params. */
  private ActorRef<ProviderRuntime.Message> runtime() {
    TaskExecutor echo = (request, started) -> {
      started.run();
      return CompletableFuture.<JsonNode>completedFuture(request.params());
    };
    TestProbe<WorkflowCommand> wf = workflow;
    TestProbe<ProviderCommand> pe = entity;
    return testKit.spawn(ProviderRuntime.external("p-1", echo, id -> wf.getRef(), id -> pe.getRef(), REPORTING));
  }

  private ReportTaskResult nextReport() {
    while (true) {
      WorkflowCommand message = workflow.receiveMessage();
      if (message instanceof ReportTaskResult report) {
        return report;
      }
    }
  }

  @Test
  void shouldGiveUpAReportAfterItsLastDeliveryAndHaveItRecordedAsADeadLetter() {
    ActorRef<ProviderRuntime.Message> runtime = runtime();
    runtime.tell(new ExecuteTask(KEY, "test/echo", Json.MAPPER.createObjectNode().put("x", 1), null));

    ReportTaskResult first = nextReport();
    ReportTaskResult second = nextReport();
    assertEquals(first.attempt(), second.attempt());
    assertEquals(first.result(), second.result(), "the same report, delivered again");

    ReportGivenUp givenUp = entity.expectMessageClass(ReportGivenUp.class);
    assertEquals(KEY, givenUp.key());
    assertEquals("the result of attempt 1 was not acknowledged by workflow wf-1 after 2 deliveries; last: no answer"
        + " within " + REPORTING.timeout().toMillis() + " ms", givenUp.reason(), "in words, no Java class names");
    entity.expectNoMessage(QUIET);
    workflow.expectNoMessage(QUIET);
  }

  @Test
  void shouldFreeTheSlotWithoutADeadLetterOnceADeliveryIsAcknowledged() {
    ActorRef<ProviderRuntime.Message> runtime = runtime();
    runtime.tell(new ExecuteTask(KEY, "test/echo", Json.MAPPER.createObjectNode().put("x", 1), null));

    nextReport(); // not acknowledged
    nextReport().replyTo().tell(Done.getInstance());

    Finished finished = entity.expectMessageClass(Finished.class);
    assertEquals(KEY, finished.key());
    assertEquals(ProviderEvent.TaskReleased.SUCCEEDED, finished.outcome());
    entity.expectNoMessage(QUIET);
  }

  /** A task whose params its executor refuses before it starts is refused, not failed, for its provider's health. */
  @Test
  void shouldFinishAnAttemptRefusedBeforeItStartedAsRefused() {
    TaskExecutor refusing = (request, started) -> CompletableFuture.failedFuture(
        new TaskFailure("params.ms must be a number", false)); // before started.run(), as executors check params
    TestProbe<WorkflowCommand> wf = workflow;
    TestProbe<ProviderCommand> pe = entity;
    ActorRef<ProviderRuntime.Message> runtime = testKit.spawn(ProviderRuntime.external("p-1", refusing,
        id -> wf.getRef(), id -> pe.getRef(), REPORTING));
    runtime.tell(new ExecuteTask(KEY, "test/sleep", Json.MAPPER.createObjectNode().put("ms", "soon"), null));

    nextReport().replyTo().tell(Done.getInstance());

    Finished finished = entity.expectMessageClass(Finished.class);
    assertEquals(ProviderEvent.TaskReleased.REFUSED, finished.outcome(), "refused before it began");
  }

  /** A result nested deeper than the engine can record fails the attempt, saying why, instead of being sent. */
  @Test
  void shouldFailAnAttemptWhoseResultNestsDeeperThanTheLimit() throws Exception {
    ActorRef<ProviderRuntime.Message> runtime = runtime();
    int levels = io.gleitzeit.domain.Limits.MAX_NESTING + 1;
    var params = (com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER.readTree(
        "{\"x\": ".repeat(levels) + "1" + "}".repeat(levels)); // echoed: a result 201 deep

    runtime.tell(new ExecuteTask(KEY, "test/echo", params, null));

    ReportTaskResult report = nextReport();
    assertEquals(null, report.result());
    assertEquals(new io.gleitzeit.workflow.TaskError("the result nests 201 levels deep (a result may nest at most 200)",
        false, io.gleitzeit.workflow.TaskError.PROVIDER), report.error());
  }

  /** A number beyond a double's range in a result fails the attempt: it would be substituted as "Infinity". */
  @Test
  void shouldFailAnAttemptWhoseResultHasANumberJsonCannotCarry() throws Exception {
    ActorRef<ProviderRuntime.Message> runtime = runtime();
    var params = (com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER.readTree(
        "{\"ok\": [1e308], \"items\": [{\"n\": 1}, {\"n\": -1e400}]}"); // echoed

    runtime.tell(new ExecuteTask(KEY, "test/echo", params, null));

    ReportTaskResult report = nextReport();
    assertEquals(null, report.result());
    assertEquals(new io.gleitzeit.workflow.TaskError("the result has a number beyond the range of a 64-bit double at "
        + "result.items[1].n (JSON has no infinity); send such a number as a string", false,
        io.gleitzeit.workflow.TaskError.PROVIDER), report.error());
  }

  /** A restarted provider entity asks its runtime which attempts it still holds: only those it runs are named. */
  @Test
  void shouldNameOnlyTheAskedAttemptsItHolds() {
    ActorRef<ProviderRuntime.Message> runtime = runtimeWithStartDelay(Duration.ZERO, new CompletableFuture<>());
    runtime.tell(new ExecuteTask(KEY, "test/echo", Json.MAPPER.createObjectNode(), null));
    TaskKey other = new TaskKey("wf-2", "b", 3);

    runtime.tell(new RuntimeCommand.ReportHeld(java.util.List.of(other, KEY), entity.getRef()));

    assertEquals(new ProviderCommand.RuntimeHolds(runtime.narrow(), java.util.List.of(KEY)),
        entity.expectMessageClass(ProviderCommand.RuntimeHolds.class));
  }

  /** A runtime whose executor starts each attempt at once and finishes it when the test completes {@code done}. */
  private ActorRef<ProviderRuntime.Message> runtimeWithStartDelay(Duration startedDelay,
                                                                  CompletableFuture<JsonNode> done) {
    TaskExecutor held = (request, started) -> {
      started.run();
      return done;
    };
    TestProbe<WorkflowCommand> wf = workflow;
    TestProbe<ProviderCommand> pe = entity;
    ProviderRuntime.Reporting reporting = new ProviderRuntime.Reporting(Duration.ofSeconds(3), 2,
        ProviderRuntime.ExecutionListener.NONE, startedDelay);
    return testKit.spawn(ProviderRuntime.external("p-1", held, id -> wf.getRef(), id -> pe.getRef(), reporting));
  }

  @Test
  void shouldReportTheStartOfAQuickAttemptOnlyWithItsOutcomeCarryingWhenItBegan() {
    CompletableFuture<JsonNode> done = new CompletableFuture<>();
    java.time.Instant before = java.time.Instant.now();
    runtimeWithStartDelay(Duration.ofSeconds(30), done)
        .tell(new ExecuteTask(KEY, "test/echo", Json.MAPPER.createObjectNode(), null));
    workflow.expectNoMessage(Duration.ofMillis(100)); // the start waits for the delay or the outcome
    done.complete(Json.MAPPER.createObjectNode().put("ok", true));

    WorkflowCommand message = workflow.receiveMessage();
    ReportTaskResult report = org.junit.jupiter.api.Assertions.assertInstanceOf(ReportTaskResult.class, message,
        "no separate start report: " + message);
    assertTrue(report.startedAt() != null && !report.startedAt().isBefore(before)
        && report.startedAt().isBefore(java.time.Instant.now()), "the start rides with the outcome: " + report);
  }

  @Test
  void shouldReportTheStartOfAnAttemptStillRunningAfterTheDelayWithWhenItBegan() {
    CompletableFuture<JsonNode> done = new CompletableFuture<>();
    java.time.Instant before = java.time.Instant.now();
    runtimeWithStartDelay(Duration.ofMillis(50), done)
        .tell(new ExecuteTask(KEY, "test/sleep", Json.MAPPER.createObjectNode(), null));

    WorkflowCommand.ReportTaskStarted started = workflow.expectMessageClass(WorkflowCommand.ReportTaskStarted.class);
    assertEquals(KEY.taskId(), started.taskId());
    assertTrue(!started.startedAt().isBefore(before), "the time it began, not when reported: " + started);
    done.complete(Json.MAPPER.createObjectNode());
    assertEquals(null, nextReport().startedAt(), "the start was reported already");
  }
}
