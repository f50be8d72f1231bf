package io.gleitzeit.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
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
import io.gleitzeit.workflow.WorkflowCommand.Accepted;
import io.gleitzeit.workflow.WorkflowCommand.AssignmentGranted;
import io.gleitzeit.workflow.WorkflowCommand.GetWorkflow;
import io.gleitzeit.workflow.WorkflowCommand.ReportTaskResult;
import io.gleitzeit.workflow.WorkflowCommand.ReportTaskStarted;
import io.gleitzeit.workflow.WorkflowCommand.SubmitRefused;
import io.gleitzeit.workflow.WorkflowCommand.SubmitReply;
import io.gleitzeit.workflow.WorkflowCommand.SubmitWorkflow;
import io.gleitzeit.workflow.WorkflowCommand.WorkflowReply;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Journal write failures (issue 5, SPEC §1 and §3), with {@link PersistenceTestKit} policies: a write the
 * journal rejects (EventRejectedException) or fails (the journal is unreachable) never becomes silently lost
 * state. The entity stops as Pekko makes it (in a cluster its shard starts it again; here the test does), and
 * what was written is all there is: a refused submission is answered at once and leaves nothing behind, and a
 * result whose write failed is taken again when its provider delivers it again.
 *
 * <p>Plain spawned entities rather than EventSourcedBehaviorTestKit: that kit asks a stopped entity for its
 * state after each command and cannot follow an entity that stops.
 */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkflowJournalFailureTest {

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder()
      .withCustomConfig(EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.load("application-test")))
      .build();

  private static final Instant T0 = Instant.parse("2026-11-26T10:00:00.000Z");
  /** Far below the HTTP ask timeout (10 s): the caller must not learn of a refused write by timing out. */
  private static final Duration PROMPT = Duration.ofSeconds(2);
  private static final Duration QUIET = Duration.ofMillis(200);
  private static final AtomicInteger IDS = new AtomicInteger();

  /** How the journal refuses a write. */
  enum Refusal { REJECT, FAIL }

  private PersistenceTestKit journal;
  private TestProbe<CoordinatorCommand> coordinator;
  private TestProbe<ProviderCommand> provider;
  private TestProbe<Object> watcher;
  private String id;

  @BeforeEach
  void fresh() {
    journal = PersistenceTestKit.create(testKit.system());
    journal.resetPolicy();
    coordinator = testKit.createTestProbe();
    provider = testKit.createTestProbe();
    watcher = testKit.createTestProbe();
    id = "wf-journal-" + IDS.incrementAndGet();
  }

  /** Starts the workflow's entity, as its shard does on the first message and again after it stopped. */
  private ActorRef<WorkflowCommand> start() {
    WorkflowDecisions decisions = new WorkflowDecisions(new ParameterResolver(1024), 10, () -> 0.5);
    TestProbe<ProviderCommand> providerProbe = provider;
    WorkflowEntity.Dependencies deps = new WorkflowEntity.Dependencies(coordinator.getRef(),
        p -> providerProbe.getRef(), EventPublisher.NONE, InstantSource.fixed(T0), decisions, Duration.ofDays(1));
    return testKit.spawn(WorkflowEntity.create(id, deps, self -> { }));
  }

  private void refuseNextWrite(Refusal refusal) {
    if (refusal == Refusal.REJECT) {
      journal.rejectNextPersisted(pid());
    } else {
      journal.failNextPersisted(pid());
    }
  }

  private String pid() {
    return WorkflowEntity.persistenceIdOf(id).id();
  }

  private WorkflowDefinition definition() {
    String json = "{'id': '" + id + "', 'tasks': [{'id': 'a', 'method': 'test/echo', 'params': {'x': 1}}]}";
    ParseResult result = new DefinitionParser().parse(json.replace('\'', '"').getBytes(StandardCharsets.UTF_8),
        SourceFormat.JSON);
    assertInstanceOf(ParseResult.Valid.class, result, result::toString);
    return ((ParseResult.Valid) result).definition();
  }

  private SubmitReply submit(ActorRef<WorkflowCommand> workflow) {
    TestProbe<SubmitReply> reply = testKit.createTestProbe();
    workflow.tell(new SubmitWorkflow(definition(), reply.getRef()));
    return reply.expectMessageClass(SubmitReply.class, PROMPT);
  }

  private WorkflowView view(ActorRef<WorkflowCommand> workflow) {
    TestProbe<WorkflowReply> reply = testKit.createTestProbe();
    workflow.tell(new GetWorkflow(reply.getRef()));
    return reply.receiveMessage().view();
  }

  private static long count(List<Object> events, Class<?> type) {
    return events.stream().filter(type::isInstance).count();
  }

  @ParameterizedTest
  @EnumSource(Refusal.class)
  void shouldAnswerARefusedSubmissionAtOnceAndKeepNothingSoThatItCanBeSubmittedAgain(Refusal refusal) {
    ActorRef<WorkflowCommand> workflow = start();
    refuseNextWrite(refusal);

    SubmitRefused refused = assertInstanceOf(SubmitRefused.class, submit(workflow),
        "the submitter hears of the refused write within " + PROMPT.toSeconds() + " s, not by its ask timing out");

    String how = refusal == Refusal.REJECT ? "rejected" : "failed";
    assertEquals(id, refused.workflowId());
    assertTrue(refused.reason().startsWith("the journal " + how + " the write of workflow '" + id + "'"),
        refused.reason());
    assertTrue(refused.reason().endsWith("nothing was stored, submit it again"), refused.reason());
    watcher.expectTerminated(workflow, PROMPT);
    assertEquals(List.of(), journal.persistedInStorage(pid()), "nothing was stored");
    // The first task was asked for before the write, to have its grant written with the submission.
    assertEquals(new TaskKey(id, "a", 1), coordinator.expectMessageClass(RequestAssignment.class).key());
    coordinator.expectNoMessage(QUIET);

    // The shard starts the entity again: it knows no such workflow, and the same submission now succeeds.
    ActorRef<WorkflowCommand> again = start();
    assertNull(view(again), "no state was left behind");
    // A grant for that early request finds no workflow: the provider's slot is freed.
    again.tell(new AssignmentGranted("a", 1, "test-1"));
    assertEquals(new Release(new TaskKey(id, "a", 1), false), provider.expectMessageClass(Release.class));
    assertEquals(new Accepted(id), submit(again));
    assertEquals(new TaskKey(id, "a", 1), coordinator.expectMessageClass(RequestAssignment.class).key());
    List<Object> stored = journal.persistedInStorage(pid());
    assertEquals(1, stored.size(), stored::toString);
    assertInstanceOf(WorkflowEvent.WorkflowSubmitted.class, stored.get(0));
  }

  @ParameterizedTest
  @EnumSource(Refusal.class)
  void shouldTakeAResultWhoseWriteWasRefusedWhenItsProviderDeliversItAgain(Refusal refusal) {
    ActorRef<WorkflowCommand> workflow = start();
    assertEquals(new Accepted(id), submit(workflow));
    coordinator.expectMessageClass(RequestAssignment.class);
    workflow.tell(new AssignmentGranted("a", 1, "test-1"));
    assertEquals(new TaskKey(id, "a", 1), provider.expectMessageClass(Dispatch.class).key());
    workflow.tell(new ReportTaskStarted("a", 1, "test-1"));
    assertEquals(TaskState.RUNNING.wire(), view(workflow).tasks().get(0).state());

    refuseNextWrite(refusal);
    ObjectNode result = Json.MAPPER.createObjectNode().put("x", 1);
    TestProbe<Done> acks = testKit.createTestProbe();
    workflow.tell(new ReportTaskResult("a", 1, "test-1", result, null, acks.getRef()));

    watcher.expectTerminated(workflow, PROMPT);
    acks.expectNoMessage(QUIET);
    assertEquals(0, count(journal.persistedInStorage(pid()), WorkflowEvent.TaskCompleted.class),
        "the completion was not written");

    // The shard starts the entity again: it recovers the running attempt and sends it to its provider again...
    ActorRef<WorkflowCommand> again = start();
    Dispatch redispatched = provider.expectMessageClass(Dispatch.class);
    assertEquals(new TaskKey(id, "a", 1), redispatched.key());
    assertEquals(TaskState.RUNNING.wire(), view(again).tasks().get(0).state());

    // ...and the provider's runtime, whose report was never acknowledged, delivers it again (at least once).
    again.tell(new ReportTaskResult("a", 1, "test-1", result, null, acks.getRef()));
    assertEquals(Done.getInstance(), acks.receiveMessage(PROMPT));
    WorkflowView after = view(again);
    assertEquals(WorkflowStatus.COMPLETED.wire(), after.status());
    assertEquals(TaskState.COMPLETED.wire(), after.tasks().get(0).state());
    assertEquals(result, after.tasks().get(0).result());
    assertEquals(1, count(journal.persistedInStorage(pid()), WorkflowEvent.TaskCompleted.class));
  }
}
