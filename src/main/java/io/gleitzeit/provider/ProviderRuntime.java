package io.gleitzeit.provider;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.provider.ProviderCommand.CancelTask;
import io.gleitzeit.provider.ProviderCommand.CheckHeld;
import io.gleitzeit.provider.ProviderCommand.Describe;
import io.gleitzeit.provider.ProviderCommand.Described;
import io.gleitzeit.provider.ProviderCommand.ExecuteTask;
import io.gleitzeit.provider.ProviderCommand.HeldAnswer;
import io.gleitzeit.workflow.TaskError;
import io.gleitzeit.workflow.WorkflowCommand;
import io.gleitzeit.workflow.WorkflowCommand.ReportTaskResult;
import io.gleitzeit.workflow.WorkflowCommand.ReportTaskStarted;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Runs the attempts a provider is given, with an executor doing the actual work. It holds each attempt
 * until its outcome is acknowledged by the workflow (at-least-once: retried with backoff), frees the
 * coordinator's slot afterwards, and answers "do you still hold it?" after a workflow restarts.
 */
public final class ProviderRuntime extends AbstractBehavior<ProviderRuntime.Message> {

  public static final ServiceKey<ProviderCommand> SERVICE_KEY = ServiceKey.create(ProviderCommand.class, "providers");

  /** Delivery settings for reports to workflows. */
  public record Reporting(Duration timeout, int attempts) {}

  /** Everything the runtime handles: the public {@link ProviderCommand}s and its own messages. */
  public interface Message {}

  private record Finished(TaskKey key, JsonNode result, TaskError error) implements Message {}

  private record Deliver(TaskKey key) implements Message {}

  private record Delivered(TaskKey key, boolean ok, String failure) implements Message {}

  /** An attempt this provider holds: running, or finished with its report not yet acknowledged. */
  private static final class Held {
    final ActorRef<CoordinatorCommand> coordinator;
    ReportTaskResult report;
    int deliveries;

    Held(ActorRef<CoordinatorCommand> coordinator) {
      this.coordinator = coordinator;
    }
  }

  /**
   * The runtime's public face is its message adapter for {@link ProviderCommand}s, registered with the
   * receptionist so that every node's coordinator finds it.
   */
  public static Behavior<Message> create(TaskExecutor executor,
      Function<String, RecipientRef<WorkflowCommand>> workflows, Reporting reporting) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new ProviderRuntime(ctx, timers, executor, workflows, reporting)));
  }

  private final TimerScheduler<Message> timers;
  private final TaskExecutor executor;
  private final Function<String, RecipientRef<WorkflowCommand>> workflows;
  private final Reporting reporting;
  private final Map<TaskKey, Held> held = new HashMap<>();
  private final ActorRef<ProviderCommand> publicRef;

  private ProviderRuntime(ActorContext<Message> ctx, TimerScheduler<Message> timers, TaskExecutor executor,
      Function<String, RecipientRef<WorkflowCommand>> workflows, Reporting reporting) {
    super(ctx);
    this.timers = timers;
    this.executor = executor;
    this.workflows = workflows;
    this.reporting = reporting;
    this.publicRef = ctx.getSelf().narrow();
    ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, publicRef));
  }

  private String id() {
    return executor.descriptor().id();
  }

  @Override
  public Receive<Message> createReceive() {
    return newReceiveBuilder()
        .onMessage(ProviderCommand.class, this::onCommand)
        .onMessage(Finished.class, this::onFinished)
        .onMessage(Deliver.class, d -> deliver(d.key()))
        .onMessage(Delivered.class, this::onDelivered)
        .build();
  }

  private Behavior<Message> onCommand(ProviderCommand command) {
    if (command instanceof ExecuteTask cmd) {
      execute(cmd);
    } else if (command instanceof CancelTask cmd) {
      Held h = held.remove(cmd.key());
      if (h != null) {
        executor.cancel(cmd.key());
        h.coordinator.tell(new CoordinatorCommand.ReleaseAssignment(cmd.key()));
      }
    } else if (command instanceof CheckHeld cmd) {
      cmd.replyTo().tell(new HeldAnswer(cmd.key(), id(), held.containsKey(cmd.key())));
    } else if (command instanceof Describe cmd) {
      cmd.replyTo().tell(new Described(executor.descriptor(), publicRef));
    }
    return this;
  }

  private void execute(ExecuteTask cmd) {
    TaskKey key = cmd.key();
    if (held.containsKey(key)) {
      return; // a repeated dispatch of an attempt we already run
    }
    held.put(key, new Held(cmd.coordinator()));
    workflows.apply(key.workflowId()).tell(new ReportTaskStarted(key.taskId(), key.attempt(), id()));
    getContext().pipeToSelf(
        executor.execute(new TaskRequest(key, cmd.method(), cmd.params(), cmd.timeoutMs())),
        (result, failure) -> failure == null
            ? new Finished(key, result, null)
            : new Finished(key, null, errorOf(failure)));
  }

  private Behavior<Message> onFinished(Finished f) {
    Held h = held.get(f.key());
    if (h == null) {
      return this; // cancelled meanwhile: the workflow no longer wants this outcome
    }
    TaskKey key = f.key();
    h.report = new ReportTaskResult(key.taskId(), key.attempt(), id(), f.result(), f.error(), null);
    return deliver(key);
  }

  private Behavior<Message> deliver(TaskKey key) {
    Held h = held.get(key);
    if (h == null || h.report == null) {
      return this;
    }
    h.deliveries++;
    ReportTaskResult report = h.report;
    getContext().pipeToSelf(
        AskPattern.<WorkflowCommand, Done>ask(workflows.apply(key.workflowId()),
            replyTo -> new ReportTaskResult(report.taskId(), report.attempt(), report.providerId(), report.result(),
                report.error(), replyTo),
            reporting.timeout(), getContext().getSystem().scheduler()),
        (done, failure) -> new Delivered(key, failure == null, failure == null ? null : failure.toString()));
    return this;
  }

  private Behavior<Message> onDelivered(Delivered d) {
    Held h = held.get(d.key());
    if (h == null) {
      return this;
    }
    if (d.ok()) {
      held.remove(d.key());
      h.coordinator.tell(new CoordinatorCommand.ReleaseAssignment(d.key()));
    } else if (h.deliveries < reporting.attempts()) {
      Duration backoff = Duration.ofMillis(Math.min(10_000L, 200L << Math.min(h.deliveries, 6)));
      getContext().getLog().warn("report of {} not acknowledged ({}); retrying in {} ms", d.key(), d.failure(),
          backoff.toMillis());
      timers.startSingleTimer(d.key(), new Deliver(d.key()), backoff);
    } else {
      getContext().getLog().error("report of {} given up after {} deliveries: {}", d.key(), h.deliveries, d.failure());
      held.remove(d.key());
      h.coordinator.tell(new CoordinatorCommand.ReleaseAssignment(d.key()));
    }
    return this;
  }

  private static TaskError errorOf(Throwable failure) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    if (cause instanceof TaskFailure tf) {
      return TaskError.ofProvider(tf.getMessage(), tf.retryable());
    }
    return TaskError.ofProvider(String.valueOf(cause.getMessage() != null ? cause.getMessage() : cause), true);
  }
}
