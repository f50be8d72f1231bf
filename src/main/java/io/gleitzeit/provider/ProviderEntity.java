package io.gleitzeit.provider;

import io.gleitzeit.domain.HealthScore;
import io.gleitzeit.events.EventPublisher;
import io.gleitzeit.events.ProviderEnvelopes;
import io.gleitzeit.provider.ProviderCommand.CheckHeld;
import io.gleitzeit.provider.ProviderCommand.Deregister;
import io.gleitzeit.provider.ProviderCommand.Dispatch;
import io.gleitzeit.provider.ProviderCommand.Finished;
import io.gleitzeit.provider.ProviderCommand.GetProvider;
import io.gleitzeit.provider.ProviderCommand.Heartbeat;
import io.gleitzeit.provider.ProviderCommand.HeartbeatDeadline;
import io.gleitzeit.provider.ProviderCommand.Idle;
import io.gleitzeit.provider.ProviderCommand.ProviderReply;
import io.gleitzeit.provider.ProviderCommand.PersistSlots;
import io.gleitzeit.provider.ProviderCommand.PublishStatus;
import io.gleitzeit.provider.ProviderCommand.Refused;
import io.gleitzeit.provider.ProviderCommand.Register;
import io.gleitzeit.provider.ProviderCommand.RegisterReply;
import io.gleitzeit.provider.ProviderCommand.Release;
import io.gleitzeit.provider.ProviderCommand.Reserve;
import io.gleitzeit.provider.ProviderCommand.Reserved;
import io.gleitzeit.provider.ProviderEvent.ProviderDeregistered;
import io.gleitzeit.provider.ProviderEvent.ProviderMarkedUnhealthy;
import io.gleitzeit.provider.ProviderEvent.ProviderRecovered;
import io.gleitzeit.provider.ProviderEvent.ProviderRegistered;
import io.gleitzeit.provider.ProviderEvent.TaskAcquired;
import io.gleitzeit.provider.ProviderEvent.TaskReleased;
import io.gleitzeit.workflow.WorkflowCommand;
import io.gleitzeit.workflow.WorkflowCommand.ReattachAnswer;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One provider, sharded by its id and event-sourced: its registration, the attempts it holds and its
 * health transitions. It watches its own heartbeat deadline; when heartbeats stop it turns unhealthy and
 * hands every held attempt back to its workflow, which reassigns it as a new attempt. Providers are
 * remembered entities, so after a node loss the entity restarts elsewhere and the watching goes on.
 */
public final class ProviderEntity
    extends EventSourcedBehaviorWithEnforcedReplies<ProviderCommand, ProviderEvent, ProviderState> {

  public static final EntityTypeKey<ProviderCommand> ENTITY_KEY = EntityTypeKey.create(ProviderCommand.class, "Provider");

  /** Heartbeat settings of SPEC §6. */
  public record Health(Duration heartbeatInterval, int unhealthyAfterMissed) {
    Duration deadline() {
      return heartbeatInterval.multipliedBy(unhealthyAfterMissed);
    }
  }

  /**
   * {@code slotWriteDelay}: how long slot changes wait for more to join their write (zero: none).
   * {@code undispatchedAfter}: how long a reservation may go without its dispatch before its workflow is asked
   * whether it still wants it.
   */
  public record Dependencies(
      Function<String, RecipientRef<WorkflowCommand>> workflows, ActorRef<Topic.Command<ProviderStatus>> statusTopic,
      ActorRef<Topic.Command<PublishStatus>> statusRequests, EventPublisher publisher, InstantSource clock,
      Health health, Duration idleTimeout, Duration slotWriteDelay, Duration undispatchedAfter) {}

  public static void init(ActorSystem<?> system, Dependencies deps) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, ctx -> {
      ActorRef<ClusterSharding.ShardCommand> shard = ctx.getShard();
      return create(ctx.getEntityId(), deps, self -> shard.tell(new ClusterSharding.Passivate<>(self)));
    }).withSettings(ClusterShardingSettings.create(system).withRememberEntities(true)));
  }

  public static Behavior<ProviderCommand> create(String providerId, Dependencies deps,
                                                 Consumer<ActorRef<ProviderCommand>> passivate) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      ctx.setReceiveTimeout(deps.idleTimeout(), Idle.INSTANCE);
      deps.statusRequests().tell(Topic.subscribe(ctx.getSelf().narrow()));
      return new ProviderEntity(providerId, deps, ctx, timers, passivate);
    }));
  }

  public static PersistenceId persistenceIdOf(String providerId) {
    return PersistenceId.of(ENTITY_KEY.name(), providerId);
  }

  private static final String DEADLINE_TIMER = "heartbeat-deadline";
  private static final String SLOT_WRITE_TIMER = "slot-write";
  private static final String UNDISPATCHED_TIMER = "undispatched";
  /** Slot changes per journal event at most: a burst's changes stay rows of a few kilobytes, kept in line by H2. */
  private static final int SLOT_CHANGES = 200;

  private final String providerId;
  private final Dependencies deps;
  private final ActorContext<ProviderCommand> ctx;
  private final TimerScheduler<ProviderCommand> timers;
  private final Consumer<ActorRef<ProviderCommand>> passivate;
  /** In memory only: where the runtime is, when it last beat, and dispatches waiting for it to attach. */
  private ActorRef<RuntimeCommand> runtime;
  /** The last heartbeat seen (null before the first); shown as last_heartbeat. */
  private Instant lastHeartbeat;
  /** Since when silence counts: the last heartbeat, or the registration or restart that gave a grace period. */
  private Instant silentSince;
  private final Map<TaskKey, Dispatch> waitingForRuntime = new LinkedHashMap<>();
  /**
   * In memory only: runtimes of earlier connections of an external worker, told to detach and not stopped yet.
   * Their heartbeats still on the way are ignored: they would take the provider back from the newer connection.
   */
  private final Set<ActorRef<RuntimeCommand>> detached = new HashSet<>();
  /**
   * In memory only: a restarted built-in provider's held attempts that its runtime has not yet said it still
   * holds, and dispatches of them that wait for that answer (see {@link #resume}).
   */
  private final Set<TaskKey> unverified = new LinkedHashSet<>();
  private final Map<TaskKey, Dispatch> awaitingCheck = new HashMap<>();
  /**
   * In memory only: each held attempt as it was sent, and to which runtime. A runtime that replaces that one
   * (an external worker that reconnected within the grace, a built-in runtime restarted with its node) is
   * sent the attempt again: it never had it, and nothing else would ever answer it.
   */
  private final Map<TaskKey, Sent> sent = new HashMap<>();
  /**
   * In memory only: reservations made since the start whose dispatch has not arrived, oldest first, with
   * when they were made. A grant can be lost (its workflow moved to another node meanwhile); nobody would
   * ever dispatch or release such a slot, so its workflow is asked after a while (see onCheckUndispatched).
   */
  private final Map<TaskKey, Instant> undispatched = new LinkedHashMap<>();
  /**
   * In memory only: attempts of an external worker that their workflows gave up (a timeout, a cancellation)
   * while no connection of it was there: the worker may still run them, so it is told to stop each once it is
   * back. The attempt is no longer held, so it is not sent again and would otherwise never be mentioned.
   */
  private final Set<TaskKey> cancelWhenBack = new LinkedHashSet<>();
  /** Slot changes decided but not yet persisted: persisted together by the next write. */
  private final PendingSlots pending = new PendingSlots();

  private record Sent(Dispatch dispatch, ActorRef<RuntimeCommand> to) {}

  private ProviderEntity(String providerId, Dependencies deps, ActorContext<ProviderCommand> ctx,
                         TimerScheduler<ProviderCommand> timers, Consumer<ActorRef<ProviderCommand>> passivate) {
    super(persistenceIdOf(providerId));
    this.providerId = providerId;
    this.deps = deps;
    this.ctx = ctx;
    this.timers = timers;
    this.passivate = passivate;
  }

  @Override
  public ProviderState emptyState() {
    return ProviderState.empty();
  }

  /** Every event is tagged, so that projections (the event index, read models) can follow them in order. */
  public static final String TAG = "provider";

  /**
   * Only events that yield envelopes are tagged: taking or freeing a slot without turning busy or available
   * is invisible to readers, and a tag is a journal row of its own.
   */
  @Override
  public java.util.Set<String> tagsFor(ProviderEvent event) {
    return event.envelopeCount() == 0 ? java.util.Set.of() : java.util.Set.of(TAG);
  }

  @Override
  public EventHandler<ProviderState, ProviderEvent> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(ProviderState::apply);
  }

  @Override
  public SignalHandler<ProviderState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::resume)
        .onSignal(org.apache.pekko.actor.typed.Terminated.class, this::runtimeStopped)
        .build();
  }

  /**
   * Taking and freeing slots (Reserve, Release, Finished) is grouped: see {@link PendingSlots}. Dispatch reads
   * the pending changes too. Every other command waits (stashed) until they are persisted, so that it sees
   * the provider as its journal has it.
   */
  @Override
  public CommandHandlerWithReply<ProviderCommand, ProviderEvent, ProviderState> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Reserve.class, this::onReserve)
        .onCommand(Release.class, this::onRelease)
        .onCommand(Finished.class, this::onFinished)
        .onCommand(PersistSlots.class, this::onPersistSlots)
        .onCommand(ProviderCommand.CheckUndispatched.class, this::onCheckUndispatched)
        .onCommand(Dispatch.class, this::onDispatch)
        .onCommand(Register.class, settled(this::onRegister))
        .onCommand(Deregister.class, settled(this::onDeregister))
        .onCommand(GetProvider.class, settled((s, c) -> Effect().reply(c.replyTo(), new ProviderReply(viewOf(s)))))
        .onCommand(Heartbeat.class, settled(this::onHeartbeat))
        .onCommand(ProviderCommand.RuntimeHolds.class, settled(this::onRuntimeHolds))
        .onCommand(HeartbeatDeadline.class, settled(this::onDeadline))
        .onCommand(ProviderCommand.ReportGivenUp.class, settled(this::onReportGivenUp))
        .onCommand(CheckHeld.class, settled(this::onCheckHeld))
        .onCommand(PublishStatus.class, settled((s, c) -> {
          publishStatus(s);
          return Effect().noReply();
        }))
        .onCommand(Idle.class, settled(this::onIdle))
        .build();
  }

  /** The handler, once no slot change is pending; until then the command is stashed. */
  private <C extends ProviderCommand> BiFunction<ProviderState, C, ReplyEffect<ProviderEvent, ProviderState>> settled(
      BiFunction<ProviderState, C, ReplyEffect<ProviderEvent, ProviderState>> handler) {
    return (state, command) -> pending.isEmpty() ? handler.apply(state, command) : Effect().stash();
  }

  private ReplyEffect<ProviderEvent, ProviderState> onRegister(ProviderState state, Register cmd) {
    boolean fresh = !state.exists() || state.deregistered;
    if (!fresh && external(state) && !"external".equals(cmd.spec().type())) {
      // A node's built-in provider whose id a user registered for an external worker (its port changed, say):
      // taking it over would send the worker's held attempts to a runtime that does not serve them (round 17).
      return Effect().reply(cmd.replyTo(), new RegisterReply(false, viewOf(state), "the id " + providerId
          + " is registered as an external provider; deregister it (DELETE /providers/" + providerId
          + ") or give this built-in provider another id (gleitzeit.providers.builtin[].id), then restart the node"));
    }
    if (!fresh && state.spec.equals(cmd.spec())) {
      return Effect().reply(cmd.replyTo(), new RegisterReply(false, viewOf(state)));
    }
    // A new max_concurrency may turn a provider that holds attempts busy or available (SPEC §4 events).
    String turned = null;
    if (!fresh && !state.unhealthy) {
      String before = state.status();
      String after = state.load() >= cmd.spec().maxConcurrency() ? ProviderStatus.BUSY : ProviderStatus.AVAILABLE;
      turned = before.equals(after) ? null : after;
    }
    ProviderEvent event = new ProviderRegistered(providerId, cmd.spec(), !fresh, turned, now(),
        state.lastSequence + 1);
    return Effect().persist(event).thenRun(s -> {
      if (fresh) {
        silentSince = now(); // a new registration gets one deadline's grace to connect
        armDeadline(deps.health().deadline());
      }
      afterPersist(s, event);
    }).thenReply(cmd.replyTo(), s -> new RegisterReply(fresh, viewOf(s)));
  }

  private ReplyEffect<ProviderEvent, ProviderState> onDeregister(ProviderState state, Deregister cmd) {
    if (!state.exists() || state.deregistered) {
      return Effect().reply(cmd.replyTo(), new ProviderReply(viewOf(state)));
    }
    ProviderEvent event = new ProviderDeregistered(providerId, state.heldKeys(), now(), state.lastSequence + 1);
    ActorRef<RuntimeCommand> last = runtime;
    return Effect().persist(event).thenRun(s -> {
      timers.cancel(DEADLINE_TIMER);
      if (last != null) {
        ((ProviderDeregistered) event).handedBack().forEach(k -> last.tell(new RuntimeCommand.CancelTask(k)));
        if (external(s)) {
          detach(last, "provider " + providerId + " was deregistered");
        }
      }
      runtime = null;
      unverified.clear();
      awaitingCheck.clear();
      sent.clear();
      undispatched.clear();
      cancelWhenBack.clear(); // its worker is disconnected for good
      afterPersist(s, event);
    }).thenReply(cmd.replyTo(), s -> new ProviderReply(viewOf(s)));
  }

  private ReplyEffect<ProviderEvent, ProviderState> onHeartbeat(ProviderState state, Heartbeat cmd) {
    if (!state.exists() || state.deregistered || detached.contains(cmd.runtime())) {
      return Effect().noReply();
    }
    boolean attached = runtime == null || !runtime.equals(cmd.runtime());
    if (attached) {
      if (runtime != null && external(state)) {
        // One connection per external provider: two would both be sent every attempt, and run each twice. The
        // newer one is the worker that is still there (the older may be a socket that died without closing).
        detach(runtime, "another connection of provider " + providerId + " replaced this one");
      } else if (runtime != null) {
        ctx.unwatch(runtime);
      }
      // A runtime that stops (a closed WebSocket, a stopped node) takes no more work from now on; what it
      // held stays held until it reconnects or the heartbeat deadline hands it back.
      ctx.watch(cmd.runtime());
    }
    runtime = cmd.runtime();
    lastHeartbeat = now();
    silentSince = lastHeartbeat;
    armDeadline(deps.health().deadline());
    deps.publisher().publish(List.of(ProviderEnvelopes.heartbeat(providerId, now(), state.status(), state.load())));
    if (!unverified.isEmpty()) {
      runtime.tell(new RuntimeCommand.ReportHeld(List.copyOf(unverified), ctx.getSelf()));
    }
    if (attached) {
      cancelWhenBack.forEach(k -> runtime.tell(new RuntimeCommand.CancelFromEarlierConnection(k)));
      cancelWhenBack.clear();
      waitingForRuntime.values().forEach(d -> forward(d));
      waitingForRuntime.clear();
      for (TaskKey k : state.heldKeys()) {
        Sent s = sent.get(k);
        if (s != null && !s.to().equals(runtime)) {
          forward(s.dispatch());
          // Its outcome may have reached the workflow through the old connection while the slot's release did
          // not reach this entity (the old connection's node stopped in between): the workflow frees it then
          // (round 18: the slot stayed taken for good, and a worker ignoring the repeat never freed it).
          askWhetherWanted(k);
        }
      }
    }
    if (state.unhealthy) {
      ProviderEvent event = new ProviderRecovered(providerId, now(), state.lastSequence + 1);
      return Effect().persist(event).thenRun(s -> afterPersist(s, event)).thenNoReply();
    }
    // Every heartbeat re-announces the status, not only changes: a coordinator that missed the announcements
    // (it started while the topic's subscriptions were still spreading through a forming cluster) would
    // otherwise never offer work to a provider whose status does not change.
    publishStatus(state);
    return Effect().noReply();
  }

  private ReplyEffect<ProviderEvent, ProviderState> onDeadline(ProviderState state, HeartbeatDeadline cmd) {
    if (!state.exists() || state.deregistered || state.unhealthy) {
      return Effect().noReply();
    }
    Duration silent = Duration.between(silentSince, now());
    if (silent.compareTo(deps.health().deadline()) < 0) {
      armDeadline(deps.health().deadline().minus(silent));
      return Effect().noReply();
    }
    int missed = (int) (silent.toMillis() / deps.health().heartbeatInterval().toMillis());
    ProviderEvent event = new ProviderMarkedUnhealthy(providerId, missed, state.heldKeys(), now(),
        state.lastSequence + 1);
    ActorRef<RuntimeCommand> quiet = runtime;
    return Effect().persist(event).thenRun(s -> {
      if (quiet != null) {
        // A worker that stopped heartbeating may still be connected: it is told to stop the attempts handed back,
        // and an answer for one of them gets an error frame (the attempt is no longer its).
        ((ProviderMarkedUnhealthy) event).handedBack().forEach(k -> quiet.tell(new RuntimeCommand.CancelTask(k)));
      }
      if (external(s)) {
        // Told again when a worker connects: the quiet connection may be on a node that is gone, its cancel lost
        // (round 18: a worker back after a node loss ran the old attempts beside their reassigned ones).
        cancelWhenBack.addAll(((ProviderMarkedUnhealthy) event).handedBack());
      }
      runtime = null;
      waitingForRuntime.clear();
      unverified.clear(); // handed back with the rest
      awaitingCheck.clear();
      sent.clear();
      undispatched.clear();
      afterPersist(s, event);
    }).thenNoReply();
  }

  /**
   * A reservation is answered at once, before its acquisition is written (with the next group of slot
   * changes): the grant then waits for one journal write fewer. Should the node crash before that write, the
   * restarted provider does not hold the attempt; the workflow, which may have recorded the assignment, finds
   * that out when it dispatches the attempt again on recovery, and the attempt is handed back and reassigned
   * as a new one (SPEC §6), as for any attempt a crash interrupted.
   */
  private ReplyEffect<ProviderEvent, ProviderState> onReserve(ProviderState state, Reserve cmd) {
    if (state.exists() && pending.holds(state, cmd.key())) {
      return Effect().reply(cmd.replyTo(), new Reserved(cmd.key(), statusOf(state)));
    }
    String refusal = refusal(state, cmd.method());
    if (refusal != null) {
      return Effect().reply(cmd.replyTo(), new Refused(cmd.key(), refusal, state.exists() ? statusOf(state) : null));
    }
    boolean nowBusy = pending.load(state) + 1 >= state.spec.maxConcurrency();
    Instant at = now();
    addPending(new TaskAcquired(providerId, cmd.key(), cmd.method(), nowBusy, at, pending.nextSequence(state)));
    undispatched.put(cmd.key(), at);
    if (!timers.isTimerActive(UNDISPATCHED_TIMER)) {
      timers.startSingleTimer(UNDISPATCHED_TIMER, ProviderCommand.CheckUndispatched.INSTANCE,
          deps.undispatchedAfter());
    }
    return Effect().reply(cmd.replyTo(), new Reserved(cmd.key(), statusOf(state)));
  }

  private String refusal(ProviderState state, String method) {
    if (!state.exists()) {
      return "provider " + providerId + " is not registered";
    } else if (state.deregistered) {
      return "provider " + providerId + " is deregistered";
    } else if (state.unhealthy) {
      return "provider " + providerId + " is unhealthy";
    } else if (runtime == null) {
      return "provider " + providerId + " is not connected";
    } else if (!state.spec.serves(method)) {
      return "provider " + providerId + " does not serve " + method;
    } else if (pending.load(state) >= state.spec.maxConcurrency()) {
      return "provider " + providerId + " is at capacity";
    }
    return null;
  }

  private ReplyEffect<ProviderEvent, ProviderState> onDispatch(ProviderState state, Dispatch cmd) {
    undispatched.remove(cmd.key());
    if (!state.exists() || !pending.holds(state, cmd.key())) {
      handBack(cmd.key(), "provider " + providerId + " no longer holds attempt " + cmd.key().attempt());
    } else if (unverified.contains(cmd.key())) {
      awaitingCheck.put(cmd.key(), cmd); // a runtime that started afresh must not run it again as the same attempt
    } else if (runtime == null) {
      waitingForRuntime.put(cmd.key(), cmd); // sent when the runtime attaches, or handed back when it never does
    } else {
      forward(cmd);
    }
    return Effect().noReply();
  }

  private void forward(Dispatch d) {
    runtime.tell(new RuntimeCommand.ExecuteTask(d.key(), d.method(), d.params(), d.timeoutMs()));
    sent.put(d.key(), new Sent(d, runtime));
  }

  private ReplyEffect<ProviderEvent, ProviderState> onRelease(ProviderState state, Release cmd) {
    waitingForRuntime.remove(cmd.key());
    awaitingCheck.remove(cmd.key());
    if (cmd.cancel() && runtime != null) {
      runtime.tell(new RuntimeCommand.CancelTask(cmd.key()));
    } else if (cmd.cancel() && state.exists() && external(state) && state.holds(cmd.key())) {
      cancelWhenBack.add(cmd.key());
    }
    if (cmd.timedOut()) {
      ProviderState.HeldTask held = state.held.get(cmd.key().toString());
      long heldMs = held == null ? 0 : Math.max(0, Duration.between(held.since(), now()).toMillis());
      freeSlot(state, cmd.key(), TaskReleased.TIMED_OUT, heldMs);
    } else {
      freeSlot(state, cmd.key(), TaskReleased.RELEASED, 0);
    }
    return Effect().noReply();
  }

  private ReplyEffect<ProviderEvent, ProviderState> onFinished(ProviderState state, Finished cmd) {
    freeSlot(state, cmd.key(), cmd.outcome(), cmd.latencyMs());
    return Effect().noReply();
  }

  /**
   * SPEC §7: a report the runtime could not deliver after its retries goes to the dead letter queue, in this
   * provider's stream. The slot is freed as for any other finished attempt (counted as a failure), and the
   * attempt is handed back: a workflow that hears it runs the task again as a new attempt (or ignores it,
   * having recorded the outcome after all); one that does not hear it finds the attempt no longer held when
   * it recovers and re-dispatches it.
   */
  private ReplyEffect<ProviderEvent, ProviderState> onReportGivenUp(ProviderState state,
                                                                   ProviderCommand.ReportGivenUp cmd) {
    sent.remove(cmd.key());
    if (!state.exists()) {
      ctx.getLog().error("report of {} given up, but provider {} is not registered: not recorded", cmd.key(),
          providerId);
      return Effect().noReply();
    }
    ProviderEvent undeliverable = new ProviderEvent.ReportUndeliverable(providerId, cmd.key(), cmd.reason(), now(),
        state.lastSequence + 1);
    List<ProviderEvent> events = new java.util.ArrayList<>(List.of(undeliverable));
    if (state.holds(cmd.key())) {
      boolean nowAvailable = ProviderStatus.BUSY.equals(state.status())
          && state.load() - 1 < state.spec.maxConcurrency();
      events.add(new TaskReleased(providerId, cmd.key(), TaskReleased.FAILED, cmd.latencyMs(), nowAvailable, now(),
          undeliverable.lastSequence() + 1));
    }
    return Effect().persist(events).thenRun(s -> {
      events.forEach(e -> afterPersist(s, e));
      handBack(cmd.key(), "provider " + providerId + " could not deliver the outcome of attempt "
          + cmd.key().attempt() + ": " + cmd.reason());
    }).thenNoReply();
  }

  /** Frees the attempt's slot with the next group of slot changes (nothing when it is not held). */
  private void freeSlot(ProviderState state, TaskKey key, String outcome, long latencyMs) {
    sent.remove(key);
    undispatched.remove(key);
    if (!state.exists() || !pending.holds(state, key)) {
      return;
    }
    int load = pending.load(state);
    boolean nowAvailable = ProviderStatus.BUSY.equals(state.statusWithLoad(load))
        && load - 1 < state.spec.maxConcurrency();
    addPending(new TaskReleased(providerId, key, outcome, latencyMs, nowAvailable, now(),
        pending.nextSequence(state)));
  }

  private void addPending(ProviderEvent event) {
    if (pending.isEmpty()) {
      if (deps.slotWriteDelay().isZero()) {
        ctx.getSelf().tell(PersistSlots.INSTANCE); // after the commands already waiting, which join this write
      } else {
        timers.startSingleTimer(SLOT_WRITE_TIMER, PersistSlots.INSTANCE, deps.slotWriteDelay());
      }
    }
    pending.add(event);
  }

  /**
   * One write for every slot change decided since the last one, as one journal event per {@link #SLOT_CHANGES}
   * changes; then the commands that waited for it.
   */
  private ReplyEffect<ProviderEvent, ProviderState> onPersistSlots(ProviderState state, PersistSlots cmd) {
    List<ProviderEvent> changes = pending.drain();
    if (changes.isEmpty()) {
      return Effect().none().thenNoReply().thenUnstashAll();
    }
    List<ProviderEvent> events = new ArrayList<>();
    for (int from = 0; from < changes.size(); from += SLOT_CHANGES) {
      List<ProviderEvent> group = changes.subList(from, Math.min(changes.size(), from + SLOT_CHANGES));
      events.add(group.size() == 1 ? group.get(0) : new ProviderEvent.SlotsChanged(providerId, group));
    }
    return Effect().persist(events).thenRun(s -> {
      deps.publisher().publish(events.stream().flatMap(e -> ProviderEnvelopes.of(e).stream()).toList());
      publishStatus(s);
    }).thenNoReply().thenUnstashAll();
  }

  /**
   * Reservations older than {@code undispatchedAfter} whose dispatch never came: each workflow is asked whether
   * it still wants its attempt, and frees the slot if not (one that does want it dispatches it again by itself).
   * Asked again every {@code undispatchedAfter} until the slot is dispatched or freed: a question sent while the
   * workflow's shard was still on a node that had just died is lost, and the slot stayed taken for good. Armed by
   * a reservation, and again while others wait.
   */
  private ReplyEffect<ProviderEvent, ProviderState> onCheckUndispatched(ProviderState state,
                                                                       ProviderCommand.CheckUndispatched cmd) {
    Instant now = now();
    Instant due = now.minus(deps.undispatchedAfter());
    List<TaskKey> askedNow = new ArrayList<>();
    var oldestFirst = undispatched.entrySet().iterator();
    while (oldestFirst.hasNext()) {
      var entry = oldestFirst.next();
      if (entry.getValue().isAfter(due)) {
        break;
      }
      oldestFirst.remove();
      if (state.exists() && pending.holds(state, entry.getKey())) {
        askWhetherWanted(entry.getKey());
        askedNow.add(entry.getKey());
      }
    }
    askedNow.forEach(k -> undispatched.put(k, now)); // the youngest now: asked again if nothing comes of it
    if (!undispatched.isEmpty()) {
      Instant oldest = undispatched.values().iterator().next();
      timers.startSingleTimer(UNDISPATCHED_TIMER, cmd, Duration.between(due, oldest));
    }
    return Effect().noReply();
  }

  /** Asks the attempt's workflow whether it still wants this slot; it frees the slot if not. */
  private void askWhetherWanted(TaskKey k) {
    deps.workflows().apply(k.workflowId()).tell(new WorkflowCommand.SlotHeld(k.taskId(), k.attempt(), providerId));
  }

  private ReplyEffect<ProviderEvent, ProviderState> onCheckHeld(ProviderState state, CheckHeld cmd) {
    boolean held = state.exists() && state.holds(cmd.key());
    TaskKey k = cmd.key();
    deps.workflows().apply(k.workflowId()).tell(new ReattachAnswer(k.taskId(), k.attempt(), providerId, held,
        held ? null : "provider " + providerId + " no longer holds attempt " + k.attempt()));
    return Effect().noReply();
  }

  private ReplyEffect<ProviderEvent, ProviderState> onIdle(ProviderState state, Idle idle) {
    if (!state.exists() || state.deregistered) {
      passivate.accept(ctx.getSelf());
    }
    return Effect().noReply();
  }

  private void runtimeStopped(ProviderState state, org.apache.pekko.actor.typed.Terminated stopped) {
    detached.remove(stopped.getRef());
    if (runtime != null && runtime.equals(stopped.getRef())) {
      runtime = null;
      publishStatus(state);
    }
  }

  /** On start (fresh or after a crash or node loss): watch the heartbeat again and re-announce hand-backs. */
  private void resume(ProviderState state) {
    if (state.exists() && state.deregistered) {
      // The hand-back may not have reached every workflow before a crash: announce it again (idempotent).
      state.handedBack.forEach(k -> handBack(k, "provider " + providerId + " was deregistered"));
      return;
    }
    if (!state.exists()) {
      return;
    }
    silentSince = now(); // a restarted entity gives its runtime one deadline to show up
    armDeadline(deps.health().deadline());
    if (!"external".equals(state.spec.type())) {
      // A built-in provider's attempts run in the runtime of one node. When this entity starts again, that runtime
      // may have stopped with its node (a crash or a restart: none of them runs any more) or be alive (only the
      // entity moved, to another node, as shards do when nodes join or leave). Its runtime says which when it next
      // heartbeats: those it does not hold are freed and handed back, so that each runs again as a new attempt
      // (SPEC §3, reassignment after provider loss) instead of again under the same number; the others run on.
      // A runtime that never comes back turns the provider unhealthy, which hands them all back.
      unverified.addAll(state.heldKeys());
    } else {
      // A slot is freed by a write after the attempt's outcome is recorded: a crash in between leaves it taken.
      // Each workflow frees the slots it no longer wants; the others it dispatches again on its own recovery, and
      // a worker that still runs one answers it.
      state.heldKeys().forEach(this::askWhetherWanted);
    }
    String reason = state.unhealthy ? "provider " + providerId + " is unhealthy" : null;
    if (reason != null) {
      state.handedBack.forEach(k -> handBack(k, reason));
    }
    publishStatus(state);
  }

  private void afterPersist(ProviderState state, ProviderEvent event) {
    deps.publisher().publish(ProviderEnvelopes.of(event));
    if (event instanceof ProviderMarkedUnhealthy e) {
      e.handedBack().forEach(k -> handBack(k, "provider " + providerId + " missed " + e.missedHeartbeats()
          + " heartbeats"));
    } else if (event instanceof ProviderDeregistered e) {
      e.handedBack().forEach(k -> handBack(k, "provider " + providerId + " was deregistered"));
    }
    publishStatus(state);
  }

  /** The runtime's answer about the attempts a restart left unverified (see {@link #resume}). */
  private ReplyEffect<ProviderEvent, ProviderState> onRuntimeHolds(ProviderState state,
                                                                  ProviderCommand.RuntimeHolds cmd) {
    if (!cmd.runtime().equals(runtime)) {
      return Effect().noReply(); // not the runtime attached now: the next heartbeat asks that one
    }
    for (TaskKey k : List.copyOf(unverified)) {
      unverified.remove(k);
      Dispatch waiting = awaitingCheck.remove(k);
      if (!pending.holds(state, k)) {
        continue; // freed meanwhile
      }
      if (cmd.held().contains(k)) {
        if (waiting != null) {
          forward(waiting); // the runtime ignores an attempt it already runs
        }
      } else {
        freeSlot(state, k, TaskReleased.RELEASED, 0);
        handBack(k, "provider " + providerId + " restarted: attempt " + k.attempt() + " stopped with it");
      }
    }
    return Effect().noReply();
  }

  /** Tells a runtime that the provider takes no more work from it; watched until it stops. */
  private void detach(ActorRef<RuntimeCommand> old, String reason) {
    detached.add(old);
    old.tell(new RuntimeCommand.Detach(reason));
  }

  private static boolean external(ProviderState state) {
    return state.exists() && "external".equals(state.spec.type());
  }

  private void handBack(TaskKey k, String reason) {
    deps.workflows().apply(k.workflowId()).tell(new ReattachAnswer(k.taskId(), k.attempt(), providerId, false, reason));
  }

  private void publishStatus(ProviderState state) {
    if (state.exists()) {
      deps.statusTopic().tell(Topic.publish(statusOf(state)));
    }
  }

  /** The status with the slot changes not yet written: what the provider has decided is what it reports. */
  private ProviderStatus statusOf(ProviderState state) {
    int load = pending.load(state);
    return new ProviderStatus(state.spec, state.statusWithLoad(load), score(state), load, runtime != null,
        state.lastSequence);
  }

  private double score(ProviderState state) {
    int missed = silentSince == null ? 0
        : (int) (Duration.between(silentSince, now()).toMillis() / deps.health().heartbeatInterval().toMillis());
    return state.unhealthy || state.deregistered ? 0.0
        : HealthScore.of(state.health.withMissedHeartbeats(missed), deps.health().unhealthyAfterMissed());
  }

  private ProviderView viewOf(ProviderState state) {
    if (!state.exists()) {
      return null;
    }
    return new ProviderView(state.spec, state.status(), score(state), state.load(), state.heldKeys(), lastHeartbeat,
        state.registeredAt, runtime != null, state.health.successRate(), state.health.averageLatencyMs(),
        state.lastSequence);
  }

  private void armDeadline(Duration delay) {
    timers.startSingleTimer(DEADLINE_TIMER, HeartbeatDeadline.INSTANCE, delay);
  }

  private Instant now() {
    return deps.clock().instant();
  }

}
