package io.gleitzeit.provider;

import io.gleitzeit.domain.Priority;
import io.gleitzeit.provider.CoordinatorCommand.CancelAtProvider;
import io.gleitzeit.provider.CoordinatorCommand.Reattach;
import io.gleitzeit.provider.CoordinatorCommand.ReleaseAssignment;
import io.gleitzeit.provider.CoordinatorCommand.RequestAssignment;
import io.gleitzeit.provider.ProviderCommand.Described;
import io.gleitzeit.provider.ProviderCommand.HeldAnswer;
import io.gleitzeit.workflow.WorkflowCommand;
import io.gleitzeit.workflow.WorkflowCommand.AssignmentGranted;
import io.gleitzeit.workflow.WorkflowCommand.AssignmentWaiting;
import io.gleitzeit.workflow.WorkflowCommand.ReattachAnswer;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * Matches ready tasks to providers, one coordinator per node. It knows the providers of the whole cluster
 * through the receptionist and counts the slots it granted; requests it cannot serve wait, highest priority
 * first, and go out the moment a provider appears or frees a slot. Everything it holds is rebuilt by the
 * workflows' own requests after a restart, so it is no single point of failure.
 */
public final class AssignmentCoordinator extends AbstractBehavior<AssignmentCoordinator.Message> {

  /** Everything the coordinator handles: the public {@link CoordinatorCommand}s and its own messages. */
  public interface Message {}

  private record ProvidersListed(Set<ActorRef<ProviderCommand>> refs) implements Message {}

  private record ProviderDescribed(Described described) implements Message {}

  private record Held(HeldAnswer answer) implements Message {}

  private record ReattachExpired(TaskKey key) implements Message {}

  /** A provider as this coordinator sees it: what it serves and the attempts granted to it. */
  private static final class Slot {
    final ProviderDescriptor descriptor;
    final ActorRef<ProviderCommand> ref;
    final Set<TaskKey> granted = new HashSet<>();

    Slot(ProviderDescriptor descriptor, ActorRef<ProviderCommand> ref) {
      this.descriptor = descriptor;
      this.ref = ref;
    }

    boolean hasRoom() {
      return granted.size() < descriptor.maxConcurrency();
    }

    double load() {
      return (double) granted.size() / descriptor.maxConcurrency();
    }
  }

  private record Waiting(RequestAssignment request, long arrival) {}

  private static final Comparator<Waiting> BY_PRIORITY = Comparator
      .comparing((Waiting w) -> w.request().priority() == null ? Priority.NORMAL : w.request().priority())
      .reversed()
      .thenComparingLong(Waiting::arrival);

  public static Behavior<Message> create(Function<String, RecipientRef<WorkflowCommand>> workflows,
                                         Duration reattachTimeout) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new AssignmentCoordinator(ctx, timers, workflows, reattachTimeout)));
  }

  private final TimerScheduler<Message> timers;
  private final Function<String, RecipientRef<WorkflowCommand>> workflows;
  private final Duration reattachTimeout;
  private final ActorRef<Described> describedAdapter;
  private final ActorRef<HeldAnswer> heldAdapter;

  private final Map<String, Slot> providers = new LinkedHashMap<>();
  private final Map<ActorRef<ProviderCommand>, String> idsByRef = new HashMap<>();
  private final Map<TaskKey, String> grants = new HashMap<>();
  private final Map<TaskKey, Waiting> waitingByKey = new HashMap<>();
  private final TreeSet<Waiting> waiting = new TreeSet<>(BY_PRIORITY);
  private final Map<TaskKey, String> reattaching = new HashMap<>();
  private long arrivals;

  private AssignmentCoordinator(ActorContext<Message> ctx, TimerScheduler<Message> timers,
      Function<String, RecipientRef<WorkflowCommand>> workflows, Duration reattachTimeout) {
    super(ctx);
    this.timers = timers;
    this.workflows = workflows;
    this.reattachTimeout = reattachTimeout;
    this.describedAdapter = ctx.messageAdapter(Described.class, ProviderDescribed::new);
    this.heldAdapter = ctx.messageAdapter(HeldAnswer.class, Held::new);
    ActorRef<Receptionist.Listing> listing = ctx.messageAdapter(Receptionist.Listing.class,
        l -> new ProvidersListed(l.getServiceInstances(ProviderRuntime.SERVICE_KEY)));
    ctx.getSystem().receptionist().tell(Receptionist.subscribe(ProviderRuntime.SERVICE_KEY, listing));
  }

  @Override
  public Receive<Message> createReceive() {
    return newReceiveBuilder()
        .onMessage(CoordinatorCommand.class, this::onCommand)
        .onMessage(ProvidersListed.class, this::onListing)
        .onMessage(ProviderDescribed.class, d -> onDescribed(d.described()))
        .onMessage(Held.class, h -> onHeld(h.answer()))
        .onMessage(ReattachExpired.class, e -> onReattachExpired(e.key()))
        .build();
  }

  private Behavior<Message> onCommand(CoordinatorCommand command) {
    if (command instanceof RequestAssignment r) {
      onRequest(r);
    } else if (command instanceof ReleaseAssignment r) {
      release(r.key());
    } else if (command instanceof Reattach r) {
      onReattach(r);
    } else if (command instanceof CancelAtProvider c) {
      Slot slot = c.providerId() == null ? null : providers.get(c.providerId());
      if (slot != null) {
        slot.ref.tell(new ProviderCommand.CancelTask(c.key()));
      }
      release(c.key());
    }
    return this;
  }

  private void onRequest(RequestAssignment request) {
    TaskKey key = request.key();
    String granted = grants.get(key);
    if (granted != null) {
      grant(request, providers.get(granted), false); // repeated request: same answer
      return;
    }
    if (waitingByKey.containsKey(key)) {
      return;
    }
    Slot slot = pick(request);
    if (slot != null) {
      grant(request, slot, true);
    } else {
      Waiting w = new Waiting(request, arrivals++);
      waiting.add(w);
      waitingByKey.put(key, w);
      workflows.apply(key.workflowId()).tell(new AssignmentWaiting(key.taskId(), key.attempt(), whyWaiting(request)));
    }
  }

  private Slot pick(RequestAssignment request) {
    Slot best = null;
    for (Slot slot : providers.values()) {
      boolean eligible = request.pinnedProvider() == null || request.pinnedProvider().equals(slot.descriptor.id());
      if (eligible && slot.hasRoom() && slot.descriptor.serves(request.method())
          && (best == null || slot.load() < best.load())) {
        best = slot;
      }
    }
    return best;
  }

  private void grant(RequestAssignment request, Slot slot, boolean count) {
    TaskKey key = request.key();
    if (count) {
      slot.granted.add(key);
      grants.put(key, slot.descriptor.id());
    }
    workflows.apply(key.workflowId())
        .tell(new AssignmentGranted(key.taskId(), key.attempt(), slot.descriptor.id(), slot.ref));
  }

  private String whyWaiting(RequestAssignment request) {
    if (request.pinnedProvider() != null) {
      Slot pinned = providers.get(request.pinnedProvider());
      if (pinned == null) {
        return "pinned provider " + request.pinnedProvider() + " is not available";
      }
      if (!pinned.descriptor.serves(request.method())) {
        return "pinned provider " + request.pinnedProvider() + " does not serve " + request.method();
      }
      return "pinned provider " + request.pinnedProvider() + " is at capacity";
    }
    boolean served = providers.values().stream().anyMatch(s -> s.descriptor.serves(request.method()));
    return served
        ? "every provider serving " + request.method() + " is at capacity"
        : "no healthy provider serves " + request.method();
  }

  private void release(TaskKey key) {
    Waiting w = waitingByKey.remove(key);
    if (w != null) {
      waiting.remove(w);
    }
    String providerId = grants.remove(key);
    if (providerId != null && providers.containsKey(providerId)) {
      providers.get(providerId).granted.remove(key);
      drainWaiting();
    }
  }

  /** Hand out waiting requests, highest priority first, as long as some provider can take them. */
  private void drainWaiting() {
    Iterator<Waiting> it = waiting.iterator();
    while (it.hasNext()) {
      Waiting w = it.next();
      Slot slot = pick(w.request());
      if (slot != null) {
        it.remove();
        waitingByKey.remove(w.request().key());
        grant(w.request(), slot, true);
      }
    }
  }

  private Behavior<Message> onListing(ProvidersListed listed) {
    for (ActorRef<ProviderCommand> ref : listed.refs()) {
      if (!idsByRef.containsKey(ref)) {
        ref.tell(new ProviderCommand.Describe(describedAdapter));
      }
    }
    for (Iterator<Map.Entry<ActorRef<ProviderCommand>, String>> it = idsByRef.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<ActorRef<ProviderCommand>, String> gone = it.next();
      if (!listed.refs().contains(gone.getKey())) {
        it.remove();
        providerLost(gone.getValue());
      }
    }
    return this;
  }

  /** A provider left the cluster: every attempt it held goes back to its workflow to be reassigned. */
  private void providerLost(String providerId) {
    Slot slot = providers.remove(providerId);
    if (slot == null) {
      return;
    }
    getContext().getLog().warn("provider {} is gone; handing back {} attempts", providerId, slot.granted.size());
    for (TaskKey key : slot.granted) {
      grants.remove(key);
      workflows.apply(key.workflowId()).tell(new ReattachAnswer(key.taskId(), key.attempt(), providerId, false));
    }
  }

  private Behavior<Message> onDescribed(Described d) {
    String id = d.descriptor().id();
    idsByRef.put(d.provider(), id);
    Slot previous = providers.get(id);
    Slot slot = new Slot(d.descriptor(), d.provider());
    if (previous != null) {
      slot.granted.addAll(previous.granted);
    }
    providers.put(id, slot);
    reattaching.forEach((key, providerId) -> {
      if (providerId.equals(id)) {
        d.provider().tell(new ProviderCommand.CheckHeld(key, heldAdapter));
      }
    });
    drainWaiting();
    return this;
  }

  private void onReattach(Reattach r) {
    reattaching.put(r.key(), r.providerId());
    Slot slot = providers.get(r.providerId());
    if (slot != null) {
      slot.ref.tell(new ProviderCommand.CheckHeld(r.key(), heldAdapter));
    }
    timers.startSingleTimer(r.key(), new ReattachExpired(r.key()), reattachTimeout);
  }

  private Behavior<Message> onHeld(HeldAnswer answer) {
    TaskKey key = answer.key();
    if (reattaching.remove(key) == null) {
      return this;
    }
    timers.cancel(key);
    Slot slot = providers.get(answer.providerId());
    if (answer.held() && slot != null) {
      slot.granted.add(key);
      grants.put(key, answer.providerId());
    }
    workflows.apply(key.workflowId())
        .tell(new ReattachAnswer(key.taskId(), key.attempt(), answer.providerId(), answer.held()));
    return this;
  }

  private Behavior<Message> onReattachExpired(TaskKey key) {
    String providerId = reattaching.remove(key);
    if (providerId != null) {
      workflows.apply(key.workflowId()).tell(new ReattachAnswer(key.taskId(), key.attempt(), providerId, false));
    }
    return this;
  }
}
