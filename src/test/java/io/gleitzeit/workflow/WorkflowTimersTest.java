package io.gleitzeit.workflow;

import io.gleitzeit.testing.MutableClock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.gleitzeit.domain.DefinitionParser;
import io.gleitzeit.domain.Json;
import io.gleitzeit.domain.ParameterResolver;
import io.gleitzeit.domain.ParseResult;
import io.gleitzeit.domain.SourceFormat;
import io.gleitzeit.domain.TaskState;
import io.gleitzeit.domain.WorkflowDefinition;
import io.gleitzeit.domain.WorkflowStatus;
import io.gleitzeit.events.EventPublisher;
import io.gleitzeit.provider.CoordinatorCommand;
import io.gleitzeit.provider.CoordinatorCommand.RequestAssignment;
import io.gleitzeit.provider.ProviderCommand;
import io.gleitzeit.provider.ProviderCommand.Dispatch;
import io.gleitzeit.provider.ProviderCommand.Release;
import io.gleitzeit.provider.TaskKey;
import io.gleitzeit.testing.Settled;
import io.gleitzeit.workflow.WorkflowCommand.Accepted;
import io.gleitzeit.workflow.WorkflowCommand.AssignmentGranted;
import io.gleitzeit.workflow.WorkflowCommand.ReportTaskResult;
import io.gleitzeit.workflow.WorkflowCommand.ReportTaskStarted;
import io.gleitzeit.workflow.WorkflowCommand.RetryDue;
import io.gleitzeit.workflow.WorkflowCommand.SubmitReply;
import io.gleitzeit.workflow.WorkflowEvent.ReportRejected;
import io.gleitzeit.workflow.WorkflowEvent.TaskFailed;
import io.gleitzeit.workflow.WorkflowEvent.TaskRetryReady;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The workflow entity's durable timers (SPEC §1, §3, §7) driven by {@link ManualTime}: retries wait their
 * backoff and run once, also after a restart; a timeout fails the attempt as retryable and stops it at its
 * provider; schedule_to_start_timeout fails a ready task nobody took. Nothing here injects the timer
 * commands: the entity's own timers fire, and the test clock the entity reads moves in step with them.
 */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkflowTimersTest {

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder()
      .withCustomConfig(ManualTime.config()
          .withFallback(EventSourcedBehaviorTestKit.config())
          .withFallback(ConfigFactory.load("application-test")))
      .build();

  private static final Instant T0 = Instant.parse("2026-11-26T10:00:00.000Z");
  /** How long a probe is watched to show that nothing arrives (real time: the actors run on real threads). */
  private static final Duration QUIET = Duration.ofMillis(150);
  private static final AtomicInteger IDS = new AtomicInteger();

  /** The clock the entity reads; moved together with the scheduler's manual time. */
  private MutableClock clock;
  private TestProbe<CoordinatorCommand> coordinator;
  private TestProbe<ProviderCommand> provider;
  /** Entities of earlier tests stay alive in this actor system (with their timers): a fresh id keeps them apart. */
  private String id;

  @BeforeEach
  void fresh() {
    clock = new MutableClock(T0);
    coordinator = testKit.createTestProbe();
    provider = testKit.createTestProbe();
    id = "wf-timers-" + IDS.incrementAndGet();
  }

  private EventSourcedBehaviorTestKit<WorkflowCommand, WorkflowEvent, WorkflowState> entity() {
    WorkflowDecisions decisions = new WorkflowDecisions(new ParameterResolver(1024), 10, () -> 0.5);
    TestProbe<ProviderCommand> providerProbe = provider;
    WorkflowEntity.Dependencies deps = new WorkflowEntity.Dependencies(coordinator.getRef(),
        p -> providerProbe.getRef(), EventPublisher.NONE, clock, decisions, Duration.ofDays(1));
    return EventSourcedBehaviorTestKit.create(testKit.system(), WorkflowEntity.create(id, deps, self -> { }));
  }

  /** Time passes for the entity's timers and its clock alike; the clock first, so a firing timer sees it. */
  private void pass(Duration d) {
    clock.advance(d);
    ManualTime.get(testKit.system()).timePasses(d);
  }

  private WorkflowDefinition definition(String json) {
    String text = json.replace("'", "\"").replace("$ID", id);
    ParseResult result = new DefinitionParser().parse(text.getBytes(StandardCharsets.UTF_8), SourceFormat.JSON);
    assertInstanceOf(ParseResult.Valid.class, result, result::toString);
    return ((ParseResult.Valid) result).definition();
  }

  /**
   * Submits the workflow and, for each task it asks a provider for, answers as a coordinator that has none free
   * would: the submission's write waits for those answers (WorkflowEntity.group), and the hold that ends the
   * wait otherwise is a timer, which under ManualTime runs out only when a test lets time pass.
   */
  private EventSourcedBehaviorTestKit<WorkflowCommand, WorkflowEvent, WorkflowState> submitted(String json) {
    var kit = entity();
    TestProbe<SubmitReply> submitter = testKit.createTestProbe();
    kit.runCommand(new WorkflowCommand.SubmitWorkflow(definition(json), submitter.getRef()));
    for (TaskRun task : kit.getState().taskRuns()) {
      if (task.state == TaskState.READY && task.requested) {
        kit.runCommand(new WorkflowCommand.AssignmentWaiting(task.id, task.attempt, "no provider free"));
      }
    }
    submitter.expectMessageClass(Accepted.class);
    return kit;
  }

  private TaskKey key(String taskId, int attempt) {
    return new TaskKey(id, taskId, attempt);
  }

  private void expectRequest(String taskId, int attempt) {
    assertEquals(key(taskId, attempt), coordinator.expectMessageClass(RequestAssignment.class).key());
  }

  /** Grants the attempt to provider test-1 and sees it dispatched there. */
  private void assign(EventSourcedBehaviorTestKit<WorkflowCommand, WorkflowEvent, WorkflowState> kit, String taskId,
                      int attempt) {
    settled(kit, new AssignmentGranted(taskId, attempt, "test-1"));
    assertEquals(key(taskId, attempt), provider.expectMessageClass(Dispatch.class).key());
  }

  private EventSourcedBehaviorTestKit.CommandResultWithReply<WorkflowCommand, WorkflowEvent, WorkflowState, Done> fail(
      EventSourcedBehaviorTestKit<WorkflowCommand, WorkflowEvent, WorkflowState> kit, String taskId, int attempt) {
    return kit.runCommand(replyTo -> new ReportTaskResult(taskId, attempt, "test-1", null,
        TaskError.ofProvider("flaky", true), replyTo));
  }

  private List<Object> journal(EventSourcedBehaviorTestKit<WorkflowCommand, WorkflowEvent, WorkflowState> kit) {
    return kit.persistenceTestKit().persistedInStorage(WorkflowEntity.persistenceIdOf(id).id());
  }

  /** Every message the probe receives until it has been quiet for {@link #QUIET}. */
  private static <T> List<T> drain(TestProbe<T> probe) {
    List<T> received = new java.util.ArrayList<>();
    while (true) {
      try {
        received.add(probe.receiveMessage(QUIET));
      } catch (AssertionError quiet) {
        return received;
      }
    }
  }

  private static Object last(List<Object> journal) {
    return journal.get(journal.size() - 1);
  }

  private static long count(List<Object> journal, Class<?> type) {
    return journal.stream().filter(type::isInstance).count();
  }

  // ---------------------------------------------------------------- lost dispatches

  @Test
  void shouldSendADispatchAgainUntilTheProviderReportsTheStartAndNeverAfter() {
    var kit = submitted("{'id': '$ID', 'tasks': [{'id': 'a', 'method': 'test/sleep', 'params': {'ms': 60000}}]}");
    expectRequest("a", 1);
    assign(kit, "a", 1);

    // Nothing heard of the attempt (the dispatch was lost with a node or a shard hand-off): sent again.
    pass(Duration.ofMillis(4_999));
    provider.expectNoMessage(QUIET);
    pass(Duration.ofMillis(1));
    Dispatch again = provider.expectMessageClass(Dispatch.class);
    assertEquals(key("a", 1), again.key());
    pass(Duration.ofSeconds(5));
    assertEquals(key("a", 1), provider.expectMessageClass(Dispatch.class).key(), "and again while unheard of");

    // Once its provider reports the start, the attempt is its provider's: no more dispatches.
    kit.runCommand(new WorkflowCommand.ReportTaskStarted("a", 1, "test-1"));
    assertEquals(TaskState.RUNNING, kit.getState().task("a").state);
    pass(Duration.ofSeconds(30));
    provider.expectNoMessage(QUIET);
  }

  @Test
  void shouldAskForAProviderAgainWhileNoGrantArrivesAndStopOnceGranted() {
    var kit = submitted("{'id': '$ID', 'tasks': [{'id': 'a', 'method': 'test/echo'}]}");
    expectRequest("a", 1);

    // The grant was lost (or none came): the same request again, which the coordinator answers idempotently.
    pass(Duration.ofSeconds(5));
    expectRequest("a", 1);
    assign(kit, "a", 1);
    pass(Duration.ofSeconds(30));
    coordinator.expectNoMessage(QUIET);
  }

  // ---------------------------------------------------------------- retries

  @Test
  void shouldRetryOnlyAfterTheExponentialBackoffAndOnceAfterARestart() {
    var kit = submitted("{'id': '$ID', 'tasks': [{'id': 'a', 'method': 'test/flaky', 'params': {'fail_times': 3},"
        + " 'retry': {'max_attempts': 4, 'backoff': 'exponential', 'base_delay': 2, 'max_delay': 60, 'jitter': false}}]}");
    expectRequest("a", 1);
    assign(kit, "a", 1);

    // Failed attempt 1: base_delay × 2^0 = 2 s.
    TaskFailed first = fail(kit, "a", 1).eventOfType(TaskFailed.class);
    assertEquals(new RetryPlan(2, 2_000, T0.plusSeconds(2)), first.retry());
    int written = journal(kit).size();

    pass(Duration.ofMillis(1_999));
    coordinator.expectNoMessage(QUIET);
    assertEquals(TaskState.RETRY_SCHEDULED, kit.getState().task("a").state, "1 ms before the retry is due");
    assertEquals(written, journal(kit).size(), "nothing written before the retry is due");

    pass(Duration.ofMillis(1));
    expectRequest("a", 2);
    assertEquals(TaskState.READY, kit.getState().task("a").state);
    TaskRetryReady ready = assertInstanceOf(TaskRetryReady.class, last(journal(kit)));
    assertEquals(2, ready.attempt());
    assertEquals(T0.plusSeconds(2), ready.at());

    // Failed attempt 2: base_delay × 2^1 = 4 s, from the moment of that failure.
    assign(kit, "a", 2);
    pass(Duration.ofMillis(500));
    Instant failedAt = clock.instant();
    TaskFailed second = fail(kit, "a", 2).eventOfType(TaskFailed.class);
    assertEquals(new RetryPlan(3, 4_000, failedAt.plusSeconds(4)), second.retry());

    pass(Duration.ofSeconds(3));
    coordinator.expectNoMessage(QUIET);

    // A restart (a crash, a move to another node) must re-arm the retry from the journal, for the time left.
    var restarted = kit.restart();
    assertEquals(TaskState.RETRY_SCHEDULED, restarted.state().task("a").state);
    assertEquals(failedAt.plusSeconds(4), restarted.state().task("a").retryAt);
    coordinator.expectNoMessage(QUIET);
    pass(Duration.ofMillis(999));
    coordinator.expectNoMessage(QUIET);
    assertEquals(TaskState.RETRY_SCHEDULED, kit.getState().task("a").state, "1 ms before the retry is due");

    pass(Duration.ofMillis(1));
    expectRequest("a", 3);
    assertEquals(3, kit.getState().task("a").attempt);

    // It fired once: no further attempt however long we wait (only attempt 3 asked for again while no grant
    // comes), and a late timer message changes nothing.
    pass(Duration.ofMinutes(5));
    for (CoordinatorCommand message : drain(coordinator)) {
      assertEquals(key("a", 3), ((RequestAssignment) message).key());
    }
    assertTrue(kit.runCommand(new RetryDue("a", 2)).hasNoEvents(), "a repeated RetryDue for attempt 2 is a no-op");
    List<Object> journal = journal(kit);
    assertEquals(2, count(journal, TaskRetryReady.class), "one TaskRetryReady per failure: " + journal);
    assertEquals(3, ((TaskRetryReady) last(journal)).attempt());
    assertEquals(failedAt.plusSeconds(4), ((TaskRetryReady) last(journal)).at());
  }

  // ---------------------------------------------------------------- timeout (start to close)

  @Test
  void shouldFailAnOverrunningAttemptAsRetryableStopItAtItsProviderAndRejectItsLateResult() {
    var kit = submitted("{'id': '$ID', 'tasks': [{'id': 'a', 'method': 'test/sleep', 'params': {'ms': 60000},"
        + " 'timeout': 5, 'retry': {'max_attempts': 2, 'backoff': 'fixed', 'base_delay': 1, 'jitter': false}}]}");
    expectRequest("a", 1);
    settled(kit, new AssignmentGranted("a", 1, "test-1"));
    Dispatch dispatch = provider.expectMessageClass(Dispatch.class);
    assertEquals(5_000L, dispatch.timeoutMs(), "the provider is told the timeout too");
    settled(kit, new ReportTaskStarted("a", 1, "test-1"));
    int written = journal(kit).size();

    pass(Duration.ofMillis(4_999));
    provider.expectNoMessage(QUIET);
    assertEquals(TaskState.RUNNING, kit.getState().task("a").state);
    assertEquals(written, journal(kit).size());

    pass(Duration.ofMillis(1));
    assertEquals(new Release(key("a", 1), true, true), provider.expectMessageClass(Release.class),
        "the provider is told to stop the attempt, a timeout that counts against its health");
    WorkflowState state = kit.getState();
    assertEquals(TaskState.RETRY_SCHEDULED, state.task("a").state);
    TaskFailed timedOut = assertInstanceOf(TaskFailed.class, last(journal(kit)));
    assertEquals(1, timedOut.attempt());
    assertEquals(TaskError.TIMEOUT, timedOut.error().type());
    assertTrue(timedOut.error().retryable(), "a timeout is a retryable failure");
    assertEquals("timed out after 5000 ms", timedOut.error().message());
    assertEquals(new RetryPlan(2, 1_000, T0.plusSeconds(6)), timedOut.retry());

    // The provider finishes attempt 1 after all: too late, recorded as rejected, and nothing changes.
    var late = kit.<Done>runCommand(replyTo -> new ReportTaskResult("a", 1, "test-1",
        Json.MAPPER.createObjectNode().put("slept_ms", 60000), null, replyTo));
    assertEquals(Done.getInstance(), late.reply(), "acknowledged, so the provider stops re-delivering it");
    ReportRejected rejected = late.eventOfType(ReportRejected.class);
    assertEquals(1, rejected.attempt());
    assertEquals("task is retry_scheduled", rejected.reason());
    assertEquals(TaskState.RETRY_SCHEDULED, late.state().task("a").state);
    assertNull(late.state().task("a").result);
    assertEquals(TaskError.TIMEOUT, late.state().task("a").error.type());

    pass(Duration.ofSeconds(1));
    expectRequest("a", 2);
    provider.expectNoMessage(QUIET);
  }

  @Test
  void shouldTimeOutAnAttemptThatNeverStartedWithoutInventingAStart() {
    var kit = submitted("{'id': '$ID', 'tasks': [{'id': 'a', 'method': 'test/sleep', 'params': {'ms': 60000},"
        + " 'timeout': 1, 'retry': {'max_attempts': 1}}]}");
    expectRequest("a", 1);
    settled(kit, new AssignmentGranted("a", 1, "test-1"));
    provider.expectMessageClass(Dispatch.class);

    pass(Duration.ofSeconds(1));
    // Dispatched again meanwhile (no start was reported), then told to stop once it timed out.
    provider.fishForMessage(Duration.ofSeconds(5), m -> m.equals(new Release(key("a", 1), true, true))
        ? FishingOutcomes.complete()
        : FishingOutcomes.continueAndIgnore());

    TaskFailed timedOut = assertInstanceOf(TaskFailed.class, last(journal(kit)));
    assertEquals(TaskError.TIMEOUT, timedOut.error().type());
    assertFalse(timedOut.impliedStart(), "the provider never said it started");
    assertEquals(1_000L, timedOut.durationMs(), "counted from the assignment");
    assertEquals(List.of("task:failed"), io.gleitzeit.events.WorkflowEnvelopes.of(timedOut).stream()
        .map(io.gleitzeit.events.EventEnvelope::eventType).filter(t -> t.startsWith("task:")).toList());
    WorkflowState state = kit.getState();
    assertEquals(TaskState.FAILED, state.task("a").state);
    assertNull(state.task("a").startedAt);
    assertEquals(1_000L, state.task("a").durationMs);
  }

  @Test
  void shouldTimeOutAnAttemptWhoseOutcomeArrivesAfterItsDeadlineBeforeItsTimer() {
    // After a node's loss the recovered entity hears the outcome buffered for it before its timers are due again;
    // here the clock moves past the deadline while the entity's timers do not (no scheduler tick).
    var kit = submitted("{'id': '$ID', 'tasks': [{'id': 'a', 'method': 'test/sleep', 'params': {'ms': 8000},"
        + " 'timeout': 3, 'retry': {'max_attempts': 1}}]}");
    expectRequest("a", 1);
    settled(kit, new AssignmentGranted("a", 1, "test-1"));
    provider.expectMessageClass(Dispatch.class);
    settled(kit, new ReportTaskStarted("a", 1, "test-1"));
    clock.advance(Duration.ofSeconds(8));

    var late = kit.<Done>runCommand(replyTo -> new ReportTaskResult("a", 1, "test-1",
        Json.MAPPER.createObjectNode().put("slept_ms", 8000), null, replyTo));
    assertEquals(Done.getInstance(), late.reply(), "acknowledged, so the provider stops re-delivering it");
    assertEquals(List.of(TaskFailed.class, ReportRejected.class),
        late.events().stream().map(Object::getClass).toList(), "timed out first, then the outcome refused");
    TaskFailed timedOut = late.eventOfType(TaskFailed.class);
    assertEquals(TaskError.TIMEOUT, timedOut.error().type());
    assertEquals("timed out after 3000 ms", timedOut.error().message());
    assertEquals("arrived after the attempt timed out (3000 ms)", ((ReportRejected) late.events().get(1)).reason());
    assertEquals(TaskState.FAILED, late.state().task("a").state);
    assertNull(late.state().task("a").result);
    assertEquals(new Release(key("a", 1), true, true), provider.expectMessageClass(Release.class),
        "the provider is told to stop the attempt, a timeout that counts against its health");
  }

  // ---------------------------------------------------------------- schedule_to_start_timeout

  @Test
  void shouldFailAReadyTaskNoProviderTookWithinItsScheduleToStartTimeout() {
    // 7 s, not a multiple of the 5 s re-request interval: both timers due at once would race.
    var kit = submitted("{'id': '$ID', 'schedule_to_start_timeout': 7, 'tasks': ["
        + "{'id': 'a', 'method': 'test/unknown'}, {'id': 'b', 'method': 'test/echo', 'dependencies': ['a']}]}");
    expectRequest("a", 1);
    kit.runCommand(new WorkflowCommand.AssignmentWaiting("a", 1, "no healthy provider serves test/unknown"));

    pass(Duration.ofMillis(6_999));
    expectRequest("a", 1); // asked again once while no grant came (at 5 s)
    WorkflowState waiting = kit.getState();
    assertEquals(TaskState.READY, waiting.task("a").state);
    assertEquals(WorkflowStatus.RUNNING, waiting.status);
    assertEquals(1, journal(kit).size(), "only the submission so far");

    pass(Duration.ofMillis(1));
    WorkflowState failed = kit.getState();
    assertEquals(TaskState.FAILED, failed.task("a").state);
    assertEquals(TaskState.CANCELLED, failed.task("b").state, "error strategy stop");
    assertEquals(WorkflowStatus.FAILED, failed.status);
    TaskFailed event = assertInstanceOf(TaskFailed.class, last(journal(kit)));
    assertNull(event.retry(), "never retried");
    assertEquals(TaskError.SCHEDULE_TO_START, event.error().type());
    assertEquals("not started within schedule_to_start_timeout of 7000 ms: no healthy provider serves test/unknown",
        event.error().message());
    assertEquals(T0.plusSeconds(7), event.at());
    pass(Duration.ofSeconds(30));
    coordinator.expectNoMessage(QUIET);
  }

  @Test
  void shouldNotFailATaskThatWasAssignedBeforeItsScheduleToStartTimeout() {
    var kit = submitted("{'id': '$ID', 'schedule_to_start_timeout': 5, 'tasks': ["
        + "{'id': 'a', 'method': 'test/sleep', 'params': {'ms': 60000}}]}");
    expectRequest("a", 1);
    pass(Duration.ofSeconds(3));
    assign(kit, "a", 1);
    int written = journal(kit).size();

    pass(Duration.ofSeconds(10));
    // The only messages to the provider: the attempt sent again while it is not heard of (see above).
    Dispatch again = provider.expectMessageClass(Dispatch.class);
    assertEquals(key("a", 1), again.key());
    assertEquals(TaskState.ASSIGNED, kit.getState().task("a").state);
    assertEquals(written, journal(kit).size(), "the timer found the task assigned and did nothing");
  }

  /** Runs a report without a reply and waits until its event is written (see {@link Settled}). */
  private Settled<WorkflowState> settled(EventSourcedBehaviorTestKit<WorkflowCommand, WorkflowEvent, WorkflowState> kit,
                                         WorkflowCommand command) {
    return Settled.<WorkflowCommand, WorkflowEvent, WorkflowState, WorkflowCommand.WorkflowReply>run(kit,
        WorkflowEntity.persistenceIdOf(id).id(), command, WorkflowCommand.GetWorkflow::new);
  }
}
