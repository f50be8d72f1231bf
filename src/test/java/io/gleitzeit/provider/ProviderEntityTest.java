package io.gleitzeit.provider;

import io.gleitzeit.testing.MutableClock;
import io.gleitzeit.testing.RecordedWrites;
import io.gleitzeit.testing.Settled;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.gleitzeit.domain.HealthScore;
import io.gleitzeit.domain.Json;
import io.gleitzeit.domain.ProviderHealth;
import io.gleitzeit.domain.ProviderSpec;
import io.gleitzeit.events.EventEnvelope;
import io.gleitzeit.events.EventPublisher;
import io.gleitzeit.provider.ProviderCommand.CheckHeld;
import io.gleitzeit.provider.ProviderCommand.Deregister;
import io.gleitzeit.provider.ProviderCommand.Dispatch;
import io.gleitzeit.provider.ProviderCommand.Finished;
import io.gleitzeit.provider.ProviderCommand.GetProvider;
import io.gleitzeit.provider.ProviderCommand.Heartbeat;
import io.gleitzeit.provider.ProviderCommand.HeartbeatDeadline;
import io.gleitzeit.provider.ProviderCommand.Idle;
import io.gleitzeit.provider.ProviderCommand.ProviderReply;
import io.gleitzeit.provider.ProviderCommand.PublishStatus;
import io.gleitzeit.provider.ProviderCommand.Refused;
import io.gleitzeit.provider.ProviderCommand.Register;
import io.gleitzeit.provider.ProviderCommand.RegisterReply;
import io.gleitzeit.provider.ProviderCommand.Release;
import io.gleitzeit.provider.ProviderCommand.Reserve;
import io.gleitzeit.provider.ProviderCommand.ReserveReply;
import io.gleitzeit.provider.ProviderCommand.Reserved;
import io.gleitzeit.provider.ProviderEvent.ProviderDeregistered;
import io.gleitzeit.provider.ProviderEvent.ProviderMarkedUnhealthy;
import io.gleitzeit.provider.ProviderEvent.ProviderRecovered;
import io.gleitzeit.provider.ProviderEvent.ProviderRegistered;
import io.gleitzeit.provider.ProviderEvent.TaskAcquired;
import io.gleitzeit.provider.ProviderEvent.TaskReleased;
import io.gleitzeit.provider.RuntimeCommand.CancelTask;
import io.gleitzeit.provider.RuntimeCommand.ExecuteTask;
import io.gleitzeit.workflow.WorkflowCommand;
import io.gleitzeit.workflow.WorkflowCommand.ReattachAnswer;
import io.gleitzeit.workflow.WorkflowCommand.SlotHeld;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.internal.pubsub.TopicImpl;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The provider entity through Pekko's EventSourcedBehaviorTestKit: replies, the exact events, state and
 * recovery, with {@link ManualTime} driving the heartbeat deadline and a test clock moved in step with it.
 */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProviderEntityTest {

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder()
      .withCustomConfig(ManualTime.config()
          .withFallback(EventSourcedBehaviorTestKit.config())
          .withFallback(ConfigFactory.load("application-test")))
      .build();

  private static final Instant T0 = Instant.parse("2026-11-26T10:00:00.000Z");
  private static final Duration INTERVAL = Duration.ofSeconds(5);
  private static final ProviderEntity.Health HEALTH = new ProviderEntity.Health(INTERVAL, 3);
  private static final Duration DEADLINE = INTERVAL.multipliedBy(3);
  /** Reservations are checked with their workflows after this long without a dispatch: never, but in one test. */
  private static final Duration UNDISPATCHED_AFTER = Duration.ofDays(1);
  /** How long a probe is watched to show that nothing arrives (real time: the actors run on real threads). */
  private static final Duration QUIET = Duration.ofMillis(150);
  private static final AtomicInteger IDS = new AtomicInteger();

  /** The clock the entity reads; moved together with the scheduler's manual time. */
  private MutableClock clock;
  private TestProbe<WorkflowCommand> wfA;
  private TestProbe<WorkflowCommand> wfB;
  /** Any workflow other than wf-a and wf-b; nothing should ever reach it. */
  private TestProbe<WorkflowCommand> otherWorkflows;
  private TestProbe<Topic.Command<ProviderStatus>> statusTopic;
  private TestProbe<Topic.Command<PublishStatus>> statusRequests;
  private TestProbe<RuntimeCommand> runtime;
  private TestProbe<ActorRef<ProviderCommand>> passivations;
  private List<EventEnvelope> published;
  private String id;

  private static final TaskKey K1 = new TaskKey("wf-a", "t1", 1);
  private static final TaskKey K2 = new TaskKey("wf-b", "t2", 1);
  private static final TaskKey K3 = new TaskKey("wf-a", "t3", 2);

  @BeforeEach
  void fresh() {
    clock = new MutableClock(T0);
    wfA = testKit.createTestProbe();
    wfB = testKit.createTestProbe();
    otherWorkflows = testKit.createTestProbe();
    statusTopic = testKit.createTestProbe();
    statusRequests = testKit.createTestProbe();
    runtime = testKit.createTestProbe();
    passivations = testKit.createTestProbe();
    published = new CopyOnWriteArrayList<>();
    // Entities of earlier tests stay alive in this actor system: a fresh id keeps them apart.
    id = "p-" + IDS.incrementAndGet();
  }

  private EventSourcedBehaviorTestKit<ProviderCommand, ProviderEvent, ProviderState> entity() {
    return EventSourcedBehaviorTestKit.create(testKit.system(), behavior());
  }

  private Behavior<ProviderCommand> behavior() {
    return behavior(Duration.ZERO, UNDISPATCHED_AFTER);
  }

  private Behavior<ProviderCommand> behavior(Duration slotWriteDelay, Duration undispatchedAfter) {
    // Capture this test's probes and recorders, not the fields, which the next test replaces.
    TestProbe<WorkflowCommand> a = wfA;
    TestProbe<WorkflowCommand> b = wfB;
    TestProbe<WorkflowCommand> other = otherWorkflows;
    List<EventEnvelope> sink = published;
    TestProbe<ActorRef<ProviderCommand>> passivated = passivations;
    EventPublisher publisher = sink::addAll;
    ProviderEntity.Dependencies deps = new ProviderEntity.Dependencies(
        wf -> wf.equals("wf-a") ? a.getRef() : wf.equals("wf-b") ? b.getRef() : other.getRef(),
        statusTopic.getRef(), statusRequests.getRef(), publisher, clock, HEALTH, Duration.ofHours(1),
        slotWriteDelay, undispatchedAfter);
    return ProviderEntity.create(id, deps, self -> passivated.getRef().tell(self));
  }

  private ManualTime manualTime() {
    return ManualTime.get(testKit.system());
  }

  /** Time passes for the entity's timers and its clock alike; the clock first, so a firing timer sees it. */
  private void pass(Duration d) {
    clock.advance(d);
    manualTime().timePasses(d);
  }

  private ProviderSpec spec(int maxConcurrency, String... methods) {
    return new ProviderSpec(id, "external", List.of(methods), maxConcurrency, Map.of("zone", "a"));
  }

  private RegisterReply register(EventSourcedBehaviorTestKit<ProviderCommand, ProviderEvent, ProviderState> kit,
                                 ProviderSpec spec) {
    return kit.<RegisterReply>runCommand(replyTo -> new Register(spec, replyTo)).reply();
  }

  /** Registered (max 2, test/* and llm/generate) with a runtime attached; records and probes emptied. */
  private EventSourcedBehaviorTestKit<ProviderCommand, ProviderEvent, ProviderState> connected(int maxConcurrency) {
    var kit = entity();
    register(kit, spec(maxConcurrency, "test/*", "llm/generate"));
    kit.runCommand(new Heartbeat(runtime.getRef()));
    published.clear();
    return kit;
  }

  /** Reserves, and waits until the acquisition is written (the reply comes before: see ProviderEntity#onReserve). */
  private ReserveReply reserve(EventSourcedBehaviorTestKit<ProviderCommand, ProviderEvent, ProviderState> kit,
                               TaskKey key, String method) {
    ReserveReply reply = kit.<ReserveReply>runCommand(replyTo -> new Reserve(key, method, replyTo)).reply();
    view(kit);
    return reply;
  }

  /** Runs a slot change without a reply and waits until it is persisted (see {@link Settled}). */
  private Settled<ProviderState> runSettled(
      EventSourcedBehaviorTestKit<ProviderCommand, ProviderEvent, ProviderState> kit, ProviderCommand command) {
    return Settled.<ProviderCommand, ProviderEvent, ProviderState, ProviderReply>run(kit,
        ProviderEntity.persistenceIdOf(id).id(), command, GetProvider::new);
  }

  private ProviderView view(EventSourcedBehaviorTestKit<ProviderCommand, ProviderEvent, ProviderState> kit) {
    return kit.<ProviderReply>runCommand(GetProvider::new).reply().view();
  }

  private List<Object> journal(EventSourcedBehaviorTestKit<ProviderCommand, ProviderEvent, ProviderState> kit) {
    return kit.persistenceTestKit().persistedInStorage(ProviderEntity.persistenceIdOf(id).id());
  }

  /** The types of the envelopes published since the last call, in order; the record is emptied. */
  private List<String> publishedTypes() {
    List<String> types = published.stream().map(EventEnvelope::eventType).toList();
    published.clear();
    return types;
  }

  /** What a publish on a topic carries (Pekko's Topic.Publish is internal; its public factory gives no accessor). */
  @SuppressWarnings("unchecked")
  private static <T> T publishedOn(Topic.Command<T> command) {
    assertInstanceOf(TopicImpl.Publish.class, command, () -> "expected a publish, got " + command);
    return ((TopicImpl.Publish<T>) command).message();
  }

  /** The next status published on the status topic. */
  private ProviderStatus nextStatus() {
    return publishedOn(statusTopic.receiveMessage());
  }

  /** Empties the status topic probe of everything published so far. */
  private void drainStatuses() {
    while (true) {
      try {
        publishedOn(statusTopic.receiveMessage(QUIET));
      } catch (AssertionError quiet) {
        return;
      }
    }
  }

  // ---------------------------------------------------------------- registration

  @Test
  void shouldPersistANewRegistrationAnnounceItAndReplyCreated() {
    var kit = entity();
    ProviderSpec spec = spec(2, "test/*");

    var result = kit.<RegisterReply>runCommand(replyTo -> new Register(spec, replyTo));

    assertTrue(result.reply().created());
    ProviderView view = result.reply().view();
    assertEquals(spec, view.spec());
    assertEquals(ProviderStatus.AVAILABLE, view.status());
    assertEquals(0, view.load());
    assertFalse(view.connected(), "no runtime has heartbeated yet");
    assertEquals(T0, view.registeredAt());
    assertEquals(List.of(new ProviderRegistered(id, spec, false, T0, 1)), result.events());
    assertTrue(result.state().exists());
    assertEquals(2, result.state().lastSequence);
    assertEquals(List.of("provider:registered", "provider:available"), publishedTypes());
    // The entity listens for coordinators' status requests and publishes its status on every change.
    assertInstanceOf(TopicImpl.Subscribe.class, statusRequests.receiveMessage());
    ProviderStatus status = nextStatus();
    assertEquals(spec, status.spec());
    assertEquals(ProviderStatus.AVAILABLE, status.status());
    assertFalse(status.connected());
    assertFalse(status.accepting(), "a provider that never connected must not be offered work");
  }

  @Test
  void shouldAnswerAnIdenticalRegistrationWithoutPersisting() {
    var kit = entity();
    register(kit, spec(2, "test/*"));
    published.clear();

    var again = kit.<RegisterReply>runCommand(replyTo -> new Register(spec(2, "test/*"), replyTo));

    assertFalse(again.reply().created());
    assertEquals(spec(2, "test/*"), again.reply().view().spec());
    assertTrue(again.hasNoEvents());
    assertEquals(List.of(), publishedTypes());
  }

  @Test
  void shouldPersistAnUpdateWhenTheDefinitionChanges() {
    var kit = entity();
    register(kit, spec(2, "test/*"));
    published.clear();
    clock.advance(Duration.ofSeconds(1));
    ProviderSpec changed = spec(4, "test/*", "llm/generate");

    var result = kit.<RegisterReply>runCommand(replyTo -> new Register(changed, replyTo));

    assertFalse(result.reply().created());
    assertEquals(4, result.reply().view().spec().maxConcurrency());
    assertEquals(List.of(new ProviderRegistered(id, changed, true, T0.plusSeconds(1), 3)), result.events());
    assertEquals(changed, result.state().spec);
    assertEquals(T0, result.state().registeredAt, "an update is not a new registration");
    assertEquals(3, result.state().lastSequence);
    assertEquals(List.of("provider:registered"), publishedTypes());
  }

  /**
   * A node's built-in provider whose id is registered for an external worker is refused (round 17: it took the
   * registration over, and the worker's held attempt failed for good on a runtime that did not serve it).
   */
  @Test
  void shouldRefuseABuiltInRegistrationOfAnIdRegisteredForAnExternalWorker() {
    var kit = entity();
    register(kit, spec(2, "ext/*"));
    ProviderSpec builtIn = new ProviderSpec(id, "test", List.of("test/*"), 4, Map.of());

    var result = kit.<RegisterReply>runCommand(replyTo -> new Register(builtIn, replyTo));

    assertTrue(result.hasNoEvents());
    assertFalse(result.reply().created());
    assertTrue(result.reply().refused().contains("is registered as an external provider"), result.reply().refused());
    assertEquals("external", result.state().spec.type());
  }

  @Test
  void shouldAnnounceTheStatusANewMaxConcurrencyTurnsTheProviderTo() {
    var kit = connected(2);
    reserve(kit, K1, "test/echo");
    published.clear();

    var lowered = kit.<RegisterReply>runCommand(replyTo -> new Register(spec(1, "test/*", "llm/generate"), replyTo));
    assertEquals(ProviderStatus.BUSY, ((ProviderRegistered) lowered.events().get(0)).turned());
    assertEquals(ProviderStatus.BUSY, lowered.reply().view().status());
    assertEquals(List.of("provider:registered", "provider:busy"), publishedTypes());
    published.clear();

    var raised = kit.<RegisterReply>runCommand(replyTo -> new Register(spec(3, "test/*", "llm/generate"), replyTo));
    assertEquals(ProviderStatus.AVAILABLE, ((ProviderRegistered) raised.events().get(0)).turned());
    assertEquals(List.of("provider:registered", "provider:available"), publishedTypes());
    published.clear();

    var same = kit.<RegisterReply>runCommand(replyTo -> new Register(spec(2, "test/*", "llm/generate"), replyTo));
    assertNull(((ProviderRegistered) same.events().get(0)).turned(), "available with 1 of 3 and with 1 of 2");
    assertEquals(List.of("provider:registered"), publishedTypes());
  }

  @Test
  void shouldAnswerAnUnknownProviderWithNoView() {
    var kit = entity();
    assertNull(view(kit));
    var deregister = kit.<ProviderReply>runCommand(Deregister::new);
    assertNull(deregister.reply().view());
    assertTrue(deregister.hasNoEvents());
  }

  // ---------------------------------------------------------------- reservations

  @Test
  void shouldReserveASlotIdempotentlyByKey() {
    var kit = connected(2);
    clock.advance(Duration.ofMillis(7));

    TestProbe<ReserveReply> replies = testKit.createTestProbe();
    var first = runSettled(kit, new Reserve(K1, "test/echo", replies.getRef()));

    Reserved reserved = assertInstanceOf(Reserved.class, replies.receiveMessage());
    assertEquals(K1, reserved.key());
    assertEquals(1, reserved.status().load());
    assertEquals(ProviderStatus.AVAILABLE, reserved.status().status());
    assertTrue(reserved.status().connected());
    // A slot that does not fill the provider yields no envelope, so it takes no sequence number.
    assertEquals(List.of(new TaskAcquired(id, K1, "test/echo", false, T0.plusMillis(7), 3)), first.events());
    assertTrue(first.state().holds(K1));
    assertEquals(2, first.state().lastSequence);
    assertEquals(List.of(), publishedTypes());

    var again = kit.<ReserveReply>runCommand(replyTo -> new Reserve(K1, "test/echo", replyTo));
    assertEquals(new Reserved(K1, reserved.status()), again.reply());
    assertTrue(again.hasNoEvents());
    assertEquals(1, again.state().load());
  }

  @Test
  void shouldRefuseWhileNoRuntimeHasHeartbeated() {
    var kit = entity();
    register(kit, spec(2, "test/*"));

    var result = kit.<ReserveReply>runCommand(replyTo -> new Reserve(K1, "test/echo", replyTo));

    Refused refused = assertInstanceOf(Refused.class, result.reply());
    assertEquals("provider " + id + " is not connected", refused.reason());
    assertFalse(refused.status().connected());
    assertTrue(result.hasNoEvents());
  }

  @Test
  void shouldTurnBusyOnTheReservationThatFillsItAndRefuseBeyondCapacity() {
    var kit = connected(2);
    reserve(kit, K1, "test/echo");

    TestProbe<ReserveReply> replies = testKit.createTestProbe();
    var filling = runSettled(kit, new Reserve(K2, "test/sleep", replies.getRef()));

    assertEquals(ProviderStatus.BUSY, replies.receiveMessage().status().status());
    assertEquals(List.of(new TaskAcquired(id, K2, "test/sleep", true, T0, 3)), filling.events());
    assertEquals(ProviderStatus.BUSY, filling.state().status());
    assertEquals(3, filling.state().lastSequence);
    List<EventEnvelope> busy = List.copyOf(published);
    assertEquals(List.of("provider:busy"), publishedTypes());
    assertEquals("warning", busy.get(0).severity());
    assertEquals(3L, busy.get(0).sequenceNumber());

    var beyond = kit.<ReserveReply>runCommand(replyTo -> new Reserve(K3, "test/echo", replyTo));
    Refused refused = assertInstanceOf(Refused.class, beyond.reply());
    assertEquals("provider " + id + " is at capacity", refused.reason());
    assertEquals(2, refused.status().load());
    assertFalse(refused.status().accepting());
    assertTrue(beyond.hasNoEvents());
  }

  @Test
  void shouldRefuseAMethodItDoesNotServe() {
    var kit = connected(2);

    var result = kit.<ReserveReply>runCommand(replyTo -> new Reserve(K1, "llm/chat", replyTo));

    Refused refused = assertInstanceOf(Refused.class, result.reply());
    assertEquals("provider " + id + " does not serve llm/chat", refused.reason());
    assertTrue(result.hasNoEvents());
    // Exact entries and prefix entries both count.
    assertInstanceOf(Reserved.class, reserve(kit, K1, "llm/generate"));
    assertInstanceOf(Reserved.class, reserve(kit, K2, "test/anything"));
  }

  @Test
  void shouldRefuseWhenNotRegistered() {
    var kit = entity();
    var result = kit.<ReserveReply>runCommand(replyTo -> new Reserve(K1, "test/echo", replyTo));
    Refused refused = assertInstanceOf(Refused.class, result.reply());
    assertEquals("provider " + id + " is not registered", refused.reason());
    assertNull(refused.status());
    assertTrue(result.hasNoEvents());
  }

  // ---------------------------------------------------------------- dispatch

  @Test
  void shouldForwardADispatchToTheNewerConnectionOfAnExternalWorkerAndDetachTheOlder() {
    var kit = connected(2);
    TestProbe<RuntimeCommand> newer = testKit.createTestProbe();
    kit.runCommand(new Heartbeat(newer.getRef()));
    assertEquals(new RuntimeCommand.Detach("another connection of provider " + id + " replaced this one"),
        runtime.receiveMessage());
    reserve(kit, K1, "test/echo");
    var params = Json.MAPPER.createObjectNode().put("x", 1);

    var result = kit.runCommand(new Dispatch(K1, "test/echo", params, 30_000L));

    assertTrue(result.hasNoEvents());
    assertEquals(new ExecuteTask(K1, "test/echo", params, 30_000L), newer.receiveMessage());
    // A heartbeat of the older connection still on its way does not take the provider back.
    kit.runCommand(new Heartbeat(runtime.getRef()));
    reserve(kit, K2, "test/echo");
    kit.runCommand(new Dispatch(K2, "test/echo", params, null));
    assertEquals(new ExecuteTask(K2, "test/echo", params, null), newer.receiveMessage());
    runtime.expectNoMessage(QUIET);
  }

  /**
   * A worker back on a new connection is sent its attempts again, and each attempt's workflow is asked whether it
   * still wants it: its outcome may have reached the workflow through the old connection while the slot's release
   * was lost with that connection's node (round 18: the slot stayed taken for good).
   */
  @Test
  void shouldSendHeldAttemptsToANewConnectionAndAskTheirWorkflowsWhetherTheyAreStillWanted() {
    var kit = connected(2);
    reserve(kit, K1, "test/echo");
    var params = Json.MAPPER.createObjectNode().put("x", 1);
    kit.runCommand(new Dispatch(K1, "test/echo", params, null));
    assertEquals(new ExecuteTask(K1, "test/echo", params, null), runtime.receiveMessage());
    TestProbe<RuntimeCommand> newer = testKit.createTestProbe();

    kit.runCommand(new Heartbeat(newer.getRef()));

    assertEquals(new ExecuteTask(K1, "test/echo", params, null), newer.receiveMessage());
    assertEquals(new SlotHeld("t1", 1, id), wfA.receiveMessage());
  }

  /**
   * A provider that turns unhealthy while its connection looks alive (it is on a node that was just lost) tells
   * that connection to stop, and a worker that connects again is told too (round 18: the cancel was lost with
   * the node, and the worker ran the old attempts beside their reassigned ones).
   */
  @Test
  void shouldTellAWorkerThatConnectsAgainToStopWhatWasHandedBackWhileItsOldConnectionLookedAlive() {
    var kit = connected(2);
    reserve(kit, K1, "test/echo");
    kit.runCommand(new Dispatch(K1, "test/echo", Json.MAPPER.createObjectNode(), null));
    runtime.expectMessageClass(ExecuteTask.class);

    pass(DEADLINE);

    assertEquals(new CancelTask(K1), runtime.receiveMessage(), "the old connection, which may be gone");
    TestProbe<RuntimeCommand> newer = testKit.createTestProbe();
    kit.runCommand(new Heartbeat(newer.getRef()));
    assertEquals(new RuntimeCommand.CancelFromEarlierConnection(K1), newer.receiveMessage());
    newer.expectNoMessage(QUIET);
  }

  @Test
  void shouldBufferADispatchUntilARuntimeAttaches() {
    var kit = connected(2);
    reserve(kit, K1, "test/echo");
    // A restart loses the runtime (it is in memory only) but keeps the reservation.
    kit.restart();
    var params = Json.MAPPER.createObjectNode().put("x", 2);

    kit.runCommand(new Dispatch(K1, "test/echo", params, null));
    runtime.expectNoMessage(QUIET);

    TestProbe<RuntimeCommand> attached = testKit.createTestProbe();
    kit.runCommand(new Heartbeat(attached.getRef()));
    assertEquals(new ExecuteTask(K1, "test/echo", params, null), attached.receiveMessage());
    // Sent once: a further heartbeat of the same runtime does not repeat it.
    kit.runCommand(new Heartbeat(attached.getRef()));
    attached.expectNoMessage(QUIET);
  }

  @Test
  void shouldHandBackADispatchOfAnAttemptItDoesNotHold() {
    var kit = connected(2);

    var result = kit.runCommand(new Dispatch(K1, "test/echo", Json.MAPPER.createObjectNode(), null));

    assertTrue(result.hasNoEvents());
    assertEquals(new ReattachAnswer("t1", 1, id, false, "provider " + id + " no longer holds attempt 1"),
        wfA.receiveMessage());
    runtime.expectNoMessage(QUIET);
  }

  @Test
  void shouldPersistTheSlotChangesDecidedDuringAWriteTogetherInTheOrderTheyWereDecided() throws Exception {
    CountDownLatch burstSent = new CountDownLatch(1);
    // The registration's write is held until the whole burst is in the entity's mailbox: every reservation
    // is then decided while a write is in flight, which is what happens under load.
    String pid = ProviderEntity.persistenceIdOf(id).id();
    try (RecordedWrites recorded = RecordedWrites.of(testKit.system(), pid, events -> {
      if (events.get(0) instanceof ProviderRegistered) {
        await(burstSent);
      }
    })) {
      List<List<Object>> writes = recorded.writes();
      ActorRef<ProviderCommand> provider = testKit.spawn(behavior());
      TestProbe<RegisterReply> registered = testKit.createTestProbe();
      TestProbe<ReserveReply> replies = testKit.createTestProbe();
      provider.tell(new Register(spec(3, "test/*"), registered.getRef()));
      provider.tell(new Heartbeat(runtime.getRef()));
      List<TaskKey> keys = List.of(K1, K2, K3, new TaskKey("wf-b", "t4", 1));
      keys.forEach(k -> provider.tell(new Reserve(k, "test/echo", replies.getRef())));
      burstSent.countDown();

      registered.receiveMessage();
      List<ReserveReply> answers = replies.receiveSeveralMessages(4);
      assertEquals(keys, answers.stream().map(ReserveReply::key).toList());
      assertEquals(List.of(Reserved.class, Reserved.class, Reserved.class, ProviderCommand.Refused.class),
          answers.stream().map(Object::getClass).toList());
      assertEquals("provider " + id + " is at capacity", ((Refused) answers.get(3)).reason());
      assertEquals(3, answers.get(3).status().load(), "a refusal reports the load decided so far");
      // Replies go out when decided; a query waits for the write.
      TestProbe<ProviderReply> views = testKit.createTestProbe();
      provider.tell(new GetProvider(views.getRef()));
      assertEquals(3, views.receiveMessage().view().load());
      assertEquals(2, writes.size(), "one write for the registration, one for the three reservations");
      assertEquals(List.of(new ProviderEvent.SlotsChanged(id, List.of(
          new TaskAcquired(id, K1, "test/echo", false, T0, 3),
          new TaskAcquired(id, K2, "test/echo", false, T0, 3),
          new TaskAcquired(id, K3, "test/echo", true, T0, 3)))), writes.get(1), "one journal event for the three");
      assertEquals(List.of("provider:registered", "provider:available", "provider:heartbeat", "provider:busy"),
          publishedTypes());

      // A command that is not a slot change waits until the pending ones are persisted; a dispatch does not.
      provider.tell(new Finished(K1, TaskReleased.SUCCEEDED, 10));
      provider.tell(new GetProvider(views.getRef()));
      var params = Json.MAPPER.createObjectNode();
      provider.tell(new Dispatch(K2, "test/echo", params, null));
      assertEquals(new ExecuteTask(K2, "test/echo", params, null), runtime.receiveMessage());
      assertEquals(2, views.receiveMessage().view().load(), "the view comes after the release is persisted");
    }
  }

  @Test
  void shouldWriteTheSlotChangesOfItsDelayTogetherWithTheFirstOne() {
    try (RecordedWrites recorded = RecordedWrites.of(testKit.system(), ProviderEntity.persistenceIdOf(id).id())) {
      List<List<Object>> writes = recorded.writes();
      Duration delay = Duration.ofMillis(10);
      ActorRef<ProviderCommand> provider = testKit.spawn(behavior(delay, UNDISPATCHED_AFTER));
      TestProbe<RegisterReply> registered = testKit.createTestProbe();
      TestProbe<ReserveReply> replies = testKit.createTestProbe();
      provider.tell(new Register(spec(3, "test/*"), registered.getRef()));
      registered.receiveMessage();
      provider.tell(new Heartbeat(runtime.getRef()));

      provider.tell(new Reserve(K1, "test/echo", replies.getRef()));
      assertInstanceOf(Reserved.class, replies.receiveMessage(), "answered before the write");
      provider.tell(new Finished(K1, TaskReleased.SUCCEEDED, 7));
      provider.tell(new Reserve(K2, "test/echo", replies.getRef()));
      assertInstanceOf(Reserved.class, replies.receiveMessage());
      TestProbe<ProviderReply> views = testKit.createTestProbe();
      provider.tell(new GetProvider(views.getRef()));
      views.expectNoMessage(QUIET);
      assertEquals(1, writes.size(), "only the registration is written before the delay");

      pass(delay);

      assertEquals(1, views.receiveMessage().view().load(), "the query waited for the write");
      assertEquals(List.of(new ProviderEvent.SlotsChanged(id, List.of(new TaskAcquired(id, K1, "test/echo", false, T0,
          3), new TaskReleased(id, K1, TaskReleased.SUCCEEDED, 7, false, T0, 3),
          new TaskAcquired(id, K2, "test/echo", false, T0, 3)))), writes.get(1), "one write, one event, for all three");
      assertEquals(2, writes.size());
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      if (!latch.await(10, TimeUnit.SECONDS)) {
        throw new AssertionError("the test never sent its burst");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  // ---------------------------------------------------------------- release and finish

  @Test
  void shouldFreeTheSlotOnReleaseAnnouncingAvailableWhenItWasBusy() {
    var kit = connected(1);
    reserve(kit, K1, "test/echo");
    assertEquals(List.of("provider:busy"), publishedTypes());
    clock.advance(Duration.ofSeconds(1));

    var result = runSettled(kit, new Release(K1, true));

    assertEquals(List.of(new TaskReleased(id, K1, TaskReleased.RELEASED, 0, true, T0.plusSeconds(1), 4)),
        result.events());
    assertEquals(0, result.state().load());
    assertEquals(ProviderStatus.AVAILABLE, result.state().status());
    assertEquals(List.of(), result.state().health.recent(), "a release is not an outcome");
    assertEquals(List.of("provider:available"), publishedTypes());
    assertEquals(new CancelTask(K1), runtime.receiveMessage());
    // The slot is usable again.
    assertInstanceOf(Reserved.class, reserve(kit, K2, "test/echo"));
  }

  /**
   * A workflow that gives an attempt up (its timeout fired during a node's recovery) while the external worker that
   * runs it is away: the worker is told to stop it once it is back (round 14: it ran on beside the next attempt).
   */
  @Test
  void shouldTellAWorkerThatIsBackToStopAnAttemptGivenUpWhileItWasAway() {
    var kit = entity();
    register(kit, spec(2, "test/*"));
    TestProbe<RuntimeCommand> first = testKit.createTestProbe();
    kit.runCommand(new Heartbeat(first.getRef()));
    reserve(kit, K1, "test/echo");
    kit.runCommand(new Dispatch(K1, "test/echo", Json.MAPPER.createObjectNode(), null));
    first.expectMessageClass(ExecuteTask.class);
    first.stop(); // the worker's connection closed
    first.awaitAssert(() -> {
      assertFalse(view(kit).connected());
      return null;
    });

    runSettled(kit, new Release(K1, true));
    TestProbe<RuntimeCommand> second = testKit.createTestProbe();
    kit.runCommand(new Heartbeat(second.getRef()));

    assertEquals(new RuntimeCommand.CancelFromEarlierConnection(K1), second.receiveMessage());
    second.expectNoMessage(QUIET); // no longer held: not sent again
    kit.runCommand(new Heartbeat(second.getRef()));
    second.expectNoMessage(QUIET); // told once
  }

  @Test
  void shouldRecordOutcomesOfFinishedAttemptsInTheHealth() {
    var kit = connected(3);
    reserve(kit, K1, "test/echo");
    reserve(kit, K2, "test/echo");

    var ok = runSettled(kit, new Finished(K1, TaskReleased.SUCCEEDED, 100));
    var failed = runSettled(kit, new Finished(K2, TaskReleased.FAILED, 300));

    assertEquals(List.of(new TaskReleased(id, K1, TaskReleased.SUCCEEDED, 100, false, T0, 3)), ok.events());
    assertEquals(List.of(new TaskReleased(id, K2, TaskReleased.FAILED, 300, false, T0, 3)), failed.events());
    assertEquals(List.of(), publishedTypes(), "a provider that was never busy announces nothing");
    ProviderHealth health = failed.state().health;
    assertEquals(List.of(new ProviderHealth.Outcome(true, 100), new ProviderHealth.Outcome(false, 300)),
        health.recent());
    ProviderView view = view(kit);
    assertEquals(0.5, view.successRate());
    assertEquals(200.0, view.averageLatencyMs());
    assertEquals(HealthScore.of(health, 3), view.healthScore(), 1e-9);
    assertTrue(view.healthScore() < 1.0);
    assertEquals(0, view.load());

    var unknown = runSettled(kit, new Finished(K3, TaskReleased.SUCCEEDED, 5));
    assertEquals(List.of(), unknown.events(), "an attempt it does not hold changes nothing");
  }

  /**
   * An attempt its workflow gave up after the task's timeout is the provider's failure, at the time it held it: a
   * provider that accepted work and never answered kept a perfect score and was preferred (round 17).
   */
  @Test
  void shouldCountATimedOutAttemptAsAFailureInTheHealth() {
    var kit = connected(3);
    reserve(kit, K1, "test/echo");
    clock.advance(Duration.ofMillis(1500));

    var timedOut = runSettled(kit, new Release(K1, true, true));

    assertEquals(List.of(new TaskReleased(id, K1, TaskReleased.TIMED_OUT, 1500, false, T0.plusMillis(1500), 3)),
        timedOut.events());
    assertEquals(List.of(new ProviderHealth.Outcome(false, 1500)), timedOut.state().health.recent());
    assertTrue(view(kit).healthScore() < 0.5, "score " + view(kit).healthScore());
    assertEquals(new CancelTask(K1), runtime.receiveMessage());
  }

  /** An attempt refused before the provider did any work (bad params) is the request's fault (round 16). */
  @Test
  void shouldNotCountARefusedAttemptInTheHealth() {
    var kit = connected(3);
    reserve(kit, K1, "test/echo");

    var refused = runSettled(kit, new Finished(K1, TaskReleased.REFUSED, 2));

    assertEquals(List.of(new TaskReleased(id, K1, TaskReleased.REFUSED, 2, false, T0, 3)), refused.events());
    assertEquals(List.of(), refused.state().health.recent());
    assertEquals(1.0, view(kit).healthScore(), 1e-9);
  }

  @Test
  void shouldRecordAReportItsRuntimeGaveUpOnAsADeadLetterFreeTheSlotAndHandTheAttemptBack() {
    var kit = connected(1);
    reserve(kit, K1, "test/echo");
    assertEquals(List.of("provider:busy"), publishedTypes());
    clock.advance(Duration.ofSeconds(1));
    Instant at = T0.plusSeconds(1);

    var result = kit.runCommand(new ProviderCommand.ReportGivenUp(K1, "not acknowledged after 10 deliveries", 250));

    assertEquals(List.of(new ProviderEvent.ReportUndeliverable(id, K1, "not acknowledged after 10 deliveries", at, 4),
        new TaskReleased(id, K1, TaskReleased.FAILED, 250, true, at, 5)), result.events(),
        "the dead letter and the freed slot, in one write");
    assertEquals(0, result.state().load());
    assertEquals(List.of(new ProviderHealth.Outcome(false, 250)), result.state().health.recent());
    EventEnvelope deadLetter = published.get(0);
    assertEquals(List.of("dead_letter:added", "provider:available"), publishedTypes());
    assertEquals(4, deadLetter.sequenceNumber());
    assertEquals("wf-a", deadLetter.workflowId());
    assertEquals("t1", deadLetter.taskId());
    assertEquals(id, deadLetter.providerId());
    assertEquals("report", deadLetter.payload().get("kind").asText());
    assertEquals(1, deadLetter.payload().get("attempt").asInt());
    assertEquals("not acknowledged after 10 deliveries", deadLetter.payload().get("reason").asText());

    // The attempt is handed back: a workflow that hears it runs the task again as a new attempt.
    ReattachAnswer handBack = assertInstanceOf(ReattachAnswer.class, wfA.receiveMessage());
    assertEquals(new ReattachAnswer("t1", 1, id, false, "provider " + id + " could not deliver the outcome of"
        + " attempt 1: not acknowledged after 10 deliveries"), handBack);
    otherWorkflows.expectNoMessage(QUIET);
    assertInstanceOf(Reserved.class, reserve(kit, K2, "test/echo"), "the slot is free again");

    // A report given up for an attempt it no longer holds is still a dead letter, and frees nothing.
    var notHeld = kit.runCommand(new ProviderCommand.ReportGivenUp(K3, "late", 0));
    assertEquals(List.of(new ProviderEvent.ReportUndeliverable(id, K3, "late", at, 7)), notHeld.events());
    assertEquals(1, notHeld.state().load());
    assertEquals(2, journal(kit).stream().filter(ProviderEvent.ReportUndeliverable.class::isInstance).count());

    var restarted = kit.restart();
    assertEquals(7, restarted.state().lastSequence, "the dead letters replay");
  }

  // ---------------------------------------------------------------- heartbeats and the deadline

  @Test
  void shouldTurnUnhealthyAfterThreeSilentIntervalsAndHandBackEveryHeldAttempt() {
    var kit = connected(4);
    reserve(kit, K1, "test/echo");
    reserve(kit, K2, "test/echo");

    pass(INTERVAL);
    ProviderView oneMissed = view(kit);
    assertEquals(2.0 / 3, oneMissed.healthScore(), 1e-9, "each missed heartbeat takes its share of the score");
    pass(DEADLINE.minus(INTERVAL).minusMillis(1));
    assertFalse(kit.getState().unhealthy, "1 ms before the deadline the provider is still healthy");
    wfA.expectNoMessage(QUIET);

    pass(Duration.ofMillis(1));

    assertTrue(kit.getState().unhealthy);
    assertEquals(new ReattachAnswer("t1", 1, id, false, "provider " + id + " missed 3 heartbeats"),
        wfA.receiveMessage());
    assertEquals(new ReattachAnswer("t2", 1, id, false, "provider " + id + " missed 3 heartbeats"),
        wfB.receiveMessage());
    Object last = journal(kit).get(journal(kit).size() - 1);
    assertEquals(new ProviderMarkedUnhealthy(id, 3, List.of(K1, K2), T0.plus(DEADLINE), 3), last);
    ProviderState state = kit.getState();
    assertEquals(0, state.load());
    assertEquals(List.of(K1, K2), state.handedBack);
    assertEquals(List.of(), state.health.recent(), "lost attempts are not outcomes: a provider that is back must "
        + "get work again (scores only change with outcomes, so a lower one would keep it idle for good)");
    assertEquals(ProviderStatus.UNHEALTHY, state.status());
    assertEquals(List.of(new CancelTask(K1), new CancelTask(K2)), runtime.receiveSeveralMessages(2),
        "a worker still connected stops what was taken from it");
    List<EventEnvelope> envelopes = List.copyOf(published);
    assertEquals(List.of("provider:unhealthy"), publishedTypes());
    assertEquals("error", envelopes.get(0).severity());
    assertEquals(2, envelopes.get(0).payload().get("handed_back").size());
    ProviderView view = view(kit);
    assertEquals(ProviderStatus.UNHEALTHY, view.status());
    assertEquals(0.0, view.healthScore());
    assertFalse(view.connected());

    Refused refused = assertInstanceOf(Refused.class, reserve(kit, K3, "test/echo"));
    assertEquals("provider " + id + " is unhealthy", refused.reason());
    otherWorkflows.expectNoMessage(QUIET);
  }

  @Test
  void shouldRecoverOnAHeartbeatAfterTurningUnhealthy() {
    var kit = connected(2);
    pass(DEADLINE);
    assertTrue(kit.getState().unhealthy);
    published.clear();
    clock.advance(Duration.ofSeconds(2));

    var result = kit.runCommand(new Heartbeat(runtime.getRef()));

    assertEquals(List.of(new ProviderRecovered(id, T0.plus(DEADLINE).plusSeconds(2), 4)), result.events());
    assertFalse(result.state().unhealthy);
    assertEquals(5, result.state().lastSequence);
    assertEquals(List.of("provider:heartbeat", "provider:recovered", "provider:available"), publishedTypes());
    assertInstanceOf(Reserved.class, reserve(kit, K1, "test/echo"));
    // Recovery re-arms the deadline: silence after it makes the provider unhealthy again.
    pass(DEADLINE);
    assertTrue(kit.getState().unhealthy);
    assertEquals(new ReattachAnswer("t1", 1, id, false, "provider " + id + " missed 3 heartbeats"),
        wfA.receiveMessage());
  }

  @Test
  void shouldStayHealthyWhileHeartbeatsArriveWithinTheDeadline() {
    var kit = connected(2);
    reserve(kit, K1, "test/echo");
    Duration step = INTERVAL.multipliedBy(2);

    for (int i = 0; i < 6; i++) { // 60 s in all, four times the deadline
      pass(step);
      kit.runCommand(new Heartbeat(runtime.getRef()));
    }

    assertFalse(kit.getState().unhealthy);
    assertTrue(kit.getState().holds(K1));
    assertEquals(1.0, view(kit).healthScore(), 1e-9);
    assertTrue(journal(kit).stream().noneMatch(e -> e instanceof ProviderMarkedUnhealthy));
    assertEquals(6, publishedTypes().stream().filter("provider:heartbeat"::equals).count());
    wfA.expectNoMessage(QUIET);
    // The deadline counts from the last heartbeat.
    pass(DEADLINE.minusMillis(1));
    assertFalse(kit.getState().unhealthy);
    pass(Duration.ofMillis(1));
    assertTrue(kit.getState().unhealthy);
  }

  @Test
  void shouldIgnoreADeadlineMessageThatComesBeforeTheDeadline() {
    var kit = connected(2);
    pass(INTERVAL);

    var early = kit.runCommand(HeartbeatDeadline.INSTANCE);

    assertTrue(early.hasNoEvents());
    assertFalse(early.state().unhealthy);
    // The real deadline still holds: 15 s after the last heartbeat, not 15 s after the early message.
    pass(DEADLINE.minus(INTERVAL));
    assertTrue(kit.getState().unhealthy);
  }

  @Test
  void shouldGiveANewRegistrationOneDeadlineToConnect() {
    var kit = entity();
    register(kit, spec(1, "test/*"));
    published.clear();

    pass(DEADLINE.minusMillis(1));
    assertFalse(kit.getState().unhealthy);
    pass(Duration.ofMillis(1));

    assertTrue(kit.getState().unhealthy);
    assertEquals(List.of(new ProviderRegistered(id, spec(1, "test/*"), false, T0, 1),
        new ProviderMarkedUnhealthy(id, 3, List.of(), T0.plus(DEADLINE), 3)), journal(kit));
    assertEquals(List.of("provider:unhealthy"), publishedTypes());
  }

  @Test
  void shouldPublishEveryHeartbeatOnTheLiveStreamOnly() {
    var kit = connected(2);
    reserve(kit, K1, "test/echo");

    var result = kit.runCommand(new Heartbeat(runtime.getRef()));

    assertTrue(result.hasNoEvents(), "heartbeats are not persisted");
    assertEquals(1, published.size());
    EventEnvelope beat = published.get(0);
    assertEquals("provider:heartbeat", beat.eventType());
    assertNull(beat.sequenceNumber());
    assertEquals("debug", beat.severity());
    assertEquals(id, beat.providerId());
    assertEquals(1, beat.payload().get("load").asInt());
    assertEquals(ProviderStatus.AVAILABLE, beat.payload().get("status").asText());
  }

  @Test
  void shouldReannounceItsStatusWithEveryHeartbeat() {
    var kit = connected(2);
    reserve(kit, K1, "test/echo");
    drainStatuses();

    kit.runCommand(new Heartbeat(runtime.getRef()));
    kit.runCommand(new Heartbeat(runtime.getRef()));

    // A coordinator that missed every earlier announcement learns of the provider from the next heartbeat.
    for (int i = 0; i < 2; i++) {
      ProviderStatus status = nextStatus();
      assertEquals(1, status.load());
      assertTrue(status.connected());
      assertTrue(status.accepting());
    }
  }

  // ---------------------------------------------------------------- deregistration

  @Test
  void shouldHandBackHeldAttemptsOnDeregistration() {
    var kit = connected(2);
    reserve(kit, K1, "test/echo");
    reserve(kit, K2, "test/echo");
    published.clear();

    var result = kit.<ProviderReply>runCommand(Deregister::new);

    assertEquals(ProviderStatus.DEREGISTERED, result.reply().view().status());
    assertEquals(List.of(new ProviderDeregistered(id, List.of(K1, K2), T0, 4)), result.events());
    assertTrue(result.state().deregistered);
    assertEquals(0, result.state().load());
    List<EventEnvelope> envelopes = List.copyOf(published);
    assertEquals(List.of("provider:deregistered"), publishedTypes());
    assertEquals(2, envelopes.get(0).payload().get("handed_back").size());
    assertEquals(List.of(new CancelTask(K1), new CancelTask(K2),
        new RuntimeCommand.Detach("provider " + id + " was deregistered")), runtime.receiveSeveralMessages(3));
    assertEquals(new ReattachAnswer("t1", 1, id, false, "provider " + id + " was deregistered"), wfA.receiveMessage());
    assertEquals(new ReattachAnswer("t2", 1, id, false, "provider " + id + " was deregistered"), wfB.receiveMessage());

    Refused refused = assertInstanceOf(Refused.class, reserve(kit, K3, "test/echo"));
    assertEquals("provider " + id + " is deregistered", refused.reason());
    var beat = kit.runCommand(new Heartbeat(runtime.getRef()));
    assertTrue(beat.hasNoEvents());
    assertEquals(List.of(), publishedTypes(), "a deregistered provider's heartbeats are ignored");
    assertTrue(kit.<ProviderReply>runCommand(Deregister::new).hasNoEvents(), "deregistering twice changes nothing");
    // No deadline watches a deregistered provider.
    pass(DEADLINE.multipliedBy(2));
    assertFalse(kit.getState().unhealthy);
    assertEquals(4, journal(kit).size());
  }

  @Test
  void shouldRegisterAfreshAfterDeregistration() {
    var kit = connected(2);
    kit.<ProviderReply>runCommand(Deregister::new);
    clock.advance(Duration.ofSeconds(3));

    var again = kit.<RegisterReply>runCommand(replyTo -> new Register(spec(2, "test/*", "llm/generate"), replyTo));

    assertTrue(again.reply().created());
    assertEquals(List.of(new ProviderRegistered(id, spec(2, "test/*", "llm/generate"), false, T0.plusSeconds(3), 4)),
        again.events());
    assertFalse(again.state().deregistered);
    assertEquals(T0.plusSeconds(3), again.state().registeredAt);
    assertEquals(ProviderStatus.AVAILABLE, again.reply().view().status());
  }

  // ---------------------------------------------------------------- recovery

  @Test
  void shouldKeepHeldAttemptsAcrossARestartAndWatchTheHeartbeatAgain() {
    var kit = connected(3);
    reserve(kit, K1, "test/echo");
    reserve(kit, K2, "llm/generate");
    pass(Duration.ofSeconds(10));

    var restarted = kit.restart();

    // Each workflow is asked whether it still wants its attempt (it frees the slot if not).
    assertEquals(new SlotHeld("t1", 1, id), wfA.receiveMessage());
    assertEquals(new SlotHeld("t2", 1, id), wfB.receiveMessage());
    ProviderState state = restarted.state();
    assertEquals(List.of(K1, K2), state.heldKeys());
    assertEquals(spec(3, "test/*", "llm/generate"), state.spec);
    assertFalse(state.unhealthy);
    assertEquals(2, state.lastSequence);
    ProviderView view = view(kit);
    assertFalse(view.connected(), "the runtime is in memory only");
    assertEquals(2, view.load());
    // The restarted entity gives its runtime a whole deadline from the restart, then hands everything back.
    pass(DEADLINE.minusMillis(1));
    assertFalse(kit.getState().unhealthy);
    wfA.expectNoMessage(QUIET);
    pass(Duration.ofMillis(1));
    assertTrue(kit.getState().unhealthy);
    assertEquals(new ReattachAnswer("t1", 1, id, false, "provider " + id + " missed 3 heartbeats"),
        wfA.receiveMessage());
    assertEquals(new ReattachAnswer("t2", 1, id, false, "provider " + id + " missed 3 heartbeats"),
        wfB.receiveMessage());
  }

  /**
   * A built-in provider's runtime lives in the node's process: after a restart of its entity (a crashed node) none
   * of its attempts runs any more, so each is freed and handed back at once, to run again as a new attempt (SPEC
   * §3) rather than be sent again under the same number, as an external worker's would be.
   */
  @Test
  void shouldHandBackAndFreeABuiltInProvidersAttemptsWhenItRestartsAndItsRuntimeStartedAfresh() {
    var kit = builtInHoldingK1AndK2();

    var restarted = kit.restart();
    wfA.expectNoMessage(QUIET); // nothing is decided before the runtime says what it holds
    var params = Json.MAPPER.createObjectNode();
    kit.runCommand(new Dispatch(K1, "test/echo", params, null)); // the workflow's re-dispatch waits for that too
    TestProbe<RuntimeCommand> fresh = testKit.createTestProbe(); // the node's new runtime, after a crash
    kit.runCommand(new Heartbeat(fresh.getRef()));
    RuntimeCommand.ReportHeld asked = fresh.expectMessageClass(RuntimeCommand.ReportHeld.class);
    assertEquals(List.of(K1, K2), asked.keys());
    kit.runCommand(new ProviderCommand.RuntimeHolds(fresh.getRef(), List.of()));

    String reason = "provider " + id + " restarted: attempt 1 stopped with it";
    assertEquals(new ReattachAnswer("t1", 1, id, false, reason), wfA.receiveMessage());
    assertEquals(new ReattachAnswer("t2", 1, id, false, reason), wfB.receiveMessage());
    fresh.expectNoMessage(QUIET); // not run again under the same attempt
    pass(Duration.ofSeconds(1)); // the slot-write delay: the releases are written as one group
    assertEquals(List.of(), kit.getState().heldKeys());
    assertEquals(0, view(kit).load());
    assertFalse(restarted.state().unhealthy);
  }

  /** A built-in provider's entity whose runtime has taken K1 and K2. */
  private EventSourcedBehaviorTestKit<ProviderCommand, ProviderEvent, ProviderState> builtInHoldingK1AndK2() {
    var kit = entity();
    register(kit, new ProviderSpec(id, "test", List.of("test/*"), 3, Map.of()));
    kit.runCommand(new Heartbeat(runtime.getRef()));
    reserve(kit, K1, "test/echo");
    reserve(kit, K2, "test/echo");
    return kit;
  }

  /** Shards move between nodes: a built-in provider's entity restarts elsewhere while its runtime runs on. */
  @Test
  void shouldKeepABuiltInProvidersAttemptsWhenItMovedAndItsRuntimeStillRunsThem() {
    var kit = builtInHoldingK1AndK2();

    kit.restart();
    var params = Json.MAPPER.createObjectNode();
    kit.runCommand(new Dispatch(K1, "test/echo", params, null));
    kit.runCommand(new Heartbeat(runtime.getRef()));
    assertEquals(List.of(K1, K2), runtime.expectMessageClass(RuntimeCommand.ReportHeld.class).keys());
    kit.runCommand(new ProviderCommand.RuntimeHolds(runtime.getRef(), List.of(K1)));

    assertEquals(new ExecuteTask(K1, "test/echo", params, null), runtime.receiveMessage(),
        "the waiting re-dispatch goes on; a runtime that runs the attempt ignores it");
    String reason = "provider " + id + " restarted: attempt 1 stopped with it";
    assertEquals(new ReattachAnswer("t2", 1, id, false, reason), wfB.receiveMessage(), "K2 it no longer holds");
    wfA.expectNoMessage(QUIET);
    pass(Duration.ofSeconds(1));
    assertEquals(List.of(K1), kit.getState().heldKeys());
    kit.runCommand(new Heartbeat(runtime.getRef()));
    runtime.expectNoMessage(QUIET); // nothing left to ask
  }

  @Test
  void shouldAskTheWorkflowOfAReservationNeverDispatchedWhetherItStillWantsItUntilItIsDispatched() {
    var kit = EventSourcedBehaviorTestKit.<ProviderCommand, ProviderEvent, ProviderState>create(testKit.system(),
        behavior(Duration.ZERO, Duration.ofSeconds(5)));
    register(kit, spec(3, "test/*"));
    kit.runCommand(new Heartbeat(runtime.getRef()));
    reserve(kit, K1, "test/echo");
    pass(Duration.ofSeconds(2));
    reserve(kit, K2, "test/echo");
    kit.runCommand(new Dispatch(K2, "test/echo", Json.MAPPER.createObjectNode(), null));

    pass(Duration.ofSeconds(3));
    assertEquals(new SlotHeld("t1", 1, id), wfA.receiveMessage(), "K1 went 5 s without its dispatch");
    reserve(kit, K3, "test/echo");
    pass(Duration.ofSeconds(5).minusMillis(1));
    wfA.expectNoMessage(QUIET);
    pass(Duration.ofMillis(1));
    // K1 again: the first question may have gone to a node that had just died (its slot stayed taken for good).
    assertEquals(new SlotHeld("t1", 1, id), wfA.receiveMessage(), "K1 still not dispatched 5 s after the question");
    assertEquals(new SlotHeld("t3", 2, id), wfA.receiveMessage());

    kit.runCommand(new Dispatch(K1, "test/echo", Json.MAPPER.createObjectNode(), null));
    kit.runCommand(new Dispatch(K3, "test/echo", Json.MAPPER.createObjectNode(), null));
    kit.runCommand(new Heartbeat(runtime.getRef()));
    pass(Duration.ofSeconds(12));
    wfA.expectNoMessage(QUIET); // dispatched: no more questions
    wfB.expectNoMessage(QUIET); // K2 was dispatched
    assertEquals(3, view(kit).load(), "asking frees nothing by itself");
  }

  @Test
  void shouldReannounceHandBacksWhenRestartedWhileUnhealthy() {
    var kit = connected(3);
    reserve(kit, K1, "test/echo");
    pass(DEADLINE);
    assertTrue(kit.getState().unhealthy);
    wfA.receiveMessage();

    var restarted = kit.restart();

    assertTrue(restarted.state().unhealthy);
    assertEquals(List.of(K1), restarted.state().handedBack);
    assertEquals(new ReattachAnswer("t1", 1, id, false, "provider " + id + " is unhealthy"), wfA.receiveMessage());
    // A heartbeat after the restart still recovers it.
    var beat = kit.runCommand(new Heartbeat(runtime.getRef()));
    assertInstanceOf(ProviderRecovered.class, beat.event());
  }

  // ---------------------------------------------------------------- questions

  @Test
  void shouldAnswerCheckHeldToTheWorkflow() {
    var kit = connected(2);
    reserve(kit, K1, "test/echo");

    kit.runCommand(new CheckHeld(K1));
    assertEquals(new ReattachAnswer("t1", 1, id, true, null), wfA.receiveMessage());

    kit.runCommand(new CheckHeld(K3));
    assertEquals(new ReattachAnswer("t3", 2, id, false, "provider " + id + " no longer holds attempt 2"),
        wfA.receiveMessage());
  }

  @Test
  void shouldPublishItsStatusWhenACoordinatorAsks() {
    var kit = connected(2);
    reserve(kit, K1, "test/echo");
    @SuppressWarnings("unchecked")
    TopicImpl.Subscribe<PublishStatus> subscribe = assertInstanceOf(TopicImpl.Subscribe.class,
        statusRequests.receiveMessage());
    drainStatuses();

    subscribe.subscriber().tell(PublishStatus.INSTANCE);

    ProviderStatus status = nextStatus();
    assertEquals(id, status.id());
    assertEquals(1, status.load());
    assertTrue(status.connected());
    assertTrue(status.accepting());
    assertEquals(1.0, status.healthScore(), 1e-9);
  }

  @Test
  void shouldPassivateWhenIdleOnlyIfNotRegistered() {
    var kit = connected(2);
    kit.runCommand(Idle.INSTANCE);
    passivations.expectNoMessage(QUIET);

    kit.<ProviderReply>runCommand(Deregister::new);
    kit.runCommand(Idle.INSTANCE);
    assertNotNull(passivations.receiveMessage());
  }
}
