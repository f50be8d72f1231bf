package io.gleitzeit.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.typesafe.config.ConfigFactory;
import io.gleitzeit.domain.Priority;
import io.gleitzeit.domain.ProviderSpec;
import io.gleitzeit.provider.CoordinatorCommand.RequestAssignment;
import io.gleitzeit.provider.ProviderCommand.PublishStatus;
import io.gleitzeit.provider.ProviderCommand.Refused;
import io.gleitzeit.provider.ProviderCommand.Reserve;
import io.gleitzeit.provider.ProviderCommand.Reserved;
import io.gleitzeit.workflow.WorkflowCommand;
import io.gleitzeit.workflow.WorkflowCommand.AssignmentGranted;
import io.gleitzeit.workflow.WorkflowCommand.AssignmentWaiting;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.internal.pubsub.TopicImpl;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The assignment coordinator between probes: workflows and provider entities are probes, and provider
 * statuses are fed to the adapter it subscribes to the status topic, the way provider entities publish them.
 */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AssignmentCoordinatorTest {

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ConfigFactory.load("application-test")).build();

  /** How long a probe is watched to show that nothing arrives. */
  private static final Duration QUIET = Duration.ofMillis(150);

  private TestProbe<WorkflowCommand> workflows;
  private final Map<String, TestProbe<ProviderCommand>> providers = new HashMap<>();
  private TestProbe<Topic.Command<ProviderStatus>> statusTopic;
  private TestProbe<Topic.Command<PublishStatus>> statusRequests;
  private ActorRef<AssignmentCoordinator.Message> coordinator;
  /** Where the coordinator listens for provider statuses: the adapter it subscribed to the status topic. */
  private ActorRef<ProviderStatus> statuses;

  @BeforeEach
  void start() {
    start(Duration.ofSeconds(5));
  }

  @SuppressWarnings("unchecked")
  private void start(Duration askTimeout) {
    workflows = testKit.createTestProbe();
    statusTopic = testKit.createTestProbe();
    statusRequests = testKit.createTestProbe();
    Map<String, TestProbe<ProviderCommand>> probes = new HashMap<>();
    for (String id : List.of("p1", "p2", "p3", "pinned")) {
      probes.put(id, testKit.createTestProbe());
    }
    providers.clear();
    providers.putAll(probes);
    TestProbe<WorkflowCommand> wf = workflows;
    coordinator = testKit.spawn(AssignmentCoordinator.create(id -> wf.getRef(), id -> probes.get(id).getRef(),
        statusTopic.getRef(), statusRequests.getRef(), askTimeout));
    TopicImpl.Subscribe<ProviderStatus> subscribe = assertInstanceOf(TopicImpl.Subscribe.class,
        statusTopic.receiveMessage());
    statuses = subscribe.subscriber();
  }

  private static ProviderStatus status(String id, double score, int load, int max, String... methods) {
    String word = load >= max ? ProviderStatus.BUSY : ProviderStatus.AVAILABLE;
    return new ProviderStatus(spec(id, max, methods), word, score, load, true, 1);
  }

  private static ProviderSpec spec(String id, int max, String... methods) {
    return new ProviderSpec(id, "external", List.of(methods.length == 0 ? new String[] {"test/*"} : methods), max,
        Map.of());
  }

  private static TaskKey key(String task) {
    return new TaskKey("wf-1", task, 1);
  }

  private void request(String task, String method, Priority priority, String pinned) {
    coordinator.tell(new RequestAssignment(key(task), method, priority, pinned));
  }

  private void request(String task) {
    request(task, "test/echo", Priority.NORMAL, null);
  }

  private TestProbe<ProviderCommand> provider(String id) {
    return providers.get(id);
  }

  /** The reservation a provider receives next; fails when it is not for {@code task}. */
  private Reserve expectReserve(String providerId, String task) {
    Reserve reserve = provider(providerId).expectMessageClass(Reserve.class);
    assertEquals(key(task), reserve.key());
    return reserve;
  }

  private void expectNoReservation(String... providerIds) {
    for (String id : providerIds) {
      provider(id).expectNoMessage(QUIET);
    }
  }

  private void grant(Reserve reserve, ProviderStatus after) {
    reserve.replyTo().tell(new Reserved(reserve.key(), after));
  }

  @Test
  void shouldAskEveryProviderForItsStatusWhenItStarts() {
    assertEquals(Topic.publish(PublishStatus.INSTANCE), statusRequests.receiveMessage());
  }

  @Test
  void shouldReserveAtTheHealthierOfTwoProvidersWithRoomAndGrantIt() {
    statuses.tell(status("p1", 0.6, 0, 4));
    statuses.tell(status("p2", 0.9, 0, 4));

    request("a");

    Reserve reserve = expectReserve("p2", "a");
    assertEquals("test/echo", reserve.method());
    expectNoReservation("p1");
    grant(reserve, status("p2", 0.9, 1, 4));
    assertEquals(new AssignmentGranted("a", 1, "p2"), workflows.receiveMessage());
  }

  /** A cancelled task's waiting request is withdrawn: it took the next free slot for nothing (round 15). */
  @Test
  void shouldForgetAWithdrawnRequestThatWaitsForRoom() {
    statuses.tell(status("p1", 1.0, 1, 1));
    request("a");
    request("b");
    assertEquals(new AssignmentWaiting("a", 1, "every provider serving test/echo is at capacity"),
        workflows.receiveMessage());
    workflows.receiveMessage(); // b waits too

    coordinator.tell(new CoordinatorCommand.WithdrawRequest(key("a")));
    statuses.tell(status("p1", 1.0, 0, 1));

    expectReserve("p1", "b");
  }

  @Test
  void shouldPreferAProviderWithRoomOverAHealthierFullOne() {
    statuses.tell(status("p1", 0.5, 0, 4));
    statuses.tell(status("p2", 1.0, 4, 4));

    request("a");

    expectReserve("p1", "a");
    expectNoReservation("p2");
  }

  @Test
  void shouldSendPinnedRequestsOnlyToThePinnedProvider() {
    statuses.tell(status("p1", 1.0, 0, 4));
    statuses.tell(status("p2", 0.3, 0, 4));

    request("a", "test/echo", Priority.NORMAL, "p2");

    expectReserve("p2", "a");
    expectNoReservation("p1");
  }

  @Test
  void shouldKeepAPinnedRequestWaitingUntilItsProviderAppears() {
    statuses.tell(status("p1", 1.0, 0, 4));

    request("a", "test/echo", Priority.NORMAL, "pinned");

    assertEquals(new AssignmentWaiting("a", 1, "pinned provider pinned is not registered"),
        workflows.receiveMessage());
    expectNoReservation("p1");
    statuses.tell(status("pinned", 0.2, 0, 1));
    expectReserve("pinned", "a");
    expectNoReservation("p1");
  }

  /** An unhealthy provider whose status says it is no longer connected too: the reason is that it is unhealthy. */
  @Test
  void shouldSayAPinnedProviderIsUnhealthyRatherThanNotConnected() {
    statuses.tell(new ProviderStatus(spec("pinned", 2), ProviderStatus.UNHEALTHY, 0.0, 0, false, 3));

    request("a", "test/echo", Priority.NORMAL, "pinned");

    assertEquals(new AssignmentWaiting("a", 1, "pinned provider pinned is unhealthy"), workflows.receiveMessage());
  }

  @Test
  void shouldWaitForAProviderOfTheMethodAndReserveTheMomentOneShowsUp() {
    statuses.tell(status("p1", 1.0, 0, 4, "test/*"));

    request("gen", "llm/generate", Priority.NORMAL, null);

    assertEquals(new AssignmentWaiting("gen", 1, "no healthy provider serves llm/generate"),
        workflows.receiveMessage());
    expectNoReservation("p1");
    statuses.tell(status("p3", 1.0, 0, 1, "llm/*"));
    Reserve reserve = expectReserve("p3", "gen");
    assertEquals("llm/generate", reserve.method());
    grant(reserve, status("p3", 1.0, 1, 1, "llm/*"));
    assertEquals(new AssignmentGranted("gen", 1, "p3"), workflows.receiveMessage());
  }

  @Test
  void shouldSayEveryProviderIsAtCapacityWhenHealthyOnesServeTheMethodButAreFull() {
    statuses.tell(status("p1", 1.0, 1, 1));

    request("a");

    assertEquals(new AssignmentWaiting("a", 1, "every provider serving test/echo is at capacity"),
        workflows.receiveMessage());
  }

  @Test
  void shouldTellAWaitingTaskAgainWhenWhatItWaitsForChangesButNotWhenOnlyLoadDoes() {
    statuses.tell(status("p1", 1.0, 1, 1));
    request("a");
    assertEquals(new AssignmentWaiting("a", 1, "every provider serving test/echo is at capacity"),
        workflows.receiveMessage());

    statuses.tell(status("p1", 0.9, 1, 2)); // another spec (more room), still full: the same reason
    Reserve reserve = expectReserve("p1", "a");
    reserve.replyTo().tell(new ProviderCommand.Refused(reserve.key(), "full", status("p1", 0.9, 2, 2)));
    statuses.tell(status("p1", 0.8, 2, 2));
    workflows.expectNoMessage(QUIET);

    statuses.tell(new ProviderStatus(spec("p1", 2), ProviderStatus.UNHEALTHY, 0.0, 2, true, 3));
    assertEquals(new AssignmentWaiting("a", 1, "no healthy provider serves test/echo"), workflows.receiveMessage());
    statuses.tell(new ProviderStatus(spec("p1", 2), ProviderStatus.DEREGISTERED, 0.0, 0, false, 4));
    workflows.expectNoMessage(QUIET);
  }

  @Test
  void shouldHandOutWaitingRequestsHighestPriorityFirstAsSlotsFree() {
    statuses.tell(status("p1", 1.0, 1, 1));
    request("low", "test/echo", Priority.LOW, null);
    request("normal", "test/echo", Priority.NORMAL, null);
    request("urgent", "test/echo", Priority.URGENT, null);
    request("high", "test/echo", Priority.HIGH, null);
    request("normal2", "test/echo", Priority.NORMAL, null);
    for (int i = 0; i < 5; i++) {
      assertInstanceOf(AssignmentWaiting.class, workflows.receiveMessage());
    }
    expectNoReservation("p1");

    List<String> order = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      statuses.tell(status("p1", 1.0, 0, 1)); // a slot frees
      Reserve reserve = provider("p1").expectMessageClass(Reserve.class);
      order.add(reserve.key().taskId());
      provider("p1").expectNoMessage(QUIET); // one slot, one reservation
      grant(reserve, status("p1", 1.0, 1, 1));
      assertEquals(new AssignmentGranted(reserve.key().taskId(), 1, "p1"), workflows.receiveMessage());
    }

    // Equal priorities keep their arrival order.
    assertEquals(List.of("urgent", "high", "normal", "normal2", "low"), order);
  }

  @Test
  void shouldPutARefusedRequestBackAndReserveElsewhere() {
    statuses.tell(status("p1", 1.0, 0, 2));
    statuses.tell(status("p2", 0.5, 0, 2));
    request("a");
    Reserve first = expectReserve("p1", "a");

    // The provider has the last word: it is full after all.
    first.replyTo().tell(new Refused(key("a"), "provider p1 is at capacity", status("p1", 1.0, 2, 2)));

    Reserve second = expectReserve("p2", "a");
    grant(second, status("p2", 0.5, 1, 2));
    assertEquals(new AssignmentGranted("a", 1, "p2"), workflows.receiveMessage());
    expectNoReservation("p1");
  }

  @Test
  void shouldForgetAProviderThatSaysItIsNotRegistered() {
    statuses.tell(status("p1", 1.0, 0, 2));
    request("a");
    Reserve first = expectReserve("p1", "a");

    first.replyTo().tell(new Refused(key("a"), "provider p1 is not registered", null));
    statuses.tell(status("p2", 1.0, 0, 1));

    // Seeing this reservation means the refusal was handled (either order of the two messages leads here).
    grant(expectReserve("p2", "a"), status("p2", 1.0, 1, 1));
    assertEquals(new AssignmentGranted("a", 1, "p2"), workflows.receiveMessage());
    // p1 had room but is gone; p2 is full.
    request("b");
    assertEquals(new AssignmentWaiting("b", 1, "every provider serving test/echo is at capacity"),
        workflows.receiveMessage());
    expectNoReservation("p1", "p2");
  }

  /**
   * A repeated request goes to the provider that granted it, whose reservation is idempotent by key: it grants the
   * slot it holds again, or takes it afresh for a workflow id used again after retention removed the first one
   * (round 18: the grant was answered from memory, and the provider, which had released the slot, handed every
   * attempt back unrun).
   */
  @Test
  void shouldConfirmARepeatedRequestAtTheProviderThatGrantedIt() {
    statuses.tell(status("p1", 1.0, 0, 4));
    statuses.tell(status("p2", 1.0, 0, 4));
    request("a");
    Reserve reserve = provider("p1").expectMessageClass(Reserve.class);
    // A repeat while the reservation is in flight is not a second reservation.
    request("a");
    expectNoReservation("p1", "p2");
    grant(reserve, status("p1", 1.0, 1, 4));
    assertEquals(new AssignmentGranted("a", 1, "p1"), workflows.receiveMessage());
    statuses.tell(status("p2", 1.0, 0, 8)); // p2 is now the better choice for a new request

    request("a");

    Reserve again = expectReserve("p1", "a");
    expectNoReservation("p2");
    grant(again, status("p1", 1.0, 1, 4));
    assertEquals(new AssignmentGranted("a", 1, "p1"), workflows.receiveMessage());
    // A new attempt of the same task is a new request.
    coordinator.tell(new RequestAssignment(new TaskKey("wf-1", "a", 2), "test/echo", Priority.NORMAL, null));
    assertEquals(new TaskKey("wf-1", "a", 2), provider("p2").expectMessageClass(Reserve.class).key());
  }

  @Test
  void shouldGiveNothingToUnhealthyDisconnectedOrDeregisteredProviders() {
    statuses.tell(new ProviderStatus(spec("p1", 4), ProviderStatus.UNHEALTHY, 0.0, 0, true, 3));
    statuses.tell(new ProviderStatus(spec("p2", 4), ProviderStatus.AVAILABLE, 1.0, 0, false, 2));
    statuses.tell(new ProviderStatus(spec("p3", 4), ProviderStatus.DEREGISTERED, 0.0, 0, true, 4));

    request("a");

    assertEquals(new AssignmentWaiting("a", 1, "no healthy provider serves test/echo"), workflows.receiveMessage());
    expectNoReservation("p1", "p2", "p3");
    // The disconnected one connects: now it gets the request.
    statuses.tell(new ProviderStatus(spec("p2", 4), ProviderStatus.AVAILABLE, 1.0, 0, true, 2));
    expectReserve("p2", "a");
    expectNoReservation("p1", "p3");
  }

  @Test
  void shouldStopReservingAtAProviderThatTurnsUnhealthy() {
    statuses.tell(status("p1", 1.0, 0, 4));
    statuses.tell(new ProviderStatus(spec("p1", 4), ProviderStatus.UNHEALTHY, 0.0, 0, false, 3));

    request("a");

    assertInstanceOf(AssignmentWaiting.class, workflows.receiveMessage());
    expectNoReservation("p1");
  }

  @Test
  void shouldSpreadLoadByCapacityCountingReservationsInFlight() {
    statuses.tell(status("p1", 1.0, 0, 2));
    statuses.tell(status("p2", 1.0, 0, 1));

    for (String task : List.of("t1", "t2", "t3", "t4")) {
      request(task);
    }

    // No reservation is answered yet, so only the in-flight count keeps a provider from being overfilled.
    List<Reserve> atP1 = reservations("p1");
    List<Reserve> atP2 = reservations("p2");
    assertEquals(List.of("t1", "t3"), atP1.stream().map(r -> r.key().taskId()).toList());
    assertEquals(List.of("t2"), atP2.stream().map(r -> r.key().taskId()).toList());
    assertEquals(new AssignmentWaiting("t4", 1, "every provider serving test/echo is at capacity"),
        workflows.receiveMessage());

    // p2 finishes its task: its slot goes to the waiting request, while p1's two stay counted.
    grant(atP2.get(0), status("p2", 1.0, 1, 1));
    assertEquals(new AssignmentGranted("t2", 1, "p2"), workflows.receiveMessage());
    statuses.tell(status("p2", 1.0, 0, 1));
    expectReserve("p2", "t4");
    expectNoReservation("p1");
  }

  /** Every reservation a provider has received until it stays quiet. */
  private List<Reserve> reservations(String providerId) {
    List<Reserve> all = new ArrayList<>();
    while (true) {
      ProviderCommand next;
      try {
        next = provider(providerId).receiveMessage(QUIET);
      } catch (AssertionError quiet) {
        return all;
      }
      all.add(assertInstanceOf(Reserve.class, next));
    }
  }

  @Test
  void shouldRetryAReservationThatIsNeverAnswered() {
    start(Duration.ofMillis(300));
    statuses.tell(status("p1", 1.0, 0, 1));
    request("a");
    expectReserve("p1", "a");

    // No answer: after the ask timeout the request waits again and, as p1 still shows room, goes out again.
    Reserve again = expectReserve("p1", "a");
    grant(again, status("p1", 1.0, 1, 1));
    assertEquals(new AssignmentGranted("a", 1, "p1"), workflows.receiveMessage());
  }
}
