package io.gleitzeit.workflow;

import io.gleitzeit.domain.TaskDefinition;
import io.gleitzeit.domain.TaskState;
import io.gleitzeit.domain.WorkflowStatus;
import io.gleitzeit.events.EventPublisher;
import io.gleitzeit.events.WorkflowEnvelopes;
import io.gleitzeit.provider.CoordinatorCommand;
import io.gleitzeit.provider.ProviderCommand;
import io.gleitzeit.provider.TaskKey;
import io.gleitzeit.workflow.WorkflowCommand.Accepted;
import io.gleitzeit.workflow.WorkflowCommand.AlreadyExists;
import io.gleitzeit.workflow.WorkflowCommand.AssignmentGranted;
import io.gleitzeit.workflow.WorkflowCommand.AssignmentWaiting;
import io.gleitzeit.workflow.WorkflowCommand.GetWorkflow;
import io.gleitzeit.workflow.WorkflowCommand.ReattachAnswer;
import io.gleitzeit.workflow.WorkflowCommand.ReportTaskResult;
import io.gleitzeit.workflow.WorkflowCommand.ReportTaskStarted;
import io.gleitzeit.workflow.WorkflowCommand.RetryDue;
import io.gleitzeit.workflow.WorkflowCommand.SubmitWorkflow;
import io.gleitzeit.workflow.WorkflowCommand.TimeoutDue;
import io.gleitzeit.workflow.WorkflowCommand.WorkflowReply;
import io.gleitzeit.workflow.WorkflowCommand.ControlReply;
import io.gleitzeit.workflow.WorkflowEvent.ReportRejected;
import io.gleitzeit.workflow.WorkflowEvent.TaskAssigned;
import io.gleitzeit.workflow.WorkflowEvent.TaskStarted;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.JournalPersistFailed;
import org.apache.pekko.persistence.typed.JournalPersistRejected;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One workflow, sharded by its id and event-sourced: its journal is its event store. Every step is a
 * reaction — a submission readies the roots, a grant dispatches, a result readies dependents — persisted
 * before anything is sent, so a crash at any point resumes from the journal.
 */
public final class WorkflowEntity
    extends EventSourcedBehaviorWithEnforcedReplies<WorkflowCommand, WorkflowEvent, WorkflowState> {

  public static final EntityTypeKey<WorkflowCommand> ENTITY_KEY =
      EntityTypeKey.create(WorkflowCommand.class, "Workflow");

  /**
   * What a workflow entity needs from its node. {@code redispatchAfter}: how long a dispatched attempt may go
   * unheard of (no start, no outcome) before it is sent to its provider again.
   */
  public record Dependencies(
      ActorRef<CoordinatorCommand> coordinator, Function<String, RecipientRef<ProviderCommand>> providers,
      EventPublisher publisher, InstantSource clock, WorkflowDecisions decisions, Duration idleTimeout,
      Duration redispatchAfter) {
    public Dependencies(ActorRef<CoordinatorCommand> coordinator,
                        Function<String, RecipientRef<ProviderCommand>> providers, EventPublisher publisher,
                        InstantSource clock, WorkflowDecisions decisions, Duration idleTimeout) {
      this(coordinator, providers, publisher, clock, decisions, idleTimeout, Duration.ofSeconds(5));
    }
  }

  /**
   * Workflows are sharded with remember-entities: a running workflow is restarted by sharding after a crash
   * or on another node without anyone asking for it, and resumes from its journal. A workflow that is not
   * running leaves memory by itself after {@code idleTimeout} without messages (and is forgotten).
   */
  public static void init(ActorSystem<?> system, Dependencies deps) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, ctx -> {
      ActorRef<ClusterSharding.ShardCommand> shard = ctx.getShard();
      return create(ctx.getEntityId(), deps, self -> shard.tell(new ClusterSharding.Passivate<>(self)));
    }).withSettings(ClusterShardingSettings.create(system).withRememberEntities(true)));
  }

  /** {@code passivate} asks the entity's shard to stop it; tests pass their own. */
  public static Behavior<WorkflowCommand> create(String workflowId, Dependencies deps,
                                                 java.util.function.Consumer<ActorRef<WorkflowCommand>> passivate) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      ctx.setReceiveTimeout(deps.idleTimeout(), WorkflowCommand.Idle.INSTANCE);
      return new WorkflowEntity(workflowId, deps, ctx, timers, passivate);
    }));
  }

  public static PersistenceId persistenceIdOf(String workflowId) {
    return PersistenceId.of(ENTITY_KEY.name(), workflowId);
  }

  private final String workflowId;
  private final Dependencies deps;
  private final ActorContext<WorkflowCommand> ctx;
  private final TimerScheduler<WorkflowCommand> timers;
  private final java.util.function.Consumer<ActorRef<WorkflowCommand>> passivate;
  /** Retention agreed to remove this workflow (in memory only; see {@link #onForget}). */
  private boolean forgetting;
  /** Why each ready task waits, as the coordinator last said; kept in memory only. */
  private final Map<String, String> waitingFor = new HashMap<>();
  /** The next write while it is gathered: see {@link #group}. */
  private final ReportGroup pending = new ReportGroup();
  /** Who waits for the submission being written, told at once when the journal refuses the write. */
  private ActorRef<WorkflowCommand.SubmitReply> submitting;

  private WorkflowEntity(String workflowId, Dependencies deps, ActorContext<WorkflowCommand> ctx,
                         TimerScheduler<WorkflowCommand> timers,
                         java.util.function.Consumer<ActorRef<WorkflowCommand>> passivate) {
    super(persistenceIdOf(workflowId));
    this.workflowId = workflowId;
    this.deps = deps;
    this.ctx = ctx;
    this.timers = timers;
    this.passivate = passivate;
  }

  /**
   * The longest a write of outcomes waits for the assignments of the tasks they made ready (see {@link
   * #group}); the coordinator answers in well under a millisecond unless it is busy or far away. Pekko's
   * scheduler ticks every 10 ms, so this fires 10–20 ms after it is armed.
   */
  static final Duration ASSIGNMENT_HOLD = Duration.ofMillis(10);
  private static final String HOLD_TIMER = "assignment-hold";

  /** A workflow with fewer events than this never snapshots. */
  static final int SNAPSHOT_MIN_EVENTS = 100;

  /**
   * Snapshots let a long workflow recover from the latest snapshot and the tail after it. Taking one copies
   * the whole state, so the interval grows with the workflow (twice its task count, at least
   * {@value #SNAPSHOT_MIN_EVENTS} events): the cost per event stays constant. Events are kept: they are the
   * event store.
   */
  @Override
  public boolean shouldSnapshot(WorkflowState state, WorkflowEvent event, long sequenceNr) {
    return sequenceNr % Math.max(SNAPSHOT_MIN_EVENTS, 2L * state.tasks.size()) == 0;
  }

  /**
   * The state is mutable (a 10,000-task workflow must not be copied per event), but a snapshot is written
   * asynchronously: it must be a copy taken when the snapshot is decided, not the live object.
   */
  @Override
  public org.apache.pekko.persistence.typed.SnapshotAdapter<WorkflowState> snapshotAdapter() {
    return new org.apache.pekko.persistence.typed.SnapshotAdapter<>() {
      @Override
      public Object toJournal(WorkflowState state) {
        return state.copy();
      }

      @Override
      public WorkflowState fromJournal(Object from) {
        return (WorkflowState) from;
      }
    };
  }

  @Override
  public WorkflowState emptyState() {
    return WorkflowState.empty();
  }

  @Override
  public CommandHandlerWithReply<WorkflowCommand, WorkflowEvent, WorkflowState> commandHandler() {
    var builder = newCommandHandlerWithReplyBuilder();
    // Being forgotten by retention: tried first, while the flag is set.
    builder.forState(state -> forgetting).onAnyCommand(this::whileForgetting);
    // While reports' events wait for their write, more reports join them; anything else waits for the write.
    builder.forState(state -> !pending.isEmpty())
        .onCommand(AssignmentGranted.class, this::onGranted)
        .onCommand(AssignmentWaiting.class, this::onWaiting)
        .onCommand(ReportTaskStarted.class, this::onStarted)
        .onCommand(ReportTaskResult.class, this::onResult)
        .onCommand(WorkflowCommand.PersistReports.class, this::onPersistReports)
        .onAnyCommand((state, command) -> Effect().stash());
    builder.forAnyState()
        .onCommand(WorkflowCommand.PersistReports.class, this::onPersistReports)
        .onCommand(SubmitWorkflow.class, this::onSubmit)
        .onCommand(GetWorkflow.class, (state, cmd) ->
            Effect().reply(cmd.replyTo(), new WorkflowReply(state.exists() ? WorkflowView.of(state, waitingFor) : null)))
        .onCommand(AssignmentGranted.class, this::onGranted)
        .onCommand(AssignmentWaiting.class, this::onWaiting)
        .onCommand(ReportTaskStarted.class, this::onStarted)
        .onCommand(ReportTaskResult.class, this::onResult)
        .onCommand(ReattachAnswer.class, this::onReattachAnswer)
        .onCommand(WorkflowCommand.SlotHeld.class, this::onSlotHeld)
        .onCommand(RetryDue.class, this::onRetryDue)
        .onCommand(TimeoutDue.class, this::onTimeoutDue)
        .onCommand(WorkflowCommand.RedispatchDue.class, this::onRedispatchDue)
        .onCommand(WorkflowCommand.RerequestDue.class, this::onRerequestDue)
        .onCommand(WorkflowCommand.ScheduleToStartDue.class, this::onScheduleToStartDue)
        .onCommand(WorkflowCommand.CancelWorkflow.class, this::onCancel)
        .onCommand(WorkflowCommand.RetryTask.class, (s, c) -> retryByHand(s, c.taskId(), null, c.replyTo()))
        .onCommand(WorkflowCommand.RequeueDeadLetter.class,
            (s, c) -> retryByHand(s, c.taskId(), c.deadLetterId(), c.replyTo()))
        .onCommand(WorkflowCommand.Idle.class, this::onIdle)
        .onCommand(WorkflowCommand.Forget.class, this::onForget)
        .onCommand(WorkflowCommand.Forgotten.class, (s, c) -> Effect().reply(c.replyTo(), Done.getInstance()));
    return builder.build();
  }

  /**
   * Retention asks to remove this workflow: only a finished one, finished before the limit. Once agreed the
   * entity is no longer a workflow to anyone (in memory only: nothing is persisted), so nothing new is
   * written to a journal that is being deleted; {@link WorkflowCommand.Forgotten} then lets it go.
   */
  private ReplyEffect<WorkflowEvent, WorkflowState> onForget(WorkflowState state, WorkflowCommand.Forget cmd) {
    if (!state.exists() || state.status == WorkflowStatus.RUNNING || state.completedAt == null
        || !state.completedAt.isBefore(cmd.finishedBefore())) {
      return Effect().reply(cmd.replyTo(), new WorkflowCommand.ForgetReply(false, !state.exists() ? "no such workflow"
          : "workflow '" + workflowId + "' is " + state.status.wire() + " since " + state.completedAt));
    }
    forgetting = true;
    return Effect().reply(cmd.replyTo(), new WorkflowCommand.ForgetReply(true, null));
  }

  /** Every command while being forgotten: answered as for an unknown workflow. */
  private ReplyEffect<WorkflowEvent, WorkflowState> whileForgetting(WorkflowState state, WorkflowCommand command) {
    String gone = "no workflow with id '" + workflowId + "' (removed by retention)";
    if (command instanceof GetWorkflow c) {
      return Effect().reply(c.replyTo(), new WorkflowReply(null));
    } else if (command instanceof SubmitWorkflow c) {
      return Effect().reply(c.replyTo(), new AlreadyExists(workflowId));
    } else if (command instanceof WorkflowCommand.CancelWorkflow c) {
      return Effect().reply(c.replyTo(), control(ControlReply.Outcome.NOT_FOUND, gone, null));
    } else if (command instanceof WorkflowCommand.RetryTask c) {
      return Effect().reply(c.replyTo(), control(ControlReply.Outcome.NOT_FOUND, gone, null));
    } else if (command instanceof WorkflowCommand.RequeueDeadLetter c) {
      return Effect().reply(c.replyTo(), control(ControlReply.Outcome.NOT_FOUND, gone, null));
    } else if (command instanceof ReportTaskResult c) {
      return Effect().reply(c.replyTo(), Done.getInstance()); // nothing to record: the sender may stop retrying
    } else if (command instanceof WorkflowCommand.Forget c) {
      return Effect().reply(c.replyTo(), new WorkflowCommand.ForgetReply(true, null));
    } else if (command instanceof WorkflowCommand.SlotHeld c) {
      release(c.providerId(), key(c.taskId(), c.attempt()), true);
    } else if (command instanceof WorkflowCommand.Forgotten c) {
      passivate.accept(ctx.getSelf());
      return Effect().reply(c.replyTo(), Done.getInstance()); // after the shard was asked to stop this entity
    } else if (command instanceof WorkflowCommand.Idle) {
      passivate.accept(ctx.getSelf());
    }
    return Effect().noReply();
  }

  /** Every event is tagged, so that projections (the event index, read models) can follow them in order. */
  public static final String TAG = "workflow";

  @Override
  public java.util.Set<String> tagsFor(WorkflowEvent event) {
    return java.util.Set.of(TAG);
  }

  /**
   * Applies an event unless the state has it already: the events of reports are applied when decided (see
   * {@link #group}), before their write; every event takes at least one sequence number, so the state's last
   * sequence tells which it has. Replays (and replays after a snapshot taken within a group) apply the rest.
   */
  @Override
  public EventHandler<WorkflowState, WorkflowEvent> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent((state, event) ->
        event.lastSequence() <= state.lastSequence ? state : state.apply(event));
  }

  @Override
  public SignalHandler<WorkflowState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::resume)
        .onSignal(JournalPersistRejected.class, (state, signal) -> writeRefused("rejected", signal.failure()))
        .onSignal(JournalPersistFailed.class, (state, signal) -> writeRefused("failed", signal.failure()))
        .build();
  }

  /**
   * The journal rejected or failed a write: Pekko stops the entity next (its shard starts it again, and it
   * recovers what was written). A submitter still waiting learns it now instead of by its ask timing out;
   * anyone else waiting for a write (a provider reporting a result) delivers again, at least once.
   */
  private void writeRefused(String how, Throwable failure) {
    ctx.getLog().error("the journal {} a write of workflow {}: {}", how, workflowId, String.valueOf(failure));
    if (submitting != null) {
      submitting.tell(new WorkflowCommand.SubmitRefused(workflowId, "the journal " + how + " the write of workflow '"
          + workflowId + "' (" + (failure == null ? "no reason given" : failure.getMessage())
          + "); nothing was stored, submit it again"));
      submitting = null;
    }
  }

  /** A workflow that is not running (finished, or never submitted) leaves memory when idle. */
  private ReplyEffect<WorkflowEvent, WorkflowState> onIdle(WorkflowState state, WorkflowCommand.Idle idle) {
    if (state.status != WorkflowStatus.RUNNING) {
      passivate.accept(ctx.getSelf());
    }
    return Effect().noReply();
  }

  private ReplyEffect<WorkflowEvent, WorkflowState> onCancel(WorkflowState state,
                                                             WorkflowCommand.CancelWorkflow cmd) {
    if (!state.exists()) {
      return Effect().reply(cmd.replyTo(), control(ControlReply.Outcome.NOT_FOUND, "no workflow with id '"
          + workflowId + "'", null));
    }
    if (state.status == WorkflowStatus.CANCELLED) {
      return Effect().reply(cmd.replyTo(), control(ControlReply.Outcome.DONE, "already cancelled", state));
    }
    if (state.status != WorkflowStatus.RUNNING) {
      return Effect().reply(cmd.replyTo(), control(ControlReply.Outcome.CONFLICT, "workflow '" + workflowId
          + "' already " + state.status.wire() + "; only a running workflow can be cancelled", state));
    }
    WorkflowEvent event = deps.decisions().cancel(state, cmd.reason(), now());
    List<HeldAttempt> toCancel = heldAmongCancelled(state, event);
    return Effect().persist(event).thenRun(s -> {
      for (TaskRun t : s.taskRuns()) {
        timers.cancel(timeoutTimer(t.id));
        timers.cancel(retryTimer(t.id));
      }
      afterPersist(s, event, toCancel);
    }).thenReply(cmd.replyTo(), s -> control(ControlReply.Outcome.DONE, "cancelled", s));
  }

  /** A manual retry, or the requeue of a dead letter: the failed or cancelled task runs again. */
  private ReplyEffect<WorkflowEvent, WorkflowState> retryByHand(WorkflowState state, String taskId,
      String deadLetterId, ActorRef<ControlReply> replyTo) {
    TaskRun task = state.exists() ? state.task(taskId) : null;
    if (task == null) {
      String what = state.exists() ? "no task '" + taskId + "' in workflow '" + workflowId + "'"
          : "no workflow with id '" + workflowId + "'";
      return Effect().reply(replyTo, control(ControlReply.Outcome.NOT_FOUND, what, null));
    }
    if (deadLetterId != null && state.requeuedDeadLetters.contains(deadLetterId)) {
      return Effect().reply(replyTo, control(ControlReply.Outcome.CONFLICT, "dead letter '" + deadLetterId
          + "' was already requeued", state));
    }
    if (task.state != TaskState.FAILED && task.state != TaskState.CANCELLED) {
      return Effect().reply(replyTo, control(ControlReply.Outcome.CONFLICT, "task '" + taskId
          + "' is " + task.state.wire() + "; only a failed or cancelled task can run again", state));
    }
    String unfinished = deps.decisions().unfinishedDependency(state, taskId);
    if (unfinished != null) {
      return Effect().reply(replyTo, control(ControlReply.Outcome.CONFLICT, "task '" + taskId + "' depends on '"
          + unfinished + "', which is " + state.task(unfinished).state.wire() + "; run '" + taskId
          + "' again once '" + unfinished + "' has finished", state));
    }
    // A failed task's attempt is in the dead letter queue (SPEC §7): running it again by hand takes it out, as a
    // requeue would, so that the queue does not keep a letter nothing can requeue any more.
    String requeued = deadLetterId != null || task.state != TaskState.FAILED ? deadLetterId
        : WorkflowEnvelopes.deadLetterId(workflowId, taskId, task.attempt);
    WorkflowEvent event = deps.decisions().retryByHand(state, taskId, requeued, now());
    return Effect().persist(event).thenRun(s -> afterPersist(s, event, List.of()))
        .thenReply(replyTo, s -> control(ControlReply.Outcome.DONE, "running again as attempt "
            + s.task(taskId).attempt + (s.task(taskId).state == TaskState.PENDING
            ? " once the dependencies it reopened have finished" : ""), s));
  }

  private ControlReply control(ControlReply.Outcome outcome, String message, WorkflowState state) {
    return new ControlReply(outcome, message, state == null ? null : WorkflowView.of(state, waitingFor));
  }

  private ReplyEffect<WorkflowEvent, WorkflowState> onSubmit(WorkflowState state, SubmitWorkflow cmd) {
    if (state.exists()) {
      return Effect().reply(cmd.replyTo(), new AlreadyExists(workflowId));
    }
    WorkflowEvent event = deps.decisions().submit(cmd.definition(), now());
    submitting = cmd.replyTo();
    // Grouped like a report: the first tasks are asked for at once and their grants written with the submission.
    return group(state, event, s -> {
      submitting = null;
      afterPersist(s, event, List.of());
      cmd.replyTo().tell(new Accepted(workflowId));
    });
  }

  private ReplyEffect<WorkflowEvent, WorkflowState> onGranted(WorkflowState state, AssignmentGranted cmd) {
    answered(cmd.taskId());
    TaskRun task = state.exists() ? state.task(cmd.taskId()) : null;
    boolean applies = task != null && state.status == WorkflowStatus.RUNNING && task.state == TaskState.READY
        && task.attempt == cmd.attempt();
    if (!applies) {
      boolean alreadyOurs = task != null && task.heldBy(cmd.providerId(), cmd.attempt());
      if (!alreadyOurs) {
        release(cmd.providerId(), key(cmd.taskId(), cmd.attempt()), false);
      }
      return Effect().noReply();
    }
    waitingFor.remove(cmd.taskId());
    timers.cancel(rerequestTimer(cmd.taskId()));
    WorkflowEvent event = deps.decisions().assign(state, cmd.taskId(), cmd.providerId(), now());
    List<HeldAttempt> toCancel = heldAmongCancelled(state, event);
    return group(state, event, s -> {
      if (event instanceof TaskAssigned) {
        TaskDefinition def = s.definitionOf(cmd.taskId());
        dispatch(s, s.task(cmd.taskId()));
        if (def.timeout() != null) {
          arm(timeoutTimer(cmd.taskId()), new TimeoutDue(cmd.taskId(), cmd.attempt()), s.task(cmd.taskId()).assignedAt
              .plus(def.timeout()));
        }
      } else {
        release(cmd.providerId(), key(cmd.taskId(), cmd.attempt()), false);
      }
      afterPersist(s, event, toCancel);
    });
  }

  private ReplyEffect<WorkflowEvent, WorkflowState> onWaiting(WorkflowState state, AssignmentWaiting cmd) {
    answered(cmd.taskId());
    TaskRun task = state.exists() ? state.task(cmd.taskId()) : null;
    if (task != null && task.state == TaskState.READY && task.attempt == cmd.attempt()) {
      waitingFor.put(cmd.taskId(), cmd.reason());
    }
    return Effect().noReply();
  }

  /**
   * A provider asks whether it should keep this attempt's slot. Unless it is the task's current attempt on
   * that provider, the workflow no longer wants it (its outcome is recorded, it was cancelled or reassigned,
   * its grant never arrived): the slot is freed, and work still running for it is cancelled. A grant not yet
   * written counts as not wanted: its dispatch then finds the slot freed and the attempt is reassigned, as for
   * any attempt a crash interrupted.
   */
  private ReplyEffect<WorkflowEvent, WorkflowState> onSlotHeld(WorkflowState state, WorkflowCommand.SlotHeld cmd) {
    TaskRun task = state.exists() ? state.task(cmd.taskId()) : null;
    boolean wanted = task != null && state.status == WorkflowStatus.RUNNING
        && task.heldBy(cmd.providerId(), cmd.attempt());
    if (!wanted) {
      release(cmd.providerId(), key(cmd.taskId(), cmd.attempt()), true);
    } else {
      // The provider entity started afresh (its node stopped) and has lost what it sent: an external worker that
      // reconnects is sent the attempt again only if it is dispatched again, also once it has started (round 17:
      // started attempts stayed held and never ran). A runtime that still runs it ignores the repeat.
      dispatch(state, task);
    }
    return Effect().noReply();
  }

  private ReplyEffect<WorkflowEvent, WorkflowState> onStarted(WorkflowState state, ReportTaskStarted cmd) {
    TaskRun task = state.exists() ? state.task(cmd.taskId()) : null;
    if (task == null || task.attempt != cmd.attempt() || task.state != TaskState.ASSIGNED) {
      return Effect().noReply();
    }
    timers.cancel(redispatchTimer(cmd.taskId()));
    Instant at = now();
    Instant reported = WorkflowDecisions.startWithin(task, cmd.startedAt(), at);
    WorkflowEvent event = new TaskStarted(workflowId, cmd.taskId(), cmd.attempt(), cmd.providerId(),
        reported != null ? reported : at, state.lastSequence + 1);
    return group(state, event, s -> afterPersist(s, event, List.of()));
  }

  private ReplyEffect<WorkflowEvent, WorkflowState> onResult(WorkflowState state, ReportTaskResult cmd) {
    TaskRun task = state.exists() ? state.task(cmd.taskId()) : null;
    if (task == null) {
      ctx.getLog().warn("result for unknown task {} of workflow {} dropped", cmd.taskId(), workflowId);
      return Effect().reply(cmd.replyTo(), Done.getInstance());
    }
    if (cmd.attempt() > task.attempt) {
      // An attempt this workflow never gave out (a worker's bad number): nothing to reject, and a journal row per
      // such frame would let a buggy worker grow the journal. The worker got its error frame already.
      ctx.getLog().debug("result for attempt {} of task {} of workflow {}, which is on attempt {}, dropped",
          cmd.attempt(), cmd.taskId(), workflowId, task.attempt);
      return Effect().reply(cmd.replyTo(), Done.getInstance());
    }
    // Fenced by attempt and by provider: only the provider the attempt was given to can finish it.
    boolean current = state.status == WorkflowStatus.RUNNING && task.heldBy(cmd.providerId(), cmd.attempt());
    if (!current) {
      if (task.attempt == cmd.attempt() && outcomeRecorded(task)) {
        // At-least-once delivery: this outcome is in the journal already.
        return Effect().reply(cmd.replyTo(), Done.getInstance());
      }
      WorkflowEvent rejected = new ReportRejected(workflowId, cmd.taskId(), cmd.attempt(), cmd.providerId(),
          rejectionReason(task, cmd.attempt(), cmd.providerId()), now(), state.lastSequence + 1);
      return group(state, rejected, s -> {
        afterPersist(s, rejected, List.of());
        cmd.replyTo().tell(Done.getInstance());
      });
    }
    if (overdue(state, task)) {
      return lateForItsTimeout(state, task, cmd);
    }
    timers.cancel(timeoutTimer(cmd.taskId()));
    timers.cancel(redispatchTimer(cmd.taskId()));
    WorkflowEvent event = cmd.error() == null
        ? deps.decisions().complete(state, cmd.taskId(), cmd.result(), now(), cmd.startedAt())
        : deps.decisions().fail(state, cmd.taskId(), cmd.error(), now(), cmd.startedAt());
    List<HeldAttempt> toCancel = heldAmongCancelled(state, event);
    return group(state, event, s -> {
      afterPersist(s, event, toCancel);
      cmd.replyTo().tell(Done.getInstance());
    });
  }

  /** Whether the attempt's timeout (from its dispatch) has run out, whether or not its timer has fired yet. */
  private boolean overdue(WorkflowState state, TaskRun task) {
    Duration timeout = state.definitionOf(task.id).timeout();
    return timeout != null && task.assignedAt != null && !now().isBefore(task.assignedAt.plus(timeout));
  }

  /** A timeout is a retryable failure (SPEC §7). */
  private static TaskError timedOutAfter(Duration timeout) {
    return new TaskError("timed out after " + timeout.toMillis() + " ms", true, TaskError.TIMEOUT);
  }

  /**
   * An outcome that arrives after its attempt's timeout ran out, before the timeout's timer fired: the timer
   * waits its turn behind messages that came first, and after a node's loss the recovered entity hears the
   * outcomes buffered for it before its timers are due again. Decided as if the timer had come first: the
   * attempt fails with its timeout, and the outcome is rejected as late.
   */
  private ReplyEffect<WorkflowEvent, WorkflowState> lateForItsTimeout(WorkflowState state, TaskRun task,
                                                                      ReportTaskResult cmd) {
    timers.cancel(timeoutTimer(task.id));
    timers.cancel(redispatchTimer(task.id));
    Duration timeout = state.definitionOf(task.id).timeout();
    TaskKey key = key(task.id, task.attempt);
    String providerId = task.providerId;
    WorkflowEvent timedOut = deps.decisions().fail(state, task.id, timedOutAfter(timeout), now());
    List<HeldAttempt> toCancel = heldAmongCancelled(state, timedOut);
    // Both events join the same write; the first one's effect (no reply) is the second one's.
    group(state, timedOut, s -> {
      timedOut(providerId, key);
      afterPersist(s, timedOut, toCancel);
    });
    WorkflowEvent rejected = new ReportRejected(workflowId, cmd.taskId(), cmd.attempt(), cmd.providerId(),
        "arrived after the attempt timed out (" + timeout.toMillis() + " ms)", now(), state.lastSequence + 1);
    return group(state, rejected, s -> {
      afterPersist(s, rejected, List.of());
      cmd.replyTo().tell(Done.getInstance());
    });
  }

  /**
   * Group commit of reports. A workflow with parallel tasks hears from many attempts at once, and an entity
   * persists one write at a time: persisting each report on its own made a wide workflow wait for one
   * journal round trip per grant, start and outcome. Instead the event is applied to the state at once (later
   * decisions see it; the event handler then skips it) and joins the events waiting for the next write, which
   * this entity asks of itself; reports arriving meanwhile join too. Nothing is sent, armed or acknowledged
   * before the write: {@code then} runs after it, with the state after the whole group. Any other command
   * waits (stashed) until the group is written, so it never sees an event the journal does not have. A
   * failed write stops the entity, which recovers from the journal; unacknowledged reports are delivered again.
   *
   * <p>One exception, for the tasks an outcome (or the submission) makes ready: they are asked for at once, and
   * the write waits (at most {@link #ASSIGNMENT_HOLD}) for the coordinator's answers, so that their grants are
   * written with the outcome. A dependent then starts one journal write after its dependency's outcome instead
   * of two, and a workflow's first tasks one write after its submission: the submitter hears "accepted" once
   * both are written. A request sent for a write that never happens is harmless: the coordinator answers a
   * repeated request with the same grant, and a recovered entity asks again for every ready task.
   */
  private ReplyEffect<WorkflowEvent, WorkflowState> group(WorkflowState state, WorkflowEvent event,
                                                          Consumer<WorkflowState> then) {
    if (pending.isEmpty()) {
      ctx.getSelf().tell(WorkflowCommand.PersistReports.INSTANCE); // after the reports already waiting
    }
    state.apply(event);
    pending.add(event, then);
    if (state.status == WorkflowStatus.RUNNING) {
      for (String taskId : requestedBy(event)) {
        requestAssignment(state, taskId);
        pending.requestedEarly(taskId);
      }
    }
    return Effect().noReply();
  }

  /** The coordinator answered for {@code taskId}: the last awaited answer lets the held write go. */
  private void answered(String taskId) {
    if (pending.answered(taskId)) {
      ctx.getSelf().tell(WorkflowCommand.PersistReports.INSTANCE);
    }
  }

  private ReplyEffect<WorkflowEvent, WorkflowState> onPersistReports(WorkflowState state,
                                                                     WorkflowCommand.PersistReports cmd) {
    if (pending.isEmpty()) {
      return Effect().noReply();
    }
    if (pending.awaitsAnswers() && cmd != WorkflowCommand.PersistReports.HOLD_OVER) {
      if (!timers.isTimerActive(HOLD_TIMER)) {
        timers.startSingleTimer(HOLD_TIMER, WorkflowCommand.PersistReports.HOLD_OVER, ASSIGNMENT_HOLD);
      }
      return Effect().noReply();
    }
    timers.cancel(HOLD_TIMER);
    ReportGroup.Write write = pending.drain();
    return Effect().persist(write.events()).thenRun(s -> write.effects().forEach(effect -> effect.accept(s)))
        .thenNoReply().thenUnstashAll();
  }

  private ReplyEffect<WorkflowEvent, WorkflowState> onReattachAnswer(WorkflowState state, ReattachAnswer cmd) {
    TaskRun task = state.exists() ? state.task(cmd.taskId()) : null;
    if (cmd.held() || task == null || task.attempt != cmd.attempt() || !task.heldByProvider()
        || state.status != WorkflowStatus.RUNNING) {
      return Effect().noReply();
    }
    return reassign(state, cmd.taskId(), cmd.reason() != null ? cmd.reason()
        : "provider " + cmd.providerId() + " no longer holds attempt " + cmd.attempt());
  }

  private ReplyEffect<WorkflowEvent, WorkflowState> reassign(WorkflowState state, String taskId, String reason) {
    timers.cancel(timeoutTimer(taskId));
    WorkflowEvent event = deps.decisions().reassign(state, taskId, reason, now());
    List<HeldAttempt> toCancel = heldAmongCancelled(state, event);
    return Effect().persist(event).thenRun(s -> afterPersist(s, event, toCancel)).thenNoReply();
  }

  private ReplyEffect<WorkflowEvent, WorkflowState> onRetryDue(WorkflowState state, RetryDue cmd) {
    TaskRun task = state.exists() ? state.task(cmd.taskId()) : null;
    if (task == null || task.state != TaskState.RETRY_SCHEDULED || task.attempt != cmd.attempt()
        || state.status != WorkflowStatus.RUNNING) {
      return Effect().noReply();
    }
    if (now().isBefore(task.retryAt)) {
      scheduleRetry(cmd.taskId(), cmd.attempt(), task.retryAt);
      return Effect().noReply();
    }
    WorkflowEvent event = deps.decisions().retryReady(state, cmd.taskId(), now());
    return Effect().persist(event).thenRun(s -> afterPersist(s, event, List.of())).thenNoReply();
  }

  private ReplyEffect<WorkflowEvent, WorkflowState> onTimeoutDue(WorkflowState state, TimeoutDue cmd) {
    TaskRun task = state.exists() ? state.task(cmd.taskId()) : null;
    if (task == null || task.attempt != cmd.attempt() || !task.heldByProvider()
        || state.status != WorkflowStatus.RUNNING) {
      return Effect().noReply();
    }
    TaskKey key = key(cmd.taskId(), cmd.attempt());
    Duration timeout = state.definitionOf(cmd.taskId()).timeout();
    Instant due = task.assignedAt.plus(timeout);
    if (now().isBefore(due)) {
      arm(timeoutTimer(cmd.taskId()), cmd, due);
      return Effect().noReply();
    }
    String providerId = task.providerId;
    WorkflowEvent event = deps.decisions().fail(state, cmd.taskId(), timedOutAfter(timeout), now());
    List<HeldAttempt> toCancel = heldAmongCancelled(state, event);
    return Effect().persist(event).thenRun(s -> {
      timedOut(providerId, key);
      afterPersist(s, event, toCancel);
    }).thenNoReply();
  }

  /**
   * A dispatch is a plain message: one in flight when the provider's entity moves (a node leaving, a shard
   * handed off) is lost, and the attempt would wait forever. Until its provider reports the start or the
   * outcome, the attempt is sent again now and then; a runtime that already runs it ignores the repeat, a
   * provider that no longer holds it hands it back and it is reassigned.
   */
  private ReplyEffect<WorkflowEvent, WorkflowState> onRedispatchDue(WorkflowState state,
                                                                    WorkflowCommand.RedispatchDue cmd) {
    TaskRun task = state.exists() ? state.task(cmd.taskId()) : null;
    if (task != null && task.attempt == cmd.attempt() && task.state == TaskState.ASSIGNED
        && state.status == WorkflowStatus.RUNNING) {
      ctx.getLog().debug("attempt {} of {}/{} not heard of from provider {}: dispatched again", cmd.attempt(),
          workflowId, cmd.taskId(), task.providerId);
      dispatch(state, task);
    }
    return Effect().noReply();
  }

  /**
   * Like a dispatch, a grant is a plain message and can be lost when an entity moves: a requested attempt
   * without a grant asks again now and then. The coordinator confirms a request it already granted at the
   * provider that granted it, and ignores one it is still working on or that waits for a provider.
   */
  private ReplyEffect<WorkflowEvent, WorkflowState> onRerequestDue(WorkflowState state,
                                                                   WorkflowCommand.RerequestDue cmd) {
    TaskRun task = state.exists() ? state.task(cmd.taskId()) : null;
    if (task != null && task.attempt == cmd.attempt() && task.state == TaskState.READY && task.requested
        && state.status == WorkflowStatus.RUNNING) {
      askCoordinator(state, cmd.taskId());
    }
    return Effect().noReply();
  }

  /**
   * Where {@code schedule_to_start_timeout} counts from: when a provider was first asked for the attempt; null
   * while its workflow's max_parallel holds it back (it waits for its turn without a deadline). A state recovered
   * from a snapshot of an older version does not know when: from readiness then.
   */
  private static Instant offeredAt(TaskRun task) {
    if (task.askedAt != null) {
      return task.askedAt;
    }
    return task.requested ? task.readyAt : null;
  }

  /** SPEC §1: a ready task that no provider took within schedule_to_start_timeout fails, without retry. */
  private ReplyEffect<WorkflowEvent, WorkflowState> onScheduleToStartDue(WorkflowState state,
                                                                         WorkflowCommand.ScheduleToStartDue cmd) {
    TaskRun task = state.exists() ? state.task(cmd.taskId()) : null;
    if (task == null || task.state != TaskState.READY || task.attempt != cmd.attempt()
        || state.status != WorkflowStatus.RUNNING) {
      return Effect().noReply();
    }
    Instant offeredAt = offeredAt(task);
    if (offeredAt == null) {
      return Effect().noReply();
    }
    Duration limit = state.definition.scheduleToStartTimeout();
    Instant due = offeredAt.plus(limit);
    if (now().isBefore(due)) {
      arm(scheduleToStartTimer(cmd.taskId()), cmd, due);
      return Effect().noReply();
    }
    String why = waitingFor.getOrDefault(cmd.taskId(), "no provider took it");
    TaskError error = new TaskError("not started within schedule_to_start_timeout of " + limit.toMillis()
        + " ms: " + why, false, TaskError.SCHEDULE_TO_START);
    WorkflowEvent event = deps.decisions().fail(state, cmd.taskId(), error, now());
    List<HeldAttempt> toCancel = heldAmongCancelled(state, event);
    return Effect().persist(event).thenRun(s -> afterPersist(s, event, toCancel)).thenNoReply();
  }

  /** After every persisted event: stream its envelopes, ask for providers, arm timers, stop cancelled work. */
  private void afterPersist(WorkflowState state, WorkflowEvent event, List<HeldAttempt> cancelledHeld) {
    deps.publisher().publish(WorkflowEnvelopes.of(event));
    for (String taskId : requestedBy(event)) {
      if (!pending.takeRequestedEarly(taskId)) {
        requestAssignment(state, taskId);
      }
    }
    if (event instanceof WorkflowEvent.TaskFailed failed && failed.retry() != null) {
      scheduleRetry(failed.taskId(), failed.attempt(), failed.retry().retryAt());
    }
    for (HeldAttempt held : cancelledHeld) {
      timers.cancel(timeoutTimer(held.key().taskId()));
      release(held.providerId(), held.key(), true);
    }
    Consequences consequences = consequencesOf(event);
    for (String id : consequences.cancelled()) {
      // Asked for and not held: its request may still wait at the coordinator for a free slot.
      if (state.task(id).askedAt != null && !consequences.cancelledOn().containsKey(id)) {
        deps.coordinator().tell(new CoordinatorCommand.WithdrawRequest(key(id, state.task(id).attempt)));
      }
    }
  }

  /** On start (fresh or after a crash): pick up every pending step again, since nothing else will. */
  private void resume(WorkflowState state) {
    if (!state.exists() || state.status != WorkflowStatus.RUNNING) {
      return;
    }
    for (TaskRun t : state.taskRuns()) {
      if (t.state == TaskState.READY && t.requested) {
        requestAssignment(state, t.id);
      } else if (t.state == TaskState.RETRY_SCHEDULED) {
        scheduleRetry(t.id, t.attempt, t.retryAt);
      } else if (t.heldByProvider()) {
        // Send the attempt again: a provider that still holds it ignores the repeat (or runs it if the first
        // dispatch was lost); one that no longer holds it hands it back, and it is reassigned.
        dispatch(state, t);
        Duration timeout = state.definitionOf(t.id).timeout();
        if (timeout != null) {
          arm(timeoutTimer(t.id), new TimeoutDue(t.id, t.attempt), t.assignedAt.plus(timeout));
        }
      }
    }
  }

  /** Sends the attempt to its provider, and again later while nothing is heard of it (see onRedispatchDue). */
  private void dispatch(WorkflowState state, TaskRun task) {
    TaskDefinition def = state.definitionOf(task.id);
    Long timeoutMs = def.timeout() == null ? null : def.timeout().toMillis();
    deps.providers().apply(task.providerId).tell(new ProviderCommand.Dispatch(key(task.id, task.attempt),
        def.method(), task.params, timeoutMs));
    timers.startSingleTimer(redispatchTimer(task.id), new WorkflowCommand.RedispatchDue(task.id, task.attempt),
        deps.redispatchAfter());
  }

  private void release(String providerId, TaskKey key, boolean cancel) {
    release(providerId, new ProviderCommand.Release(key, cancel));
  }

  /** Stops an attempt its provider did not answer in time; the provider counts it against its health. */
  private void timedOut(String providerId, TaskKey key) {
    release(providerId, new ProviderCommand.Release(key, true, true));
  }

  private void release(String providerId, ProviderCommand.Release release) {
    if (providerId != null) {
      deps.providers().apply(providerId).tell(release);
    }
  }

  private void requestAssignment(WorkflowState state, String taskId) {
    TaskRun task = state.task(taskId);
    if (state.definition.scheduleToStartTimeout() != null) {
      arm(scheduleToStartTimer(taskId), new WorkflowCommand.ScheduleToStartDue(taskId, task.attempt),
          offeredAt(task).plus(state.definition.scheduleToStartTimeout()));
    }
    askCoordinator(state, taskId);
  }

  /** Asks for a provider, and again later while no grant arrives (see onRerequestDue). */
  private void askCoordinator(WorkflowState state, String taskId) {
    TaskDefinition def = state.definitionOf(taskId);
    TaskRun task = state.task(taskId);
    deps.coordinator().tell(new CoordinatorCommand.RequestAssignment(
        key(taskId, task.attempt), def.method(), def.priority(), def.provider()));
    timers.startSingleTimer(rerequestTimer(taskId), new WorkflowCommand.RerequestDue(taskId, task.attempt),
        deps.redispatchAfter());
  }

  private void scheduleRetry(String taskId, int failedAttempt, Instant retryAt) {
    arm(retryTimer(taskId), new RetryDue(taskId, failedAttempt), retryAt);
  }

  /** Arms a timer for {@code due}; its handler checks the due time again, so an early firing only re-arms. */
  private void arm(String timerKey, WorkflowCommand message, Instant due) {
    Duration left = Duration.between(now(), due);
    timers.startSingleTimer(timerKey, message, left.isNegative() ? Duration.ZERO : left);
  }

  private static List<String> requestedBy(WorkflowEvent event) {
    if (event instanceof WorkflowEvent.WorkflowSubmitted e) {
      return e.requested();
    } else if (event instanceof WorkflowEvent.TaskRetryReady e) {
      return e.requested() ? List.of(e.taskId()) : List.of();
    } else if (event instanceof WorkflowEvent.TaskReassigned e) {
      return e.requested() ? List.of(e.taskId()) : List.of();
    } else if (event instanceof WorkflowEvent.TaskRetriedManually e) {
      return e.requested();
    }
    return consequencesOf(event).requested();
  }

  /**
   * The attempts held by providers that {@code event} cancels (a cancellation, or error strategy stop): the event
   * names their providers ({@code cancelledOn}); their attempts are read from the state before the event applies.
   */
  private List<HeldAttempt> heldAmongCancelled(WorkflowState state, WorkflowEvent event) {
    List<HeldAttempt> held = new ArrayList<>();
    consequencesOf(event).cancelledOn().forEach((id, providerId) ->
        held.add(new HeldAttempt(key(id, state.task(id).attempt), providerId)));
    return held;
  }

  private record HeldAttempt(TaskKey key, String providerId) {}

  private static Consequences consequencesOf(WorkflowEvent event) {
    if (event instanceof WorkflowEvent.TaskCompleted e) {
      return e.consequences();
    } else if (event instanceof WorkflowEvent.TaskFailed e) {
      return e.consequences();
    } else if (event instanceof WorkflowEvent.TaskResolutionFailed e) {
      return e.consequences();
    } else if (event instanceof WorkflowEvent.WorkflowCancelled e) {
      return new Consequences(List.of(), List.of(), List.of(), e.cancelled(), WorkflowStatus.CANCELLED, Map.of(),
          e.cancelledOn());
    }
    return Consequences.NONE;
  }

  /**
   * True when the attempt's outcome as its provider reported it is in the journal already, so a repeat of
   * the report is only acknowledged. An attempt that ended otherwise (it timed out, or lost too many
   * providers) has no reported outcome: a report arriving for it is late and is rejected (SPEC §3).
   */
  private static boolean outcomeRecorded(TaskRun task) {
    if (task.state == TaskState.COMPLETED) {
      return true;
    }
    boolean failed = task.state == TaskState.FAILED || task.state == TaskState.RETRY_SCHEDULED;
    return failed && task.error != null && TaskError.PROVIDER.equals(task.error.type());
  }

  private static String rejectionReason(TaskRun task, int attempt, String providerId) {
    if (attempt == task.attempt && task.heldByProvider() && !java.util.Objects.equals(task.providerId, providerId)) {
      return "attempt " + attempt + " was given to provider " + task.providerId + ", not " + providerId;
    }
    if (attempt < task.attempt) {
      return "attempt " + attempt + " is no longer current (current attempt " + task.attempt + ")";
    }
    return "task is " + task.state.wire();
  }

  private TaskKey key(String taskId, int attempt) {
    return new TaskKey(workflowId, taskId, attempt);
  }

  private static String scheduleToStartTimer(String taskId) {
    return "start-" + taskId;
  }

  private static String retryTimer(String taskId) {
    return "retry-" + taskId;
  }

  private static String rerequestTimer(String taskId) {
    return "rerequest-" + taskId;
  }

  private static String redispatchTimer(String taskId) {
    return "redispatch-" + taskId;
  }

  private static String timeoutTimer(String taskId) {
    return "timeout-" + taskId;
  }

  private Instant now() {
    return deps.clock().instant();
  }
}
