package io.gleitzeit.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.IntNode;
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
import io.gleitzeit.testing.MutableClock;
import io.gleitzeit.testing.RecordedWrites;
import io.gleitzeit.testing.Settled;
import io.gleitzeit.workflow.WorkflowCommand.Accepted;
import io.gleitzeit.workflow.WorkflowCommand.AlreadyExists;
import io.gleitzeit.workflow.WorkflowCommand.AssignmentGranted;
import io.gleitzeit.workflow.WorkflowCommand.AssignmentWaiting;
import io.gleitzeit.workflow.WorkflowCommand.ReattachAnswer;
import io.gleitzeit.workflow.WorkflowCommand.ReportTaskResult;
import io.gleitzeit.workflow.WorkflowCommand.ReportTaskStarted;
import io.gleitzeit.workflow.WorkflowCommand.RetryDue;
import io.gleitzeit.workflow.WorkflowCommand.SlotHeld;
import io.gleitzeit.workflow.WorkflowCommand.SubmitReply;
import io.gleitzeit.workflow.WorkflowEvent.ReportRejected;
import io.gleitzeit.workflow.WorkflowEvent.TaskAssigned;
import io.gleitzeit.workflow.WorkflowEvent.TaskCompleted;
import io.gleitzeit.workflow.WorkflowEvent.TaskFailed;
import io.gleitzeit.workflow.WorkflowEvent.TaskReassigned;
import io.gleitzeit.workflow.WorkflowEvent.TaskResolutionFailed;
import io.gleitzeit.workflow.WorkflowEvent.TaskRetryReady;
import io.gleitzeit.workflow.WorkflowEvent.TaskStarted;
import io.gleitzeit.workflow.WorkflowEvent.WorkflowSubmitted;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** The workflow entity through Pekko's EventSourcedBehaviorTestKit: replies, exact events, state, recovery. */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkflowEntityTest {

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder()
      .withCustomConfig(EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.load("application-test")))
      .build();

  private static final Instant T0 = Instant.parse("2026-11-26T10:00:00.000Z");

  private final MutableClock clock = new MutableClock(T0);
  private TestProbe<CoordinatorCommand> coordinator;
  private TestProbe<ProviderCommand> provider;
  private TestProbe<Object> passivations;


  @BeforeEach
  void probes() {
    coordinator = testKit.createTestProbe();
    provider = testKit.createTestProbe();
    passivations = testKit.createTestProbe();
    clock.set(T0);
  }

  private EventSourcedBehaviorTestKit<WorkflowCommand, WorkflowEvent, WorkflowState> entity(String workflowId) {
    return EventSourcedBehaviorTestKit.create(testKit.system(), behavior(workflowId));
  }

  private Behavior<WorkflowCommand> behavior(String workflowId) {
    WorkflowDecisions decisions = new WorkflowDecisions(new ParameterResolver(1024), 10, () -> 0.5);
    WorkflowEntity.Dependencies deps = new WorkflowEntity.Dependencies(coordinator.getRef(),
        id -> provider.getRef(), EventPublisher.NONE, clock, decisions, Duration.ofMinutes(10));
    return WorkflowEntity.create(workflowId, deps, self -> passivations.getRef().tell(self));
  }

  private static WorkflowDefinition definition(String json) {
    ParseResult result = new DefinitionParser().parse(json.replace('\'', '"').getBytes(StandardCharsets.UTF_8),
        SourceFormat.JSON);
    assertInstanceOf(ParseResult.Valid.class, result, () -> result.toString());
    return ((ParseResult.Valid) result).definition();
  }

  private static final String CHAIN = "{'id': 'wf-1', 'tasks': ["
      + "{'id': 'a', 'method': 'test/echo', 'params': {'x': 1}},"
      + "{'id': 'b', 'method': 'test/echo', 'params': {'v': '${a.result.x}', 'text': 'got ${a.result}'},"
      + " 'dependencies': ['a']}]}";

  private EventSourcedBehaviorTestKit<WorkflowCommand, WorkflowEvent, WorkflowState> submitted(String json) {
    var kit = entity(definition(json).id());
    var result = kit.<SubmitReply>runCommand(replyTo -> new WorkflowCommand.SubmitWorkflow(definition(json), replyTo));
    assertInstanceOf(Accepted.class, result.reply());
    return kit;
  }

  private RequestAssignment expectRequest(String taskId, int attempt) {
    RequestAssignment request = nextRequest();
    assertEquals(new TaskKey("wf-1", taskId, attempt), request.key());
    return request;
  }

  /** The next request for a provider; withdrawals of cancelled tasks' requests before it are skipped. */
  private RequestAssignment nextRequest() {
    CoordinatorCommand next = coordinator.receiveMessage();
    while (next instanceof CoordinatorCommand.WithdrawRequest) {
      next = coordinator.receiveMessage();
    }
    return assertInstanceOf(RequestAssignment.class, next);
  }

  private void grant(EventSourcedBehaviorTestKit<WorkflowCommand, WorkflowEvent, WorkflowState> kit, String taskId,
                     int attempt) {
    settled(kit, new AssignmentGranted(taskId, attempt, "test-1"));
  }

  private Done report(EventSourcedBehaviorTestKit<WorkflowCommand, WorkflowEvent, WorkflowState> kit, String taskId,
                      int attempt, Object result, TaskError error) {
    var r = kit.<Done>runCommand(replyTo -> new ReportTaskResult(taskId, attempt, "test-1",
        result == null ? null : Json.MAPPER.valueToTree(result), error, replyTo));
    return r.reply();
  }

  /** The attempt is asked for, granted and completed with an empty result. */
  private void runToCompletion(EventSourcedBehaviorTestKit<WorkflowCommand, WorkflowEvent, WorkflowState> kit,
                               String taskId, int attempt) {
    expectRequest(taskId, attempt);
    grant(kit, taskId, attempt);
    report(kit, taskId, attempt, java.util.Map.of(), null);
  }

  @Test
  void shouldPersistSubmissionReadyTheRootsAndRequestAProvider() {
    var kit = entity("wf-1");
    var result = kit.<SubmitReply>runCommand(replyTo -> new WorkflowCommand.SubmitWorkflow(definition(CHAIN), replyTo));

    assertEquals(new Accepted("wf-1"), result.reply());
    WorkflowSubmitted event = result.eventOfType(WorkflowSubmitted.class);
    assertEquals(List.of("a"), event.readied());
    assertEquals(List.of("a"), event.requested());
    assertEquals(1, event.firstSequence());
    assertEquals(2 + 2 + 1 + 1, event.envelopeCount());
    assertEquals(1, result.events().size());
    assertEquals(TaskState.READY, result.state().task("a").state);
    assertEquals(TaskState.PENDING, result.state().task("b").state);
    assertEquals(WorkflowStatus.RUNNING, result.state().status);
    expectRequest("a", 1);
  }

  @Test
  void shouldAnswerADuplicateSubmissionWithoutPersisting() {
    var kit = submitted(CHAIN);
    var again = kit.<SubmitReply>runCommand(replyTo -> new WorkflowCommand.SubmitWorkflow(definition(CHAIN), replyTo));
    assertEquals(new AlreadyExists("wf-1"), again.reply());
    assertTrue(again.hasNoEvents());
  }

  @Test
  void shouldDispatchOnGrantWithResolvedParameters() {
    var kit = submitted(CHAIN);
    expectRequest("a", 1);
    var result = settled(kit, new AssignmentGranted("a", 1, "test-1"));

    TaskAssigned assigned = result.eventOfType(TaskAssigned.class);
    assertEquals("test-1", assigned.providerId());
    assertEquals(7, assigned.firstSequence());
    assertEquals(TaskState.ASSIGNED, result.state().task("a").state);
    Dispatch execute = provider.expectMessageClass(Dispatch.class);
    assertEquals(new TaskKey("wf-1", "a", 1), execute.key());
    assertEquals("test/echo", execute.method());
    assertEquals(Json.MAPPER.createObjectNode().put("x", 1), execute.params());
  }

  @Test
  void shouldReadyAndRequestDependentsInTheSameEventAsTheCompletion() {
    var kit = submitted(CHAIN);
    expectRequest("a", 1);
    grant(kit, "a", 1);
    provider.expectMessageClass(Dispatch.class);
    settled(kit, new ReportTaskStarted("a", 1, "test-1"));
    clock.advance(Duration.ofMillis(25));

    var result = kit.<Done>runCommand(replyTo -> new ReportTaskResult("a", 1, "test-1",
        Json.MAPPER.createObjectNode().put("x", 1), null, replyTo));

    assertEquals(Done.getInstance(), result.reply());
    TaskCompleted completed = result.eventOfType(TaskCompleted.class);
    assertEquals(List.of("b"), completed.satisfiedDependents());
    assertEquals(List.of("b"), completed.consequences().readied());
    assertEquals(List.of("b"), completed.consequences().requested());
    assertNull(completed.consequences().outcome());
    assertEquals(25, completed.durationMs());
    assertEquals(TaskState.READY, result.state().task("b").state);
    expectRequest("b", 1);

    grant(kit, "b", 1);
    Dispatch execute = provider.expectMessageClass(Dispatch.class);
    assertEquals(IntNode.valueOf(1), execute.params().get("v"));
    assertEquals("got {\"x\":1}", execute.params().get("text").asText());
    var last = kit.<Done>runCommand(replyTo -> new ReportTaskResult("b", 1, "test-1",
        Json.MAPPER.createObjectNode(), null, replyTo));
    TaskCompleted end = last.eventOfType(TaskCompleted.class);
    assertTrue(end.impliedStart(), "b's start was never reported, so the completion records it");
    assertEquals(WorkflowStatus.COMPLETED, end.consequences().outcome());
    assertEquals(WorkflowStatus.COMPLETED, last.state().status);
  }

  @Test
  void shouldRecoverItsStateFromTheJournalAndResumePendingSteps() {
    var kit = submitted(CHAIN);
    expectRequest("a", 1);
    grant(kit, "a", 1);
    provider.expectMessageClass(Dispatch.class);

    var restarted = kit.restart();

    WorkflowState state = restarted.state();
    assertEquals(TaskState.ASSIGNED, state.task("a").state);
    assertEquals("test-1", state.task("a").providerId);
    assertEquals(12, state.lastSequence);
    Dispatch again = provider.expectMessageClass(Dispatch.class);
    assertEquals(new TaskKey("wf-1", "a", 1), again.key());
    assertEquals(Json.MAPPER.createObjectNode().put("x", 1), again.params(), "the resolved params, sent again");
  }

  @Test
  void shouldReassignAnAttemptItsProviderNoLongerHoldsAndFenceTheOldOne() {
    var kit = submitted(CHAIN);
    expectRequest("a", 1);
    grant(kit, "a", 1);

    var result = kit.runCommand(new ReattachAnswer("a", 1, "test-1", false, "provider test-1 missed 3 heartbeats"));

    TaskReassigned reassigned = result.eventOfType(TaskReassigned.class);
    assertEquals(2, reassigned.attempt());
    assertEquals(TaskState.READY, result.state().task("a").state);
    assertEquals(2, result.state().task("a").attempt);
    expectRequest("a", 2);

    var late = kit.<Done>runCommand(replyTo -> new ReportTaskResult("a", 1, "test-1",
        Json.MAPPER.createObjectNode().put("x", 9), null, replyTo));
    ReportRejected rejected = late.eventOfType(ReportRejected.class);
    assertEquals(1, rejected.attempt());
    assertEquals(TaskState.READY, late.state().task("a").state);
    assertNull(late.state().task("a").result);
  }

  @Test
  void shouldFreeTheSlotARestartedProviderHoldsOnlyWhenTheAttemptIsNoLongerWantedAndDispatchItAgainWhenItIs() {
    var kit = submitted(CHAIN);
    expectRequest("a", 1);
    grant(kit, "a", 1);
    Dispatch first = provider.expectMessageClass(Dispatch.class);
    TaskKey a1 = new TaskKey("wf-1", "a", 1);

    assertTrue(kit.runCommand(new SlotHeld("a", 1, "test-1")).hasNoEvents());
    assertEquals(first, provider.receiveMessage(), "the current attempt on that provider: wanted, so sent again");
    settled(kit, new ReportTaskStarted("a", 1, "test-1"));
    assertTrue(kit.runCommand(new SlotHeld("a", 1, "test-1")).hasNoEvents());
    assertEquals(first, provider.receiveMessage(), "also once started: the restarted provider has lost what it sent");

    kit.runCommand(new SlotHeld("a", 1, "test-2"));
    assertEquals(new Release(a1, true), provider.receiveMessage(), "the attempt is not on that provider");
    kit.runCommand(new SlotHeld("b", 1, "test-1"));
    assertEquals(new Release(new TaskKey("wf-1", "b", 1), true), provider.receiveMessage(), "not granted");

    assertEquals(Done.getInstance(), report(kit, "a", 1, java.util.Map.of("x", 1), null));
    kit.runCommand(new SlotHeld("a", 1, "test-1"));
    assertEquals(new Release(a1, true), provider.receiveMessage(), "its outcome is recorded");

    entity("wf-none").runCommand(new SlotHeld("t", 1, "test-1"));
    assertEquals(new Release(new TaskKey("wf-none", "t", 1), true), provider.receiveMessage(), "no such workflow");
  }

  @Test
  void shouldAcknowledgeARepeatedResultWithoutRecordingItTwice() {
    var kit = submitted(CHAIN);
    expectRequest("a", 1);
    grant(kit, "a", 1);
    assertEquals(Done.getInstance(), report(kit, "a", 1, java.util.Map.of("x", 1), null));

    var again = kit.<Done>runCommand(replyTo -> new ReportTaskResult("a", 1, "test-1",
        Json.MAPPER.createObjectNode().put("x", 1), null, replyTo));

    assertEquals(Done.getInstance(), again.reply());
    assertTrue(again.hasNoEvents());
  }

  @Test
  void shouldReleaseAGrantThatNoLongerApplies() {
    var kit = submitted(CHAIN);
    expectRequest("a", 1);
    var result = settled(kit, new AssignmentGranted("b", 1, "test-1"));
    assertTrue(result.hasNoEvents());
    assertEquals(new Release(new TaskKey("wf-1", "b", 1), false), provider.expectMessageClass(Release.class));
    provider.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void shouldScheduleARetryForARetryableFailureAndRunANewAttemptWhenDue() {
    var kit = submitted("{'id': 'wf-1', 'tasks': [{'id': 'a', 'method': 'test/flaky', 'params': {'fail_times': 1},"
        + " 'retry': {'max_attempts': 3, 'backoff': 'fixed', 'base_delay': 30, 'jitter': false}}]}");
    expectRequest("a", 1);
    grant(kit, "a", 1);

    var failed = kit.<Done>runCommand(replyTo -> new ReportTaskResult("a", 1, "test-1", null,
        TaskError.ofProvider("flaky", true), replyTo));

    TaskFailed event = failed.eventOfType(TaskFailed.class);
    assertEquals(new RetryPlan(2, 30_000, T0.plusSeconds(30)), event.retry());
    assertEquals(TaskState.RETRY_SCHEDULED, failed.state().task("a").state);

    clock.advance(Duration.ofSeconds(29));
    assertTrue(kit.runCommand(new RetryDue("a", 1)).hasNoEvents(), "a timer step before the due time only re-arms");
    clock.advance(Duration.ofSeconds(1));
    var due = kit.runCommand(new RetryDue("a", 1));
    TaskRetryReady ready = due.eventOfType(TaskRetryReady.class);
    assertEquals(2, ready.attempt());
    assertEquals(TaskState.READY, due.state().task("a").state);
    expectRequest("a", 2);
  }

  @Test
  void shouldFailTheWorkflowAndCancelTheRestUnderErrorStrategyStop() {
    var kit = submitted("{'id': 'wf-1', 'error_strategy': 'stop', 'tasks': ["
        + "{'id': 'a', 'method': 'test/fail', 'retry': {'max_attempts': 1}},"
        + "{'id': 's', 'method': 'test/sleep', 'params': {'ms': 60000}},"
        + "{'id': 'b', 'method': 'test/echo', 'dependencies': ['a']}]}");
    expectRequest("a", 1);
    expectRequest("s", 1);
    grant(kit, "a", 1);
    grant(kit, "s", 1);

    var result = kit.<Done>runCommand(replyTo -> new ReportTaskResult("a", 1, "test-1", null,
        TaskError.ofProvider("boom", true), replyTo));

    TaskFailed failed = result.eventOfType(TaskFailed.class);
    assertNull(failed.retry());
    assertEquals(List.of("s", "b"), failed.consequences().cancelled());
    assertEquals(WorkflowStatus.FAILED, failed.consequences().outcome());
    assertEquals(TaskState.CANCELLED, result.state().task("s").state);
    assertEquals(TaskState.CANCELLED, result.state().task("b").state);
    provider.expectMessageClass(Dispatch.class);
    provider.expectMessageClass(Dispatch.class);
    assertEquals(new Release(new TaskKey("wf-1", "s", 1), true), provider.expectMessageClass(Release.class));
  }

  @Test
  void shouldSkipDownstreamAndRunIndependentBranchesUnderErrorStrategyContinue() {
    var kit = submitted("{'id': 'wf-1', 'error_strategy': 'continue', 'tasks': ["
        + "{'id': 'a', 'method': 'test/fail', 'params': {'retryable': false}},"
        + "{'id': 'b', 'method': 'test/echo', 'dependencies': ['a']},"
        + "{'id': 'c', 'method': 'test/echo', 'dependencies': ['b']},"
        + "{'id': 'x', 'method': 'test/echo'}]}");
    expectRequest("a", 1);
    expectRequest("x", 1);
    grant(kit, "a", 1);
    grant(kit, "x", 1);

    var failed = kit.<Done>runCommand(replyTo -> new ReportTaskResult("a", 1, "test-1", null,
        TaskError.ofProvider("no", false), replyTo));
    TaskFailed event = failed.eventOfType(TaskFailed.class);
    assertEquals(List.of("b", "c"), event.consequences().skipped());
    assertNull(event.consequences().outcome(), "x still runs");

    var last = kit.<Done>runCommand(replyTo -> new ReportTaskResult("x", 1, "test-1",
        Json.MAPPER.createObjectNode(), null, replyTo));
    assertEquals(WorkflowStatus.FAILED, last.eventOfType(TaskCompleted.class).consequences().outcome());
    assertEquals(TaskState.SKIPPED, last.state().task("c").state);
    assertEquals(TaskState.COMPLETED, last.state().task("x").state);
  }

  @Test
  void shouldFailATaskWhosePlaceholderCannotBeResolvedWithoutRetry() {
    var kit = submitted(CHAIN.replace("${a.result.x}", "${a.result.missing}"));
    expectRequest("a", 1);
    grant(kit, "a", 1);
    report(kit, "a", 1, java.util.Map.of("x", 1), null);
    expectRequest("b", 1);

    var result = settled(kit, new AssignmentGranted("b", 1, "test-1"));

    TaskResolutionFailed failed = result.eventOfType(TaskResolutionFailed.class);
    assertEquals("${a.result.missing}", failed.placeholder());
    assertEquals(WorkflowStatus.FAILED, failed.consequences().outcome());
    assertEquals(TaskState.FAILED, result.state().task("b").state);
    assertEquals(1, result.state().task("b").attempt);
    provider.expectMessageClass(Dispatch.class);
    assertEquals(new Release(new TaskKey("wf-1", "b", 1), false), provider.expectMessageClass(Release.class));
  }

  @Test
  void shouldRequestOnlyAsManyTasksAsMaxParallelAllows() {
    var kit = submitted("{'id': 'wf-1', 'max_parallel': 2, 'tasks': ["
        + "{'id': 'a', 'method': 'test/echo'}, {'id': 'b', 'method': 'test/echo'},"
        + "{'id': 'c', 'method': 'test/echo', 'priority': 'urgent'}]}");
    expectRequest("c", 1);
    expectRequest("a", 1);
    coordinator.expectNoMessage(Duration.ofMillis(50));
    grant(kit, "c", 1);

    var done = kit.<Done>runCommand(replyTo -> new ReportTaskResult("c", 1, "test-1",
        Json.MAPPER.createObjectNode(), null, replyTo));

    assertEquals(List.of("b"), done.eventOfType(TaskCompleted.class).consequences().requested());
    expectRequest("b", 1);
  }

  @Test
  void shouldNameTheAttemptOfARetryThatMaxParallelHeldBackWhenASlotFrees() {
    var kit = submitted("{'id': 'wf-1', 'max_parallel': 1, 'tasks': ["
        + "{'id': 'a', 'method': 'test/flaky', 'retry': {'backoff': 'fixed', 'base_delay': 1, 'jitter': false}},"
        + "{'id': 'b', 'method': 'test/echo'}]}");
    expectRequest("a", 1);
    grant(kit, "a", 1);
    report(kit, "a", 1, null, TaskError.ofProvider("flaky", true));
    expectRequest("b", 1);
    grant(kit, "b", 1);
    clock.advance(Duration.ofSeconds(1));
    assertFalse(kit.runCommand(new RetryDue("a", 1)).eventOfType(TaskRetryReady.class).requested(),
        "b holds the one slot");

    var done = kit.<Done>runCommand(replyTo -> new ReportTaskResult("b", 1, "test-1",
        Json.MAPPER.createObjectNode(), null, replyTo));

    Consequences consequences = done.eventOfType(TaskCompleted.class).consequences();
    assertEquals(List.of("a"), consequences.requested());
    assertEquals(2, consequences.attemptOf("a"));
    var requested = io.gleitzeit.events.WorkflowEnvelopes.of(done.eventOfType(TaskCompleted.class)).stream()
        .filter(e -> e.eventType().equals("assignment:requested")).toList();
    assertEquals(1, requested.size());
    assertEquals(2, requested.get(0).payload().path("attempt").asInt(), requested.get(0).payload().toString());
    expectRequest("a", 2);
  }

  @Test
  void shouldLeaveMemoryWhenIdleOnlyOnceTheWorkflowIsNoLongerRunning() {
    var kit = submitted(CHAIN);
    expectRequest("a", 1);
    kit.runCommand(WorkflowCommand.Idle.INSTANCE);
    passivations.expectNoMessage(Duration.ofMillis(50));

    grant(kit, "a", 1);
    report(kit, "a", 1, java.util.Map.of("x", 1), null);
    grant(kit, "b", 1);
    report(kit, "b", 1, java.util.Map.of(), null);
    kit.runCommand(WorkflowCommand.Idle.INSTANCE);
    passivations.expectMessageClass(org.apache.pekko.actor.typed.ActorRef.class);
  }

  private WorkflowCommand.ControlReply cancel(
      EventSourcedBehaviorTestKit<WorkflowCommand, WorkflowEvent, WorkflowState> kit) {
    return kit.<WorkflowCommand.ControlReply>runCommand(r -> new WorkflowCommand.CancelWorkflow("test", r)).reply();
  }

  private EventSourcedBehaviorTestKit.CommandResultWithReply<WorkflowCommand, WorkflowEvent, WorkflowState,
      WorkflowCommand.ControlReply> retry(EventSourcedBehaviorTestKit<WorkflowCommand, WorkflowEvent, WorkflowState> kit,
                                          String taskId) {
    return kit.runCommand(r -> new WorkflowCommand.RetryTask(taskId, r));
  }

  /** A cancelled task that waits for a provider slot has its request withdrawn; pending tasks were never asked. */
  @Test
  void shouldWithdrawTheRequestOfATaskCancelledWhileItWaitsForASlot() {
    var kit = submitted(CHAIN);
    expectRequest("a", 1);

    assertEquals(WorkflowCommand.ControlReply.Outcome.DONE, cancel(kit).outcome());

    assertEquals(new CoordinatorCommand.WithdrawRequest(new TaskKey("wf-1", "a", 1)), coordinator.receiveMessage());
    coordinator.expectNoMessage(Duration.ofMillis(50)); // b was pending: never asked for, nothing to withdraw
  }

  @Test
  void shouldCancelEveryUnfinishedTaskStopTheRunningOnesAndRejectLateResults() {
    var kit = submitted(CHAIN);
    expectRequest("a", 1);
    grant(kit, "a", 1);
    provider.expectMessageClass(Dispatch.class);

    var result = kit.<WorkflowCommand.ControlReply>runCommand(r -> new WorkflowCommand.CancelWorkflow("test", r));

    assertEquals(WorkflowCommand.ControlReply.Outcome.DONE, result.reply().outcome());
    WorkflowEvent.WorkflowCancelled event = result.eventOfType(WorkflowEvent.WorkflowCancelled.class);
    assertEquals(List.of("a", "b"), event.cancelled());
    assertEquals(java.util.Map.of("a", "test-1"), event.cancelledOn(), "a's task:cancelled names its provider");
    assertEquals(WorkflowStatus.CANCELLED, result.state().status);
    assertEquals(new Release(new TaskKey("wf-1", "a", 1), true), provider.expectMessageClass(Release.class));
    assertEquals(WorkflowCommand.ControlReply.Outcome.DONE, cancel(kit).outcome(), "idempotent");

    var late = kit.<Done>runCommand(replyTo -> new ReportTaskResult("a", 1, "test-1",
        Json.MAPPER.createObjectNode(), null, replyTo));
    assertInstanceOf(ReportRejected.class, late.events().get(0));
    assertEquals(TaskState.CANCELLED, late.state().task("a").state);
  }

  @Test
  void shouldRefuseToCancelAFinishedWorkflow() {
    var kit = submitted("{'id': 'wf-1', 'tasks': [{'id': 'a', 'method': 'test/echo'}]}");
    runToCompletion(kit, "a", 1);
    assertEquals(WorkflowCommand.ControlReply.Outcome.CONFLICT, cancel(kit).outcome());
  }

  @Test
  void shouldRetryAFailedTaskByHandReopenItsDownstreamAndRunTheWorkflowAgain() {
    var kit = submitted("{'id': 'wf-1', 'error_strategy': 'stop', 'tasks': ["
        + "{'id': 'a', 'method': 'test/fail', 'retry': {'max_attempts': 1}},"
        + "{'id': 's', 'method': 'test/echo'},"
        + "{'id': 'b', 'method': 'test/echo', 'dependencies': ['a']}]}");
    expectRequest("a", 1);
    expectRequest("s", 1);
    grant(kit, "a", 1);
    report(kit, "a", 1, null, TaskError.ofProvider("boom", true));
    assertEquals(WorkflowStatus.FAILED, kit.getState().status);

    var result = retry(kit, "a");

    assertEquals(WorkflowCommand.ControlReply.Outcome.DONE, result.reply().outcome());
    WorkflowEvent.TaskRetriedManually event = result.eventOfType(WorkflowEvent.TaskRetriedManually.class);
    assertEquals(2, event.attempt());
    assertTrue(event.workflowReopened());
    assertEquals(io.gleitzeit.events.WorkflowEnvelopes.deadLetterId("wf-1", "a", 1), event.requeuedDeadLetter(),
        "the failed attempt's dead letter leaves the queue");
    // s had been asked for (never granted) when the failure cancelled it: a grant for attempt 1 may still come.
    assertEquals(List.of(new WorkflowEvent.TaskRetriedManually.Reopened("s", 2, true),
        new WorkflowEvent.TaskRetriedManually.Reopened("b", 1, false)), event.reopened());
    assertEquals(WorkflowStatus.RUNNING, result.state().status);
    assertEquals(TaskState.READY, result.state().task("a").state);
    assertEquals(TaskState.PENDING, result.state().task("b").state);
    assertEquals(0, result.state().task("a").failures);
    expectRequest("a", 2);
    expectRequest("s", 2);

    var lateGrant = settled(kit, new AssignmentGranted("s", 1, "test-1"));
    assertTrue(lateGrant.hasNoEvents(), "the grant of the cancelled attempt does not fit the new one");
    Release release = new Release(new TaskKey("wf-1", "s", 1), false);
    provider.fishForMessage(Duration.ofSeconds(5), m -> m.equals(release) ? FishingOutcomes.complete()
        : FishingOutcomes.continueAndIgnore());
    assertEquals(TaskState.READY, kit.getState().task("s").state);
    grant(kit, "a", 2);
    report(kit, "a", 2, java.util.Map.of(), null);
    expectRequest("b", 1);
    grant(kit, "s", 2);
    report(kit, "s", 2, java.util.Map.of(), null);
    grant(kit, "b", 1);
    report(kit, "b", 1, java.util.Map.of(), null);
    assertEquals(WorkflowStatus.COMPLETED, kit.getState().status);
  }

  @Test
  void shouldRefuseASecondRequeueOfADeadLetterOnceItsTaskHasFailedAgain() {
    var kit = submitted("{'id': 'wf-1', 'tasks': [{'id': 'a', 'method': 'test/fail', 'retry': {'max_attempts': 1}}]}");
    expectRequest("a", 1);
    grant(kit, "a", 1);
    report(kit, "a", 1, null, TaskError.ofProvider("boom", false));
    String letter = io.gleitzeit.events.WorkflowEnvelopes.deadLetterId("wf-1", "a", 1);
    var first = kit.<WorkflowCommand.ControlReply>runCommand(r -> new WorkflowCommand.RequeueDeadLetter("a", letter, r));
    assertEquals(WorkflowCommand.ControlReply.Outcome.DONE, first.reply().outcome());
    expectRequest("a", 2);
    grant(kit, "a", 2);
    report(kit, "a", 2, null, TaskError.ofProvider("boom again", false));
    assertEquals(TaskState.FAILED, kit.getState().task("a").state);

    // Two requeues of the letter passed the queue's check together; the second reaches the workflow now.
    var second = kit.<WorkflowCommand.ControlReply>runCommand(r -> new WorkflowCommand.RequeueDeadLetter("a", letter, r));

    assertEquals(WorkflowCommand.ControlReply.Outcome.CONFLICT, second.reply().outcome(), second.reply().message());
    assertTrue(second.reply().message().contains("already requeued"), second.reply().message());
    assertTrue(second.hasNoEvents(), "the task does not run a third time");
    var restarted = kit.restart();
    assertTrue(restarted.state().requeuedDeadLetters.contains(letter), "known again after a replay");
  }

  /** Under stop, a fails for good while s runs: s and b (after a) are cancelled, the workflow fails. */
  private EventSourcedBehaviorTestKit<WorkflowCommand, WorkflowEvent, WorkflowState> failedWhileSRan() {
    var kit = submitted("{'id': 'wf-1', 'error_strategy': 'stop', 'tasks': ["
        + "{'id': 'a', 'method': 'test/fail', 'retry': {'max_attempts': 1}},"
        + "{'id': 's', 'method': 'test/sleep'},"
        + "{'id': 'b', 'method': 'test/echo', 'dependencies': ['a']}]}");
    expectRequest("a", 1);
    expectRequest("s", 1);
    grant(kit, "a", 1);
    grant(kit, "s", 1);
    var failure = kit.<Done>runCommand(replyTo -> new ReportTaskResult("a", 1, "test-1", null,
        TaskError.ofProvider("boom", false), replyTo));
    assertEquals(java.util.Map.of("s", "test-1"), failure.eventOfType(WorkflowEvent.TaskFailed.class).consequences()
        .cancelledOn(), "s ran on test-1 when the failure cancelled it; b had no attempt");
    WorkflowState failed = kit.getState();
    assertEquals(WorkflowStatus.FAILED, failed.status);
    assertEquals(List.of(TaskState.FAILED, TaskState.CANCELLED, TaskState.CANCELLED),
        List.of(failed.task("a").state, failed.task("s").state, failed.task("b").state));
    return kit;
  }

  @Test
  void shouldRetryACancelledTaskWithoutReopeningWhatWaitsForAFailedOneAndFailTheWorkflowAgain() {
    var kit = failedWhileSRan();

    var result = retry(kit, "s");
    assertEquals(WorkflowCommand.ControlReply.Outcome.DONE, result.reply().outcome());
    WorkflowEvent.TaskRetriedManually event = result.eventOfType(WorkflowEvent.TaskRetriedManually.class);
    assertEquals(2, event.attempt(), "s ran an attempt before it was cancelled");
    assertNull(event.requeuedDeadLetter(), "a cancelled task has no dead letter");
    assertEquals(List.of(), event.reopened(), "b waits for a, which stays failed: it could never run");
    assertEquals(TaskState.CANCELLED, result.state().task("b").state);
    expectRequest("s", 2);

    grant(kit, "s", 2);
    report(kit, "s", 2, java.util.Map.of(), null);
    WorkflowState after = kit.getState();
    assertEquals(WorkflowStatus.FAILED, after.status, "a is still failed: the workflow ends failed again");
    assertEquals(TaskState.COMPLETED, after.task("s").state);
  }

  @Test
  void shouldRunACancelledTaskRetriedByHandEvenWhenItsDependencyFailedAndFailTheWorkflowAgain() {
    var kit = failedWhileSRan();

    // SPEC §3: a manual retry always runs; b runs on what a left (b reads nothing of it here).
    var result = retry(kit, "b");
    assertEquals(WorkflowCommand.ControlReply.Outcome.DONE, result.reply().outcome());
    WorkflowEvent.TaskRetriedManually event = result.eventOfType(WorkflowEvent.TaskRetriedManually.class);
    assertEquals(1, event.attempt(), "b was cancelled before it was ever asked for: its first attempt");
    assertEquals(List.of(new WorkflowEvent.TaskRetriedManually.Reopened("s", 2, true)), event.reopened(),
        "under stop, what the failure cancelled runs again with it");
    assertEquals(java.util.Set.of(new TaskKey("wf-1", "b", 1), new TaskKey("wf-1", "s", 2)),
        java.util.Set.of(nextRequest().key(), nextRequest().key()));

    grant(kit, "b", 1);
    report(kit, "b", 1, java.util.Map.of(), null);
    grant(kit, "s", 2);
    report(kit, "s", 2, java.util.Map.of(), null);
    WorkflowState after = kit.getState();
    assertEquals(WorkflowStatus.FAILED, after.status, "a is still failed");
    assertEquals(TaskState.COMPLETED, after.task("b").state);
  }

  @Test
  void shouldLeaveADependentThatCompletedAfterAManualRetryAloneWhenItsDependencyIsRetriedAndCompletes() {
    var kit = failedWhileSRan();
    retry(kit, "b");
    expectRequestsOf("b", 1, "s", 2);
    grant(kit, "b", 1);
    report(kit, "b", 1, java.util.Map.of("done", true), null);
    grant(kit, "s", 2);
    report(kit, "s", 2, java.util.Map.of(), null);
    assertEquals(WorkflowStatus.FAILED, kit.getState().status, "a is still failed");

    TaskCompleted completed = retryAAndComplete(kit);

    assertEquals(List.of(), completed.consequences().readied(), "b completed already: it does not run again");
    assertEquals(WorkflowStatus.COMPLETED, completed.consequences().outcome());
    WorkflowState after = kit.getState();
    assertEquals(WorkflowStatus.COMPLETED, after.status);
    assertEquals(TaskState.COMPLETED, after.task("b").state);
    assertEquals(1, after.task("b").attempt);
  }

  @Test
  void shouldLeaveADependentRunningAfterAManualRetryAloneWhenItsDependencyIsRetriedAndCompletes() {
    var kit = failedWhileSRan();
    retry(kit, "b");
    expectRequestsOf("b", 1, "s", 2);
    grant(kit, "b", 1);
    settled(kit, new ReportTaskStarted("b", 1, "test-1", clock.instant()));

    TaskCompleted completed = retryAAndComplete(kit);

    assertEquals(List.of(), completed.consequences().readied(), "b runs already: it is not made ready again");
    assertEquals(TaskState.RUNNING, kit.getState().task("b").state);
    clock.advance(Duration.ofSeconds(3));
    report(kit, "b", 1, java.util.Map.of(), null);
    assertEquals(TaskState.COMPLETED, kit.getState().task("b").state);
    assertEquals(3000L, kit.getState().task("b").durationMs, "one attempt, timed from its one start");
  }

  @Test
  void shouldLeaveADependentThatFailedAfterAManualRetryFailedWhenItsDependencyIsRetriedAndCompletes() {
    var kit = failedWhileSRan();
    retry(kit, "b");
    expectRequestsOf("b", 1, "s", 2);
    grant(kit, "s", 2);
    report(kit, "s", 2, java.util.Map.of(), null);
    grant(kit, "b", 1);
    report(kit, "b", 1, null, TaskError.ofProvider("b fails on its own", false));

    TaskCompleted completed = retryAAndComplete(kit);

    assertEquals(List.of(), completed.consequences().readied(), "a failed task runs again only when retried");
    assertEquals(WorkflowStatus.FAILED, completed.consequences().outcome(), "b is still failed");
    assertEquals(TaskState.FAILED, kit.getState().task("b").state);
    assertEquals(1, kit.getState().task("b").attempt);
    assertEquals(2, retry(kit, "b").eventOfType(WorkflowEvent.TaskRetriedManually.class).attempt());
  }

  /** Retries the failed task a by hand and reports its new attempt complete: what its dependents do is decided. */
  private TaskCompleted retryAAndComplete(
      EventSourcedBehaviorTestKit<WorkflowCommand, WorkflowEvent, WorkflowState> kit) {
    retry(kit, "a");
    expectRequest("a", 2);
    grant(kit, "a", 2);
    return settled(kit, new ReportTaskResult("a", 2, "test-1", Json.MAPPER.createObjectNode(), null,
        testKit.<Done>createTestProbe().getRef())).eventOfType(TaskCompleted.class);
  }

  /** Two requests for a provider, in either order. */
  private void expectRequestsOf(String task1, int attempt1, String task2, int attempt2) {
    assertEquals(java.util.Set.of(new TaskKey("wf-1", task1, attempt1), new TaskKey("wf-1", task2, attempt2)),
        java.util.Set.of(nextRequest().key(), nextRequest().key()));
  }

  @Test
  void shouldRetryATaskOfACancelledWorkflowReopeningWhatTheCancellationStopped() {
    var kit = submitted(CHAIN);
    expectRequest("a", 1);
    grant(kit, "a", 1);
    provider.expectMessageClass(Dispatch.class);
    assertEquals(WorkflowCommand.ControlReply.Outcome.DONE, cancel(kit).outcome());

    var result = retry(kit, "a");
    assertEquals(WorkflowCommand.ControlReply.Outcome.DONE, result.reply().outcome());
    WorkflowEvent.TaskRetriedManually event = result.eventOfType(WorkflowEvent.TaskRetriedManually.class);
    assertEquals(WorkflowStatus.CANCELLED, event.reopenedFrom());
    assertEquals(2, event.attempt());
    assertEquals(List.of(new WorkflowEvent.TaskRetriedManually.Reopened("b", 1, false)), event.reopened());
    assertEquals(WorkflowStatus.RUNNING, result.state().status);
    expectRequest("a", 2);

    grant(kit, "a", 2);
    report(kit, "a", 2, java.util.Map.of("x", 1), null);
    runToCompletion(kit, "b", 1);
    assertEquals(WorkflowStatus.COMPLETED, kit.getState().status);
  }

  /** Under continue, b fails for good while c runs: d (after b and c) is skipped, the workflow runs on. */
  private static final String B_FAILS_WHILE_C_RUNS = "{'id': 'wf-1', 'error_strategy': 'continue', 'tasks': ["
      + "{'id': 'a', 'method': 'test/echo'},"
      + "{'id': 'b', 'method': 'test/fail', 'dependencies': ['a'], 'retry': {'max_attempts': 1}},"
      + "{'id': 'c', 'method': 'test/sleep', 'dependencies': ['a']},"
      + "{'id': 'd', 'method': 'test/echo', 'dependencies': ['b', 'c']}]}";

  /** {@link #B_FAILS_WHILE_C_RUNS} under {@code errorStrategy}, run until b failed for good while c runs. */
  private EventSourcedBehaviorTestKit<WorkflowCommand, WorkflowEvent, WorkflowState> bFailedWhileCRuns(
      String errorStrategy) {
    var kit = submitted(B_FAILS_WHILE_C_RUNS.replace("continue", errorStrategy));
    runToCompletion(kit, "a", 1);
    expectRequestsOf("b", 1, "c", 1);
    grant(kit, "b", 1);
    grant(kit, "c", 1);
    report(kit, "b", 1, null, TaskError.ofProvider("boom", false));
    return kit;
  }

  @Test
  void shouldReopenADownstreamTaskWhoseOtherDependencyStillRunsAndRunItOnceBothComplete() {
    var kit = bFailedWhileCRuns("continue");
    assertEquals(TaskState.SKIPPED, kit.getState().task("d").state);

    var result = retry(kit, "b");

    // d waits for c, which runs: it was left skipped for good, and the workflow completed without it.
    assertEquals(List.of(new WorkflowEvent.TaskRetriedManually.Reopened("d", 1, false)),
        result.eventOfType(WorkflowEvent.TaskRetriedManually.class).reopened());
    assertEquals(TaskState.PENDING, result.state().task("d").state);
    runToCompletion(kit, "b", 2);
    report(kit, "c", 1, java.util.Map.of(), null);
    expectRequest("d", 1);
    assertEquals(WorkflowStatus.RUNNING, kit.getState().status);
    grant(kit, "d", 1);
    report(kit, "d", 1, java.util.Map.of(), null);
    assertEquals(WorkflowStatus.COMPLETED, kit.getState().status);
  }

  @Test
  void shouldReopenUnderStopADownstreamTaskWhoseOtherDependencyRunsAgainAfterARetryOfItsOwn() {
    var kit = bFailedWhileCRuns("stop");
    assertEquals(WorkflowStatus.FAILED, kit.getState().status, "c and d cancelled");

    assertEquals(List.of(), retry(kit, "c").eventOfType(WorkflowEvent.TaskRetriedManually.class).reopened(),
        "d waits for b, which stays failed");
    expectRequest("c", 2);
    var result = retry(kit, "b");

    assertEquals(List.of(new WorkflowEvent.TaskRetriedManually.Reopened("d", 1, false)),
        result.eventOfType(WorkflowEvent.TaskRetriedManually.class).reopened(), "c runs again: d can run after it");
    expectRequest("b", 2);
    grant(kit, "c", 2);
    report(kit, "c", 2, java.util.Map.of(), null);
    grant(kit, "b", 2);
    report(kit, "b", 2, java.util.Map.of(), null);
    runToCompletion(kit, "d", 1);
    assertEquals(WorkflowStatus.COMPLETED, kit.getState().status);
  }

  @Test
  void shouldHaveARetriedTaskWaitForADependencyTheRetryReopens() {
    var kit = submitted("{'id': 'wf-1', 'tasks': [{'id': 'c', 'method': 'test/sleep'},"
        + "{'id': 'd', 'method': 'test/echo', 'params': {'v': '${c.result.slept_ms}'}, 'dependencies': ['c']}]}");
    expectRequest("c", 1);
    grant(kit, "c", 1);
    provider.expectMessageClass(Dispatch.class);
    cancel(kit);

    var result = retry(kit, "d");

    // d ran at once beside c's new attempt, on c's result: null (resolution failed, the workflow failed).
    WorkflowEvent.TaskRetriedManually event = result.eventOfType(WorkflowEvent.TaskRetriedManually.class);
    assertTrue(event.waitsForDependencies());
    assertEquals(List.of(new WorkflowEvent.TaskRetriedManually.Reopened("c", 2, true)), event.reopened());
    assertEquals(List.of("c"), event.requested());
    assertEquals(TaskState.PENDING, result.state().task("d").state);
    assertEquals(1, result.state().task("d").attempt, "d was never asked for: its first attempt");
    assertTrue(result.reply().message().contains("once the dependencies it reopened have finished"),
        result.reply().message());
    expectRequest("c", 2);
    grant(kit, "c", 2);
    report(kit, "c", 2, java.util.Map.of("slept_ms", 5), null);
    expectRequest("d", 1);
    grant(kit, "d", 1);
    Dispatch dispatch = (Dispatch) provider.fishForMessage(Duration.ofSeconds(5),
        m -> m instanceof Dispatch x && x.key().taskId().equals("d") ? FishingOutcomes.complete()
            : FishingOutcomes.continueAndIgnore()).get(0);
    assertEquals(5, dispatch.params().path("v").asInt());
    report(kit, "d", 1, java.util.Map.of(), null);
    assertEquals(WorkflowStatus.COMPLETED, kit.getState().status);
    assertEquals(TaskState.COMPLETED, kit.restart().state().task("d").state, "the same after a replay");
  }

  /**
   * d after a (failed) and c (cancelled by a's failure): retried by hand, d waits for c, which its retry reopens,
   * and then runs on what a left (round 15: it ran at once beside c, on c's cancelled attempt's nothing; round 14:
   * it waited in pending for good, the workflow running).
   */
  @Test
  void shouldHaveARetriedTaskWaitForWhatItsRetryReopensAndRunOnWhatAFailedDependencyLeft() {
    var kit = submitted("{'id': 'wf-1', 'tasks': [{'id': 'a', 'method': 'test/fail', 'retry': {'max_attempts': 1}},"
        + "{'id': 'c', 'method': 'test/sleep'}, {'id': 'd', 'method': 'test/echo', 'dependencies': ['a', 'c']}]}");
    expectRequestsOf("a", 1, "c", 1);
    grant(kit, "a", 1);
    grant(kit, "c", 1);
    report(kit, "a", 1, null, TaskError.ofProvider("boom", false));
    assertEquals(WorkflowStatus.FAILED, kit.getState().status);

    var result = retry(kit, "d");

    WorkflowEvent.TaskRetriedManually event = result.eventOfType(WorkflowEvent.TaskRetriedManually.class);
    assertTrue(event.waitsForDependencies());
    assertEquals(List.of(new WorkflowEvent.TaskRetriedManually.Reopened("c", 2, true)), event.reopened());
    assertEquals(TaskState.PENDING, result.state().task("d").state, "d waits for c's new attempt");
    expectRequest("c", 2);
    grant(kit, "c", 2);
    report(kit, "c", 2, java.util.Map.of("v", 1), null);
    assertEquals(TaskState.READY, kit.getState().task("d").state, "c done, d runs on what a left");
    assertEquals(TaskState.READY, kit.restart().state().task("d").state, "the same after a replay");
    runToCompletion(kit, "d", 1);
    assertEquals(WorkflowStatus.FAILED, kit.getState().status, "a is still failed: the workflow ends, failed");
  }

  /**
   * s → a → b, continue: cancelled while s runs, then b retried by hand reopens s and a. When a fails again, b still
   * runs, on what a left, and what waits for b is not skipped (round 17: b was skipped without an attempt although
   * the retry's answer said it would run).
   */
  @Test
  void shouldRunARetriedTaskWhenADependencyItsRetryReopenedFailsAgain() {
    var kit = submitted("{'id': 'wf-1', 'error_strategy': 'continue', 'tasks': [{'id': 's', 'method': 'test/sleep'},"
        + "{'id': 'a', 'method': 'test/fail', 'retry': {'max_attempts': 1}, 'dependencies': ['s']},"
        + "{'id': 'b', 'method': 'test/echo', 'dependencies': ['a']},"
        + "{'id': 'z', 'method': 'test/echo', 'dependencies': ['b']}]}");
    expectRequest("s", 1);
    grant(kit, "s", 1);
    provider.expectMessageClass(Dispatch.class);
    cancel(kit);
    retry(kit, "b");
    runToCompletion(kit, "s", 2);
    expectRequest("a", 1);
    grant(kit, "a", 1);

    report(kit, "a", 1, null, TaskError.ofProvider("a fails", false));

    WorkflowState state = kit.getState();
    assertEquals(TaskState.READY, state.task("b").state, "b runs on what a left");
    assertEquals(TaskState.PENDING, state.task("z").state, "z waits for b");
    assertEquals(WorkflowStatus.RUNNING, state.status);
    runToCompletion(kit, "b", 1);
    runToCompletion(kit, "z", 1);
    assertEquals(WorkflowStatus.FAILED, kit.getState().status, "a failed: the workflow ends, failed");
    assertEquals(TaskState.COMPLETED, kit.restart().state().task("b").state, "the same after a replay");
  }

  /** max_parallel 1: a task that no provider started in time frees its slot for the next (round 14: it never did). */
  @Test
  void shouldFreeTheMaxParallelSlotOfATaskThatFailsItsScheduleToStartTimeout() {
    var kit = submitted("{'id': 'wf-1', 'error_strategy': 'continue', 'max_parallel': 1,"
        + " 'schedule_to_start_timeout': 1, 'tasks': [{'id': 'a', 'method': 'nobody/serves'},"
        + " {'id': 'b', 'method': 'test/echo'}, {'id': 'c', 'method': 'test/echo'}]}");
    expectRequest("a", 1);
    clock.advance(Duration.ofSeconds(1));
    kit.runCommand(new WorkflowCommand.ScheduleToStartDue("a", 1));
    expectRequest("b", 1);
    assertFalse(kit.getState().task("c").requested, "max_parallel 1: c waits for b");

    grant(kit, "b", 1);
    report(kit, "b", 1, java.util.Map.of(), null);

    runToCompletion(kit, "c", 1);
    assertEquals(WorkflowStatus.FAILED, kit.getState().status, "a failed: under continue the workflow ends failed");
  }

  @Test
  void shouldRefuseAManualRetryOfATaskWhileOneOfItsDependenciesRunsAgain() {
    var kit = failedWhileSRan();
    retry(kit, "b");
    expectRequestsOf("b", 1, "s", 2);
    grant(kit, "b", 1);
    report(kit, "b", 1, null, TaskError.ofProvider("b fails on its own", false));
    retry(kit, "a");
    expectRequestsOf("a", 2, "s", 3);

    var result = retry(kit, "b");

    assertEquals(WorkflowCommand.ControlReply.Outcome.CONFLICT, result.reply().outcome());
    assertEquals("task 'b' depends on 'a', which is ready; run 'b' again once 'a' has finished",
        result.reply().message());
    assertTrue(result.hasNoEvents());
  }

  @Test
  void shouldRefuseAManualRetryOfATaskThatIsNotFailedOrCancelled() {
    var kit = submitted(CHAIN);
    var result = retry(kit, "a");
    assertEquals(WorkflowCommand.ControlReply.Outcome.CONFLICT, result.reply().outcome());
    assertTrue(result.hasNoEvents());
    assertEquals(WorkflowCommand.ControlReply.Outcome.NOT_FOUND, retry(kit, "zz").reply().outcome());
  }

  @Test
  void shouldNotCountReassignmentsAgainstMaxAttempts() {
    var kit = submitted("{'id': 'wf-1', 'tasks': [{'id': 'a', 'method': 'test/flaky',"
        + " 'retry': {'max_attempts': 2, 'backoff': 'fixed', 'base_delay': 1, 'jitter': false}}]}");
    expectRequest("a", 1);
    grant(kit, "a", 1);
    kit.runCommand(new ReattachAnswer("a", 1, "test-1", false, "lost"));
    grant(kit, "a", 2);
    kit.runCommand(new ReattachAnswer("a", 2, "test-1", false, "lost"));
    grant(kit, "a", 3);

    var failed = kit.<Done>runCommand(replyTo -> new ReportTaskResult("a", 3, "test-1", null,
        TaskError.ofProvider("flaky", true), replyTo));

    assertEquals(4, failed.eventOfType(TaskFailed.class).retry().nextAttempt(),
        "two reassignments and one failure still leave one automatic retry of max_attempts 2");
  }

  @Test
  void shouldCountProviderLossesAgainAfterAManualRetry() {
    var kit = submitted("{'id': 'wf-1', 'tasks': [{'id': 'a', 'method': 'test/echo'}]}");
    int attempt = 1;
    for (; attempt <= 10; attempt++) { // the test's limit: 10 reassignments
      expectRequest("a", attempt);
      grant(kit, "a", attempt);
      kit.runCommand(new ReattachAnswer("a", attempt, "test-1", false, "lost"));
    }
    expectRequest("a", attempt);
    grant(kit, "a", attempt);
    TaskFailed limit = kit.runCommand(new ReattachAnswer("a", attempt, "test-1", false, "lost"))
        .eventOfType(TaskFailed.class);
    assertEquals(TaskError.REASSIGNMENTS, limit.error().type());

    assertEquals(WorkflowCommand.ControlReply.Outcome.DONE, retry(kit, "a").reply().outcome());
    expectRequest("a", attempt + 1);
    grant(kit, "a", attempt + 1);
    var lostOnce = kit.runCommand(new ReattachAnswer("a", attempt + 1, "test-1", false, "lost"));

    assertEquals(attempt + 2, lostOnce.eventOfType(TaskReassigned.class).attempt(),
        "a manual retry starts the reassignment limit afresh, as it does max_attempts");
  }

  @Test
  void shouldFailAReadyTaskThatNoProviderStartsWithinItsScheduleToStartTimeout() {
    var kit = submitted("{'id': 'wf-1', 'schedule_to_start_timeout': 5, 'tasks': ["
        + "{'id': 'a', 'method': 'test/unknown'}, {'id': 'b', 'method': 'test/echo', 'dependencies': ['a']}]}");
    expectRequest("a", 1);
    kit.runCommand(new WorkflowCommand.AssignmentWaiting("a", 1, "no healthy provider serves test/unknown"));
    clock.advance(Duration.ofSeconds(4));
    assertTrue(kit.runCommand(new WorkflowCommand.ScheduleToStartDue("a", 1)).hasNoEvents(), "not due yet");
    clock.advance(Duration.ofSeconds(1));

    var result = kit.runCommand(new WorkflowCommand.ScheduleToStartDue("a", 1));

    TaskFailed failed = result.eventOfType(TaskFailed.class);
    assertNull(failed.retry());
    assertEquals(TaskError.SCHEDULE_TO_START, failed.error().type());
    assertTrue(failed.error().message().contains("no healthy provider serves test/unknown"), failed.error().message());
    assertNull(failed.durationMs(), "the attempt never reached a provider: it has no duration (not 0 ms)");
    assertNull(result.state().task("a").durationMs);
    assertEquals(WorkflowStatus.FAILED, result.state().status);
    assertEquals(TaskState.CANCELLED, result.state().task("b").state);
  }

  @Test
  void shouldCountTheScheduleToStartTimeoutFromWhenMaxParallelLetsATaskBeOffered() {
    var kit = submitted("{'id': 'wf-1', 'schedule_to_start_timeout': 1, 'max_parallel': 1, 'tasks': ["
        + "{'id': 'a', 'method': 'test/sleep'}, {'id': 'b', 'method': 'test/echo'}]}");
    expectRequest("a", 1);
    grant(kit, "a", 1);
    clock.advance(Duration.ofSeconds(3)); // b is ready and held back by max_parallel meanwhile
    assertTrue(kit.runCommand(new WorkflowCommand.ScheduleToStartDue("b", 1)).hasNoEvents(), "b was never offered");
    report(kit, "a", 1, java.util.Map.of(), null);
    expectRequest("b", 1);
    assertEquals(clock.instant(), kit.getState().task("b").askedAt);

    clock.advance(Duration.ofMillis(999));
    assertTrue(kit.runCommand(new WorkflowCommand.ScheduleToStartDue("b", 1)).hasNoEvents(),
        "a second from its offer, not from its readiness three seconds ago");
    clock.advance(Duration.ofMillis(1));
    TaskFailed failed = kit.runCommand(new WorkflowCommand.ScheduleToStartDue("b", 1)).eventOfType(TaskFailed.class);
    assertEquals(TaskError.SCHEDULE_TO_START, failed.error().type());
  }

  @Test
  void shouldRecoverALongWorkflowFromItsSnapshotAndTheTail() {
    StringBuilder tasks = new StringBuilder();
    int n = 60;
    for (int i = 0; i < n; i++) {
      tasks.append(i == 0 ? "" : ",").append("{'id': 't").append(i).append("', 'method': 'test/echo'}");
    }
    var kit = submitted("{'id': 'wf-1', 'tasks': [" + tasks + "]}");
    for (int i = 0; i < n; i++) {
      grant(kit, "t" + i, 1);
      settled(kit, new ReportTaskStarted("t" + i, 1, "test-1"));
      if (i < n - 1) {
        report(kit, "t" + i, 1, java.util.Map.of("i", i), null); // 3 events per task: past a snapshot at 120
      }
    }
    WorkflowState before = kit.getState();
    assertTrue(kit.snapshotTestKit().isPresent());
    assertTrue(!kit.snapshotTestKit().get().persistedInStorage(WorkflowEntity.persistenceIdOf("wf-1").id()).isEmpty(),
        "a workflow this long has a snapshot");

    WorkflowState after = kit.restart().state();

    assertEquals(before.lastSequence, after.lastSequence);
    assertEquals(before.openTasks, after.openTasks);
    assertEquals(TaskState.RUNNING, after.task("t" + (n - 1)).state);
    assertEquals(Json.MAPPER.valueToTree(java.util.Map.of("i", 7)), after.task("t7").result);
    assertEquals(WorkflowStatus.RUNNING, after.status);
  }

  @Test
  void shouldRecordTheStartOfTheCurrentAttemptOnly() {
    var kit = submitted(CHAIN);
    expectRequest("a", 1);
    grant(kit, "a", 1);
    var started = settled(kit, new ReportTaskStarted("a", 1, "test-1"));
    assertEquals(TaskState.RUNNING, started.state().task("a").state);
    assertEquals(13, started.eventOfType(TaskStarted.class).firstSequence());
    assertTrue(settled(kit, new ReportTaskStarted("a", 1, "test-1")).hasNoEvents());
    assertTrue(settled(kit, new ReportTaskStarted("a", 7, "test-1")).hasNoEvents());
  }


  @Test
  void shouldWriteTheReportsThatArriveDuringAWriteTogetherAndAnswerThemAfterIt() {
    AtomicReference<HeldWrite> holdNextWrite = new AtomicReference<>();
    // A held write keeps the entity busy while the test sends the rest of a burst: they arrive while a write
    // is in flight, which is what happens under load.
    String pid = WorkflowEntity.persistenceIdOf("wf-burst").id();
    try (RecordedWrites recorded = RecordedWrites.of(testKit.system(), pid, events -> {
      HeldWrite held = holdNextWrite.getAndSet(null);
      if (held != null) {
        held.started().countDown();
        await(held.released());
      }
    })) {
      List<List<Object>> writes = recorded.writes();
      ActorRef<WorkflowCommand> workflow = testKit.spawn(behavior("wf-burst"));
      TestProbe<WorkflowCommand.SubmitReply> submitted = testKit.createTestProbe();
      workflow.tell(new WorkflowCommand.SubmitWorkflow(definition("{'id': 'wf-burst', 'tasks': ["
          + "{'id': 'a', 'method': 'test/echo'}, {'id': 'b', 'method': 'test/echo'},"
          + "{'id': 'c', 'method': 'test/echo'},"
          + "{'id': 'join', 'method': 'test/echo', 'dependencies': ['a', 'b', 'c']}]}"), submitted.getRef()));
      submitted.expectMessageClass(Accepted.class);
      coordinator.receiveSeveralMessages(3);

      HeldWrite grants = new HeldWrite(new CountDownLatch(1), new CountDownLatch(1));
      holdNextWrite.set(grants);
      workflow.tell(new AssignmentGranted("a", 1, "test-1"));
      await(grants.started());
      workflow.tell(new AssignmentGranted("b", 1, "test-1"));
      workflow.tell(new AssignmentGranted("c", 1, "test-1"));
      grants.released().countDown();
      assertEquals(List.of("a", "b", "c"), provider.receiveSeveralMessages(3).stream()
          .map(m -> ((Dispatch) m).key().taskId()).toList());

      HeldWrite results = new HeldWrite(new CountDownLatch(1), new CountDownLatch(1));
      holdNextWrite.set(results);
      TestProbe<Done> acks = testKit.createTestProbe();
      for (String task : List.of("a", "b", "c")) {
        workflow.tell(new ReportTaskResult(task, 1, "test-1", Json.MAPPER.createObjectNode().put("of", task), null,
            acks.getRef()));
        if (task.equals("a")) {
          await(results.started());
        }
      }
      acks.expectNoMessage(Duration.ofMillis(100)); // nothing is acknowledged before its write
      results.released().countDown();
      acks.receiveSeveralMessages(3);
      assertEquals(new TaskKey("wf-burst", "join", 1), coordinator.expectMessageClass(RequestAssignment.class).key());

      assertEquals(List.of(List.of(WorkflowEvent.WorkflowSubmitted.class), List.of(TaskAssigned.class),
              List.of(TaskAssigned.class, TaskAssigned.class), List.of(WorkflowEvent.TaskCompleted.class),
              List.of(WorkflowEvent.TaskCompleted.class, WorkflowEvent.TaskCompleted.class)),
          writes.stream().map(w -> w.stream().map(Object::getClass).toList()).toList(),
          "the reports that arrived during a write are written together by the next");
      WorkflowEvent.TaskCompleted last = (WorkflowEvent.TaskCompleted) writes.get(4).get(1);
      assertEquals(List.of("join"), last.consequences().requested(), "decided with the earlier results applied");

      // What the live entity decided is what its journal replays to.
      TestProbe<WorkflowCommand.WorkflowReply> views = testKit.createTestProbe();
      workflow.tell(new WorkflowCommand.GetWorkflow(views.getRef()));
      WorkflowView live = views.receiveMessage().view();
      testKit.stop(workflow);
      ActorRef<WorkflowCommand> recovered = testKit.spawn(behavior("wf-burst"));
      recovered.tell(new WorkflowCommand.GetWorkflow(views.getRef()));
      assertEquals(live, views.receiveMessage().view());
      assertEquals("completed", live.tasks().get(2).state());
    }
  }

  @Test
  void shouldWriteAnOutcomeTogetherWithTheGrantOfTheTaskItMadeReady() {
    String pid = WorkflowEntity.persistenceIdOf("wf-early").id();
    try (RecordedWrites recorded = RecordedWrites.of(testKit.system(), pid)) {
      List<List<Object>> writes = recorded.writes();
      TestProbe<Done> acks = testKit.createTestProbe();
      ActorRef<WorkflowCommand> workflow = chainWithTheOutcomeOfAReported("wf-early", acks);
      // b is asked for before a's outcome is written; the write waits for the answer.
      assertEquals(new TaskKey("wf-early", "b", 1), coordinator.expectMessageClass(RequestAssignment.class).key());
      acks.expectNoMessage(Duration.ofMillis(5));
      workflow.tell(new AssignmentGranted("b", 1, "test-1"));
      acks.expectMessage(Done.getInstance());
      Dispatch b = (Dispatch) provider.expectMessageClass(Dispatch.class);
      assertEquals(new TaskKey("wf-early", "b", 1), b.key());
      assertEquals(1, b.params().get("v").asInt(), "dispatched with a's result");
      coordinator.expectNoMessage(Duration.ofMillis(50)); // b is not asked for again after the write

      assertEquals(List.of(List.of(WorkflowEvent.WorkflowSubmitted.class), List.of(TaskAssigned.class),
              List.of(WorkflowEvent.TaskCompleted.class, TaskAssigned.class)),
          writes.stream().map(w -> w.stream().map(Object::getClass).toList()).toList());
    }
  }

  @Test
  void shouldWriteASubmissionTogetherWithTheGrantOfItsFirstTaskAndAcceptItOnceBothAreWritten() {
    String pid = WorkflowEntity.persistenceIdOf("wf-first").id();
    try (RecordedWrites recorded = RecordedWrites.of(testKit.system(), pid)) {
      List<List<Object>> writes = recorded.writes();
      ActorRef<WorkflowCommand> workflow = testKit.spawn(behavior("wf-first"));
      TestProbe<WorkflowCommand.SubmitReply> submitter = testKit.createTestProbe();
      workflow.tell(new WorkflowCommand.SubmitWorkflow(definition(CHAIN.replace("wf-1", "wf-first")),
          submitter.getRef()));
      // a is asked for before the submission is written; the write, and so the answer to the submitter, wait.
      assertEquals(new TaskKey("wf-first", "a", 1), coordinator.expectMessageClass(RequestAssignment.class).key());
      submitter.expectNoMessage(Duration.ofMillis(5));
      workflow.tell(new AssignmentGranted("a", 1, "test-1"));
      submitter.expectMessage(new Accepted("wf-first"));
      assertEquals(new TaskKey("wf-first", "a", 1), provider.expectMessageClass(Dispatch.class).key());
      coordinator.expectNoMessage(Duration.ofMillis(50)); // a is not asked for again after the write

      assertEquals(List.of(List.of(WorkflowEvent.WorkflowSubmitted.class, TaskAssigned.class)),
          writes.stream().map(w -> w.stream().map(Object::getClass).toList()).toList());
    }
  }

  @Test
  void shouldWriteAnOutcomeWithoutAGrantWhenTheCoordinatorSaysWaitOrDoesNotAnswer() {
    TestProbe<Done> acks = testKit.createTestProbe();
    ActorRef<WorkflowCommand> workflow = chainWithTheOutcomeOfAReported("wf-waits", acks);
    coordinator.expectMessageClass(RequestAssignment.class);
    workflow.tell(new AssignmentWaiting("b", 1, "every provider serving test/echo is at capacity"));
    acks.expectMessage(Done.getInstance());

    // A coordinator that never answers: the outcome is written when the hold runs out.
    ActorRef<WorkflowCommand> silent = chainWithTheOutcomeOfAReported("wf-silent", acks);
    acks.expectMessage(Done.getInstance());
    TestProbe<WorkflowCommand.WorkflowReply> views = testKit.createTestProbe();
    silent.tell(new WorkflowCommand.GetWorkflow(views.getRef()));
    WorkflowView view = views.receiveMessage().view();
    assertEquals(List.of("completed", "ready"), view.tasks().stream().map(t -> t.state()).toList());
  }

  /**
   * {@link #CHAIN} as workflow {@code id}: a granted, dispatched and its outcome reported (acknowledged to
   * {@code acks}).
   */
  private ActorRef<WorkflowCommand> chainWithTheOutcomeOfAReported(String id, TestProbe<Done> acks) {
    ActorRef<WorkflowCommand> workflow = testKit.spawn(behavior(id));
    TestProbe<WorkflowCommand.SubmitReply> submitted = testKit.createTestProbe();
    workflow.tell(new WorkflowCommand.SubmitWorkflow(definition(CHAIN.replace("wf-1", id)), submitted.getRef()));
    submitted.expectMessageClass(Accepted.class);
    coordinator.expectMessageClass(RequestAssignment.class);
    workflow.tell(new AssignmentGranted("a", 1, "test-1"));
    provider.expectMessageClass(Dispatch.class);
    workflow.tell(new ReportTaskResult("a", 1, "test-1", Json.MAPPER.createObjectNode().put("x", 1), null,
        acks.getRef()));
    return workflow;
  }

  /** A write the journal holds: {@code started} once it is being written, then it waits for {@code released}. */
  private record HeldWrite(CountDownLatch started, CountDownLatch released) {}

  private static void await(CountDownLatch latch) {
    try {
      if (!latch.await(10, TimeUnit.SECONDS)) {
        throw new AssertionError("timed out waiting for " + latch);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Runs a report without a reply and waits until its event is written (see {@link Settled}). */
  private Settled<WorkflowState> settled(EventSourcedBehaviorTestKit<WorkflowCommand, WorkflowEvent, WorkflowState> kit,
                                         WorkflowCommand command) {
    return Settled.<WorkflowCommand, WorkflowEvent, WorkflowState, WorkflowCommand.WorkflowReply>run(kit,
        WorkflowEntity.persistenceIdOf("wf-1").id(), command, WorkflowCommand.GetWorkflow::new);
  }
}
