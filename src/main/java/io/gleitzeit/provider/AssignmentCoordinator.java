package io.gleitzeit.provider;

import io.gleitzeit.domain.HealthScore;
import io.gleitzeit.domain.Priority;
import io.gleitzeit.provider.CoordinatorCommand.RequestAssignment;
import io.gleitzeit.provider.ProviderCommand.PublishStatus;
import io.gleitzeit.provider.ProviderCommand.Refused;
import io.gleitzeit.provider.ProviderCommand.Reserve;
import io.gleitzeit.provider.ProviderCommand.ReserveReply;
import io.gleitzeit.provider.ProviderCommand.Reserved;
import io.gleitzeit.workflow.WorkflowCommand;
import io.gleitzeit.workflow.WorkflowCommand.AssignmentGranted;
import io.gleitzeit.workflow.WorkflowCommand.AssignmentWaiting;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * Matches ready tasks to providers, one coordinator per node. It knows every provider's status from the
 * status topic its entities publish on, picks the healthiest provider with room (health score × free
 * capacity), and reserves the slot at the provider entity, which has the last word. Requests that cannot
 * be served wait, highest priority first, and go out the moment a status update shows room. Everything
 * here is rebuilt from the providers' statuses and the workflows' own requests after a restart.
 */
public final class AssignmentCoordinator extends AbstractBehavior<AssignmentCoordinator.Message> {

  /** Everything the coordinator handles: the public {@link CoordinatorCommand}s and its own messages. */
  public interface Message {}

  private record StatusUpdate(ProviderStatus status) implements Message {}

  private record ReserveAnswered(Waiting request, String providerId, ReserveReply reply, String failure)
      implements Message {}

  private record Waiting(RequestAssignment request, long arrival, long requestedNanos) {}

  private static final Comparator<Waiting> BY_PRIORITY = Comparator
      .comparing((Waiting w) -> w.request().priority() == null ? Priority.NORMAL : w.request().priority())
      .reversed()
      .thenComparingLong(Waiting::arrival);

  /** Grants remembered to answer repeated requests the same way; bounded, as a repeat is rare and cheap. */
  private static final int REMEMBERED_GRANTS = 100_000;

  public static Behavior<Message> create(Function<String, RecipientRef<WorkflowCommand>> workflows,
      Function<String, RecipientRef<ProviderCommand>> providers, ActorRef<Topic.Command<ProviderStatus>> statusTopic,
      ActorRef<Topic.Command<PublishStatus>> statusRequests, Duration askTimeout) {
    return create(workflows, providers, statusTopic, statusRequests, askTimeout, wait -> { });
  }

  /** {@code assignmentWaits} hears how long each granted request waited (a metric). */
  public static Behavior<Message> create(Function<String, RecipientRef<WorkflowCommand>> workflows,
      Function<String, RecipientRef<ProviderCommand>> providers, ActorRef<Topic.Command<ProviderStatus>> statusTopic,
      ActorRef<Topic.Command<PublishStatus>> statusRequests, Duration askTimeout,
      java.util.function.Consumer<Duration> assignmentWaits) {
    return Behaviors.setup(ctx -> new AssignmentCoordinator(ctx, workflows, providers, statusTopic, statusRequests,
        askTimeout, assignmentWaits));
  }

  private final Function<String, RecipientRef<WorkflowCommand>> workflows;
  private final Function<String, RecipientRef<ProviderCommand>> providers;
  private final Duration askTimeout;
  private final java.util.function.Consumer<Duration> assignmentWaits;

  private final Map<String, ProviderStatus> view = new HashMap<>();
  private final Map<String, Integer> reserving = new HashMap<>();
  private final Set<TaskKey> inFlight = new HashSet<>();
  private final Map<TaskKey, Waiting> waitingByKey = new HashMap<>();
  private final TreeSet<Waiting> waiting = new TreeSet<>(BY_PRIORITY);
  /** The reason each waiting request's workflow was last told (its {@code waiting_for}). */
  private final Map<TaskKey, String> toldWhy = new HashMap<>();
  private final Map<TaskKey, String> grants = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<TaskKey, String> eldest) {
      return size() > REMEMBERED_GRANTS;
    }
  };
  private long arrivals;

  private AssignmentCoordinator(ActorContext<Message> ctx, Function<String, RecipientRef<WorkflowCommand>> workflows,
      Function<String, RecipientRef<ProviderCommand>> providers, ActorRef<Topic.Command<ProviderStatus>> statusTopic,
      ActorRef<Topic.Command<PublishStatus>> statusRequests, Duration askTimeout,
      java.util.function.Consumer<Duration> assignmentWaits) {
    super(ctx);
    this.assignmentWaits = assignmentWaits;
    this.workflows = workflows;
    this.providers = providers;
    this.askTimeout = askTimeout;
    statusTopic.tell(Topic.subscribe(ctx.messageAdapter(ProviderStatus.class, StatusUpdate::new)));
    statusRequests.tell(Topic.publish(PublishStatus.INSTANCE));
  }

  @Override
  public Receive<Message> createReceive() {
    return newReceiveBuilder()
        .onMessage(RequestAssignment.class, this::onRequest)
        .onMessage(CoordinatorCommand.WithdrawRequest.class, w -> onWithdraw(w.key()))
        .onMessage(StatusUpdate.class, u -> onStatus(u.status()))
        .onMessage(ReserveAnswered.class, this::onReserveAnswered)
        .build();
  }

  private Behavior<Message> onRequest(RequestAssignment request) {
    TaskKey key = request.key();
    String granted = grants.get(key);
    if (granted != null) {
      // Asked again (the grant was lost): confirmed at the provider that granted it rather than answered from
      // memory. A reservation is idempotent by key, so a provider that still holds the slot grants it again; one
      // that released it long ago takes it afresh: a workflow id used again after retention removed the first
      // asks with the first one's keys (round 18: every attempt was handed back, unrun, until the limit).
      if (!inFlight.contains(key)) {
        reserveAt(new Waiting(request, arrivals++, System.nanoTime()), granted);
      }
    } else if (!inFlight.contains(key) && !waitingByKey.containsKey(key)) {
      Waiting w = new Waiting(request, arrivals++, System.nanoTime());
      if (!tryReserve(w)) {
        enqueue(w);
        tellWhyWaiting(request);
      }
    }
    return this;
  }

  /** A cancelled task's request no longer waits: it would take a slot for nothing once one is free. */
  private Behavior<Message> onWithdraw(TaskKey key) {
    Waiting w = waitingByKey.remove(key);
    if (w != null) {
      waiting.remove(w);
      toldWhy.remove(key);
    }
    return this;
  }

  /** Picks the best provider for the request and asks it for a slot; false when none can take it now. */
  private boolean tryReserve(Waiting w) {
    Optional<ProviderStatus> pick = pick(w.request());
    if (pick.isEmpty()) {
      return false;
    }
    reserveAt(w, pick.get().id());
    return true;
  }

  /** Asks {@code providerId} for a slot for the request; its answer comes as a {@link ReserveAnswered}. */
  private void reserveAt(Waiting w, String providerId) {
    reserving.merge(providerId, 1, Integer::sum);
    inFlight.add(w.request().key());
    RequestAssignment r = w.request();
    getContext().pipeToSelf(
        AskPattern.<ProviderCommand, ReserveReply>ask(providers.apply(providerId),
            replyTo -> new Reserve(r.key(), r.method(), replyTo), askTimeout, getContext().getSystem().scheduler()),
        (reply, failure) -> new ReserveAnswered(w, providerId, reply, failure == null ? null : failure.toString()));
  }

  private Optional<ProviderStatus> pick(RequestAssignment request) {
    List<HealthScore.Candidate<ProviderStatus>> candidates = new ArrayList<>();
    for (ProviderStatus p : view.values()) {
      boolean eligible = request.pinnedProvider() == null || request.pinnedProvider().equals(p.id());
      int load = p.load() + reserving.getOrDefault(p.id(), 0);
      if (eligible && p.accepting() && load < p.spec().maxConcurrency() && p.spec().serves(request.method())) {
        candidates.add(new HealthScore.Candidate<>(p, p.id(), p.healthScore(), load, p.spec().maxConcurrency()));
      }
    }
    return HealthScore.best(candidates);
  }

  private Behavior<Message> onReserveAnswered(ReserveAnswered answer) {
    TaskKey key = answer.request().request().key();
    reserving.computeIfPresent(answer.providerId(), (id, n) -> n > 1 ? n - 1 : null);
    inFlight.remove(key);
    if (answer.reply() != null && answer.reply().status() != null) {
      view.put(answer.providerId(), answer.reply().status());
    } else if (answer.reply() instanceof Refused) {
      view.remove(answer.providerId()); // not registered
    }
    if (answer.reply() instanceof Reserved) {
      grants.put(key, answer.providerId());
      assignmentWaits.accept(Duration.ofNanos(System.nanoTime() - answer.request().requestedNanos()));
      workflows.apply(key.workflowId()).tell(new AssignmentGranted(key.taskId(), key.attempt(), answer.providerId()));
    } else {
      if (answer.failure() != null) {
        getContext().getLog().warn("provider {} did not answer a reservation for {}: {}", answer.providerId(), key,
            answer.failure());
      }
      enqueue(answer.request());
    }
    drain();
    return this;
  }

  private Behavior<Message> onStatus(ProviderStatus status) {
    ProviderStatus before = ProviderStatus.DEREGISTERED.equals(status.status())
        ? view.remove(status.id()) : view.put(status.id(), status);
    drain();
    if (!Objects.equals(whatReasonsSee(before), whatReasonsSee(view.get(status.id())))) {
      // A provider appeared, left, lost its health or changed its methods: what a waiting task waits for may
      // have changed with it (a load change alone leaves every reason as it was, and happens at every slot).
      waiting.forEach(w -> tellWhyWaiting(w.request()));
    }
    return this;
  }

  /** What of a provider's status the reasons of {@link #whyWaiting} depend on: not its load. */
  private static List<Object> whatReasonsSee(ProviderStatus p) {
    return p == null ? null : List.of(p.spec(), p.connected(), p.healthy());
  }

  /** Tells the request's workflow why it waits, unless that is what it was told last. */
  private void tellWhyWaiting(RequestAssignment request) {
    TaskKey key = request.key();
    String why = whyWaiting(request);
    if (!why.equals(toldWhy.put(key, why))) {
      workflows.apply(key.workflowId()).tell(new AssignmentWaiting(key.taskId(), key.attempt(), why));
    }
  }

  private void enqueue(Waiting w) {
    waiting.add(w);
    waitingByKey.put(w.request().key(), w);
  }

  /** Hands out waiting requests, highest priority first, as long as some provider has room. */
  private void drain() {
    for (Iterator<Waiting> it = waiting.iterator(); it.hasNext(); ) {
      Waiting w = it.next();
      if (pick(w.request()).isPresent()) {
        it.remove();
        waitingByKey.remove(w.request().key());
        toldWhy.remove(w.request().key());
        tryReserve(w);
      }
    }
  }

  private String whyWaiting(RequestAssignment request) {
    if (request.pinnedProvider() != null) {
      ProviderStatus pinned = view.get(request.pinnedProvider());
      if (pinned == null) {
        return "pinned provider " + request.pinnedProvider() + " is not registered";
      } else if (!pinned.spec().serves(request.method())) {
        return "pinned provider " + request.pinnedProvider() + " does not serve " + request.method();
      } else if (!pinned.healthy()) {
        // Before "not connected": an unhealthy provider's worker may keep its socket open, silent.
        return "pinned provider " + request.pinnedProvider() + " is " + pinned.status();
      } else if (!pinned.connected()) {
        return "pinned provider " + request.pinnedProvider() + " is not connected";
      }
      return "pinned provider " + request.pinnedProvider() + " is at capacity";
    }
    // A healthy, connected provider that is merely full still serves the method: say so, not "no provider".
    boolean served = view.values().stream()
        .anyMatch(p -> p.spec().serves(request.method()) && p.connected() && p.healthy());
    return served
        ? "every provider serving " + request.method() + " is at capacity"
        : "no healthy provider serves " + request.method();
  }
}
