package io.gleitzeit.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.domain.Limits;
import io.gleitzeit.domain.ProviderSpec;
import io.gleitzeit.provider.ProviderCommand.Register;
import io.gleitzeit.provider.ProviderCommand.RegisterReply;
import io.gleitzeit.provider.RuntimeCommand.CancelTask;
import io.gleitzeit.provider.RuntimeCommand.ExecuteTask;
import io.gleitzeit.workflow.TaskError;
import io.gleitzeit.workflow.WorkflowCommand;
import io.gleitzeit.workflow.WorkflowCommand.ReportTaskResult;
import io.gleitzeit.workflow.WorkflowCommand.ReportTaskStarted;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Runs the attempts its provider entity sends, with an executor doing the work: a built-in provider on a
 * node, or the connection of an external worker. It holds each attempt until the workflow has acknowledged
 * its outcome (reports are retried with backoff), then tells the provider entity the slot is free; after
 * {@link Reporting#attempts()} unacknowledged deliveries it gives up and the provider entity records the report
 * as a dead letter.
 * A built-in runtime registers its provider and heartbeats by itself; an external worker's heartbeats
 * arrive as {@link WorkerHeartbeat}s. A {@link SupervisedExecutor} (an MCP server) decides when that happens:
 * the provider is registered with the methods the executor reports, narrowed to those its configuration
 * allows, registered again when they change, and heartbeats only while the executor is up.
 */
public final class ProviderRuntime extends AbstractBehavior<ProviderRuntime.Message> {

  /**
   * Delivery settings for reports to workflows, and who hears of each attempt's execution time (metrics).
   * {@code startedDelay}: an attempt still running this long after it began reports its start; one that
   * finishes sooner reports its start with its outcome, saving its workflow a journal write (zero: every start
   * is reported at once).
   */
  public record Reporting(Duration timeout, int attempts, ExecutionListener executions, Duration startedDelay,
                          ProgressListener progress) {
    public Reporting(Duration timeout, int attempts) {
      this(timeout, attempts, ExecutionListener.NONE, Duration.ZERO, ProgressListener.NONE);
    }

    public Reporting(Duration timeout, int attempts, ExecutionListener executions, Duration startedDelay) {
      this(timeout, attempts, executions, startedDelay, ProgressListener.NONE);
    }
  }

  /** Told of the progress an executor reports for an attempt this runtime still runs (live only, never stored). */
  @FunctionalInterface
  public interface ProgressListener {
    void progress(TaskKey key, String providerId, ObjectNode progress);

    ProgressListener NONE = (key, providerId, progress) -> { };
  }

  /** Told of every attempt this runtime ran to an outcome the workflow acknowledged. */
  @FunctionalInterface
  public interface ExecutionListener {
    void executed(String method, String providerId, Duration duration, boolean success);

    /**
     * Told of each exact method a registration of this runtime's provider names (an MCP server's tools, known once
     * it runs), so that their series exist before the first attempt.
     */
    default void serves(String method, String providerId) {}

    ExecutionListener NONE = (method, providerId, duration, success) -> { };
  }

  /** Everything the runtime handles: the public {@link RuntimeCommand}s and its own messages. */
  public interface Message {}

  /** An external worker said it is alive. */
  public enum WorkerHeartbeat implements Message { INSTANCE }

  /** An external worker's socket closed: stop once the messages sent before this one are handled. */
  public enum Stop implements Message { INSTANCE }

  /** An external worker reported an outcome for an attempt this runtime may not know (e.g. after a reconnect). */
  public record WorkerOutcome(TaskKey key, JsonNode result, TaskError error) implements Message {}

  private record Started(TaskKey key, Instant at) implements Message {}

  private record Progress(TaskKey key, ObjectNode progress) implements Message {}

  private record StillRunning(TaskKey key) implements Message {}

  private record Finished(TaskKey key, JsonNode result, TaskError error) implements Message {}

  private record Deliver(TaskKey key) implements Message {}

  private record Delivered(TaskKey key, boolean ok, String failure) implements Message {}

  private enum Beat implements Message { INSTANCE }

  /** A registration's answer: {@code failure} when it was not answered, {@code refused} when it was refused. */
  private record Registered(ProviderSpec spec, String failure, boolean timedOut, String refused) implements Message {
    boolean ok() {
      return failure == null && refused == null;
    }
  }

  /** Deliveries of a report that may go unacknowledged before it is logged as a warning. */
  static final int QUIET_REDELIVERIES = 2;

  /** A registration that failed at once (not by a timeout) is tried again after {@link #REGISTER_AGAIN_AFTER}. */
  private record RegisterAgain(ProviderSpec spec) implements Message {}

  private static final Duration REGISTER_AGAIN_AFTER = Duration.ofSeconds(1);

  private record AvailabilityChanged(Availability availability) implements Message {}

  /** An attempt this runtime holds: running, or finished with its report not yet acknowledged. */
  private static final class Held {
    final long startedNanos = System.nanoTime();
    /** When the executor said the work began; null until then. */
    Instant startedAt;
    /** Whether the workflow has been told of the start (otherwise the outcome's report carries it). */
    boolean startReported;
    String method;
    ReportTaskResult report;
    long latencyMs;
    int deliveries;
  }

  /**
   * A built-in provider: registers {@code spec} with its entity, then heartbeats every {@code heartbeat}.
   */
  public static Behavior<Message> builtIn(ProviderSpec spec, TaskExecutor executor,
      Function<String, RecipientRef<WorkflowCommand>> workflows,
      Function<String, RecipientRef<ProviderCommand>> providers, Reporting reporting, Duration heartbeat) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      ProviderRuntime runtime = new ProviderRuntime(ctx, timers, spec.id(), executor, workflows, providers, reporting);
      runtime.heartbeat = heartbeat;
      if (executor instanceof SupervisedExecutor supervised) {
        runtime.configured = spec;
        runtime.up = false;
        ActorRef<Message> self = ctx.getSelf();
        supervised.start(a -> self.tell(new AvailabilityChanged(a)));
      } else {
        runtime.register(spec);
      }
      return runtime;
    }));
  }

  /** The runtime behind an external worker's connection: its heartbeats come from the worker. */
  public static Behavior<Message> external(String providerId, TaskExecutor executor,
      Function<String, RecipientRef<WorkflowCommand>> workflows,
      Function<String, RecipientRef<ProviderCommand>> providers, Reporting reporting) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new ProviderRuntime(ctx, timers, providerId, executor, workflows, providers, reporting)));
  }

  private final TimerScheduler<Message> timers;
  private final String providerId;
  private final TaskExecutor executor;
  private final Function<String, RecipientRef<WorkflowCommand>> workflows;
  private final Function<String, RecipientRef<ProviderCommand>> providers;
  private final Reporting reporting;
  private final Map<TaskKey, Held> held = new HashMap<>();
  /** The registration last asked for, and the one last acknowledged. */
  private ProviderSpec registering;
  private ProviderSpec registered;
  private Duration heartbeat;
  /** A supervised executor's configured registration: its methods bound what the executor may register. */
  private ProviderSpec configured;
  /** Whether the executor takes work; only a supervised executor is ever down. */
  private boolean up = true;

  private ProviderRuntime(ActorContext<Message> ctx, TimerScheduler<Message> timers, String providerId,
      TaskExecutor executor, Function<String, RecipientRef<WorkflowCommand>> workflows,
      Function<String, RecipientRef<ProviderCommand>> providers, Reporting reporting) {
    super(ctx);
    this.timers = timers;
    this.providerId = providerId;
    this.executor = executor;
    this.workflows = workflows;
    this.providers = providers;
    this.reporting = reporting;
  }

  @Override
  public Receive<Message> createReceive() {
    return newReceiveBuilder()
        .onMessage(ExecuteTask.class, this::onExecute)
        .onMessage(CancelTask.class, this::onCancel)
        .onMessage(RuntimeCommand.CancelFromEarlierConnection.class, c -> {
          if (!held.containsKey(c.key())) {
            executor.cancel(c.key()); // an external worker's task:cancel; nothing for an attempt it never had
          }
          return this;
        })
        .onMessage(RuntimeCommand.Detach.class, d -> {
          getContext().getLog().info("provider {}: {}", providerId, d.reason());
          executor.detached(d.reason());
          return Behaviors.stopped();
        })
        .onMessage(Stop.class, s -> Behaviors.stopped())
        .onMessage(RuntimeCommand.ReportHeld.class, r -> {
          r.replyTo().tell(new ProviderCommand.RuntimeHolds(getContext().getSelf().narrow(),
              r.keys().stream().filter(held::containsKey).toList()));
          return this;
        })
        .onMessage(Started.class, this::onStarted)
        .onMessage(StillRunning.class, s -> reportStart(s.key()))
        .onMessage(Progress.class, p -> {
          Held h = held.get(p.key());
          if (h != null && h.report == null) { // still running: progress after the outcome would mislead
            reporting.progress().progress(p.key(), providerId, p.progress());
          }
          return this;
        })
        .onMessage(Finished.class, f -> onFinished(f.key(), f.result(), f.error(), false))
        .onMessage(WorkerOutcome.class, o -> onFinished(o.key(), o.result(), o.error(), true))
        .onMessage(Deliver.class, d -> deliver(d.key()))
        .onMessage(Delivered.class, this::onDelivered)
        .onMessage(WorkerHeartbeat.class, h -> beat())
        .onMessage(Beat.class, b -> up ? beat() : this)
        .onMessage(Registered.class, this::onRegistered)
        .onMessage(RegisterAgain.class, again -> {
          if (again.spec().equals(registering)) {
            register(registering);
          }
          return this;
        })
        .onMessage(AvailabilityChanged.class, a -> onAvailability(a.availability()))
        .onSignal(PostStop.class, stop -> {
          // A start not reported yet would otherwise be lost with this runtime (a worker that says it started
          // and closes its socket at once); its outcome, should it come, goes through another runtime.
          held.forEach((key, h) -> {
            if (h.startedAt != null) {
              reportStart(key);
            }
          });
          executor.close(); // its processes must not outlive the node
          return this;
        })
        .build();
  }

  private void register(ProviderSpec spec) {
    this.registering = spec;
    spec.methods().forEach(m -> reporting.executions().serves(m, providerId)); // before any view shows them
    getContext().pipeToSelf(
        AskPattern.<ProviderCommand, RegisterReply>ask(providers.apply(providerId),
            replyTo -> new Register(spec, replyTo), reporting.timeout(), getContext().getSystem().scheduler()),
        (reply, failure) -> new Registered(spec, failure == null ? null : failure.toString(),
            failure instanceof java.util.concurrent.TimeoutException, failure == null ? reply.refused() : null));
  }

  private Behavior<Message> onRegistered(Registered r) {
    if (!r.spec().equals(registering)) {
      if (r.ok()) {
        registered = r.spec(); // an older registration, overtaken by the one still on its way
      }
      return this;
    }
    if (r.refused() != null) {
      getContext().getLog().error("built-in provider {} is not started: {}", providerId, r.refused());
      return this;
    }
    if (!r.ok()) {
      getContext().getLog().warn("registering provider {} failed ({}); retrying", providerId, r.failure());
      if (r.timedOut()) {
        register(registering); // the failed ask already waited its timeout
      } else {
        // Failed at once (a stopping node's sharding is gone): again at once would spin, thousands of times a second.
        timers.startSingleTimer("register", new RegisterAgain(registering), REGISTER_AGAIN_AFTER);
      }
      return this;
    }
    registered = r.spec();
    if (up) {
      startHeartbeats();
    }
    return this;
  }

  private void startHeartbeats() {
    beat();
    timers.startTimerWithFixedDelay("heartbeat", Beat.INSTANCE, heartbeat);
  }

  /**
   * A supervised executor came up (perhaps with other methods) or went down. Down stops the heartbeats, so
   * that the provider entity turns the provider unhealthy and hands its attempts back; up registers what it
   * now serves when that differs from the registration, and heartbeats again.
   */
  private Behavior<Message> onAvailability(Availability a) {
    if (!a.up()) {
      if (up) {
        getContext().getLog().warn("provider {} is down ({}); it sends no heartbeats until it is back", providerId,
            a.reason());
      }
      up = false;
      timers.cancel("heartbeat");
      return this;
    }
    List<String> methods = a.methods().stream().filter(configured::serves).toList();
    if (methods.isEmpty()) {
      getContext().getLog().warn("provider {} serves none of the methods its configuration allows ({}); it offers {}",
          providerId, configured.methods(), a.methods());
      up = false;
      timers.cancel("heartbeat");
      return this;
    }
    ProviderSpec wanted = new ProviderSpec(configured.id(), configured.type(), methods, configured.maxConcurrency(),
        configured.labels());
    boolean wasUp = up;
    up = true;
    if (!wanted.equals(registering)) {
      register(wanted); // heartbeats (re)start once it is acknowledged
    } else if (wanted.equals(registered) && !wasUp) {
      getContext().getLog().info("provider {} is back", providerId);
      startHeartbeats();
    }
    return this;
  }

  private Behavior<Message> beat() {
    providers.apply(providerId).tell(new ProviderCommand.Heartbeat(getContext().getSelf().narrow()));
    return this;
  }

  private Behavior<Message> onExecute(ExecuteTask cmd) {
    TaskKey key = cmd.key();
    if (held.containsKey(key)) {
      return this; // a repeated dispatch of an attempt we already run
    }
    Held h = new Held();
    h.method = cmd.method();
    held.put(key, h);
    ActorRef<Message> self = getContext().getSelf();
    getContext().pipeToSelf(
        executor.execute(new TaskRequest(key, cmd.method(), cmd.params(), cmd.timeoutMs()),
            () -> self.tell(new Started(key, Instant.now())), progress -> self.tell(new Progress(key, progress))),
        (result, failure) -> failure == null
            ? new Finished(key, result, null)
            : new Finished(key, null, errorOf(failure)));
    return this;
  }

  private Behavior<Message> onStarted(Started s) {
    Held h = held.get(s.key());
    if (h == null || h.startedAt != null) {
      return this;
    }
    h.startedAt = s.at();
    if (reporting.startedDelay().isZero()) {
      return reportStart(s.key());
    }
    timers.startSingleTimer(startTimer(s.key()), new StillRunning(s.key()), reporting.startedDelay());
    return this;
  }

  /** The attempt is still running: its workflow hears of the start now, with the time it began. */
  private Behavior<Message> reportStart(TaskKey key) {
    Held h = held.get(key);
    if (h != null && h.report == null && !h.startReported) {
      h.startReported = true;
      workflows.apply(key.workflowId()).tell(new ReportTaskStarted(key.taskId(), key.attempt(), providerId,
          h.startedAt));
    }
    return this;
  }

  private static String startTimer(TaskKey key) {
    return "started-" + key;
  }

  private Behavior<Message> onCancel(CancelTask cmd) {
    if (held.remove(cmd.key()) != null) {
      timers.cancel(startTimer(cmd.key()));
      executor.cancel(cmd.key());
    }
    return this;
  }

  private Behavior<Message> onFinished(TaskKey key, JsonNode result, TaskError error, boolean orphanAllowed) {
    Held h = held.get(key);
    if (h == null) {
      if (!orphanAllowed) {
        return this; // cancelled meanwhile: the workflow no longer wants this outcome
      }
      h = new Held();
      held.put(key, h);
    }
    h.latencyMs = (System.nanoTime() - h.startedNanos) / 1_000_000;
    timers.cancel(startTimer(key));
    int depth = error == null ? Json.depth(result) : 0;
    if (depth > Limits.MAX_NESTING) {
      // Not an outcome the engine can record (see Limits.MAX_NESTING): the attempt fails, saying why.
      result = null;
      error = TaskError.ofProvider("the result nests " + depth + " levels deep (a result may nest at most "
          + Limits.MAX_NESTING + ")", false);
    }
    String nonFinite = error == null ? Json.nonFiniteAt(result, "result") : null;
    if (nonFinite != null) {
      // Jackson reads 1e400 as an infinite double and would write it as the string "Infinity" (SPEC §2 keeps types).
      result = null;
      error = TaskError.ofProvider("the result has a number beyond the range of a 64-bit double at " + nonFinite
          + " (JSON has no infinity); send such a number as a string", false);
    }
    // A start not reported yet travels with the outcome; the workflow writes both at once.
    h.report = new ReportTaskResult(key.taskId(), key.attempt(), providerId, result, error, null,
        h.startReported ? null : h.startedAt);
    return deliver(key);
  }

  private Behavior<Message> deliver(TaskKey key) {
    Held h = key == null ? null : held.get(key);
    if (h == null || h.report == null) {
      return this;
    }
    h.deliveries++;
    ReportTaskResult report = h.report;
    getContext().pipeToSelf(
        AskPattern.<WorkflowCommand, Done>ask(workflows.apply(key.workflowId()),
            replyTo -> new ReportTaskResult(report.taskId(), report.attempt(), report.providerId(), report.result(),
                report.error(), replyTo, report.startedAt()),
            reporting.timeout(), getContext().getSystem().scheduler()),
        (done, failure) -> new Delivered(key, failure == null, failure == null ? null : inWords(failure)));
    return this;
  }

  /** What a failed delivery ends up saying in a dead letter's reason: no Java class names or actor paths. */
  private String inWords(Throwable failure) {
    Throwable cause = causeOf(failure);
    if (cause instanceof java.util.concurrent.TimeoutException) {
      return "no answer within " + reporting.timeout().toMillis() + " ms";
    }
    return cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
  }

  private Behavior<Message> onDelivered(Delivered d) {
    Held h = held.get(d.key());
    if (h == null) {
      return this;
    }
    if (d.ok()) {
      held.remove(d.key());
      TaskError error = h.report.error();
      if (h.method != null) {
        reporting.executions().executed(h.method, providerId, Duration.ofMillis(h.latencyMs), error == null);
      }
      // Failed for good before the provider began (bad params, a host not allowed): the request's fault.
      String outcome = error == null ? ProviderEvent.TaskReleased.SUCCEEDED
          : !error.retryable() && h.startedAt == null ? ProviderEvent.TaskReleased.REFUSED
          : ProviderEvent.TaskReleased.FAILED;
      providers.apply(providerId).tell(new ProviderCommand.Finished(d.key(), outcome, h.latencyMs));
    } else if (h.deliveries < reporting.attempts()) {
      Duration backoff = Duration.ofMillis(Math.min(10_000L, 200L << Math.min(h.deliveries, 6)));
      // A workflow busy with thousands of outcomes (a 10,000-task fan-out on a loaded machine) acknowledges some
      // late: thousands of WARN lines said nothing wrong. A report still unacknowledged at its third try does.
      if (h.deliveries < QUIET_REDELIVERIES) {
        getContext().getLog().debug("report of {} not acknowledged ({}); retrying in {} ms", d.key(), d.failure(),
            backoff.toMillis());
      } else {
        getContext().getLog().warn("report of {} not acknowledged ({}); retrying in {} ms", d.key(), d.failure(),
            backoff.toMillis());
      }
      timers.startSingleTimer(d.key(), new Deliver(d.key()), backoff);
    } else {
      getContext().getLog().error("report of {} given up after {} deliveries: {}", d.key(), h.deliveries, d.failure());
      held.remove(d.key());
      String outcome = h.report.error() == null ? "result" : "failure";
      providers.apply(providerId).tell(new ProviderCommand.ReportGivenUp(d.key(), "the " + outcome + " of attempt "
          + d.key().attempt() + " was not acknowledged by workflow " + d.key().workflowId() + " after "
          + h.deliveries + " deliveries; last: " + d.failure(), h.latencyMs));
    }
    return this;
  }

  /** The failure itself, not the CompletionException a CompletionStage wraps it in. */
  private static Throwable causeOf(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
  }

  private static TaskError errorOf(Throwable failure) {
    Throwable cause = causeOf(failure);
    if (cause instanceof TaskFailure tf) {
      return new TaskError(tf.getMessage(), tf.retryable(), tf.type() != null ? tf.type() : TaskError.PROVIDER,
          tf.retryAfter() == null ? null : tf.retryAfter().toMillis());
    }
    return TaskError.ofProvider(String.valueOf(cause.getMessage() != null ? cause.getMessage() : cause), true);
  }
}
