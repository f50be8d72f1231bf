package io.gleitzeit.events;

import io.gleitzeit.serialization.JsonSerializable;
import io.gleitzeit.workflow.WorkflowCommand;
import io.gleitzeit.workflow.WorkflowEntity;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * Retention (issue 6): removes workflows that finished longer ago than a limit, as one job in the cluster (a
 * cluster singleton on the oldest node, moved when it leaves), every {@code interval}. For each candidate
 * from the workflow list it asks the workflow entity first — only a finished workflow agrees, and from then
 * on it answers as if it did not exist — then deletes the rows ({@link EventIndex#forgetWorkflow}) and lets
 * the entity go. A running workflow never agrees, so it is never touched.
 */
public final class Retention {

  public sealed interface Command extends JsonSerializable {}

  /** Look now; {@code replyTo} (may be null: the timer's own looks) hears which workflows were removed. */
  public record Sweep(ActorRef<Swept> replyTo) implements Command {}

  public record Swept(List<String> removed) implements JsonSerializable {}

  private record Done(List<String> removed, Throwable failure) implements Command {}

  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(10);

  private final ActorRef<Command> singleton;
  private final ActorSystem<?> system;

  private Retention(ActorRef<Command> singleton, ActorSystem<?> system) {
    this.singleton = singleton;
    this.system = system;
  }

  /** Starts the job's singleton (on the oldest node) and returns this node's handle to it. */
  public static Retention start(ActorSystem<?> system, RetentionSettings settings, EventIndex index,
                                InstantSource clock) {
    Job job = new Job(settings, index, clock, ClusterSharding.get(system));
    Behavior<Command> behavior = Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      if (settings.enabled()) {
        timers.startTimerWithFixedDelay(new Sweep(null), settings.interval());
      }
      return idle(ctx, job);
    }));
    ActorRef<Command> proxy = ClusterSingleton.get(system).init(SingletonActor.of(
        Behaviors.supervise(behavior).onFailure(SupervisorStrategy.restart()), "gleitzeit-retention"));
    return new Retention(proxy, system);
  }

  /** Runs one look now (after the one running, if any) and answers with the workflows it removed. */
  public CompletionStage<List<String>> sweepNow() {
    return AskPattern.<Command, Swept>ask(singleton, Sweep::new, Duration.ofSeconds(60), system.scheduler())
        .thenApply(Swept::removed);
  }

  private static Behavior<Command> idle(ActorContext<Command> ctx, Job job) {
    return Behaviors.receive(Command.class)
        .onMessage(Sweep.class, sweep -> begin(ctx, job, replyTos(List.of(), sweep)))
        .onMessage(Done.class, done -> Behaviors.same())
        .build();
  }

  private static Behavior<Command> begin(ActorContext<Command> ctx, Job job, List<ActorRef<Swept>> replyTos) {
    ctx.pipeToSelf(job.sweep(), (removed, failure) -> new Done(removed == null ? List.of() : removed, failure));
    return running(ctx, job, replyTos, List.of(), false);
  }

  /**
   * One look runs. Whoever asks meanwhile waits for the next look, which starts when this one ends, so an
   * answer always covers everything that finished before the question.
   */
  private static Behavior<Command> running(ActorContext<Command> ctx, Job job, List<ActorRef<Swept>> current,
                                           List<ActorRef<Swept>> waiting, boolean again) {
    return Behaviors.receive(Command.class)
        .onMessage(Sweep.class, sweep -> running(ctx, job, current, replyTos(waiting, sweep), true))
        .onMessage(Done.class, done -> {
          if (done.failure() != null) {
            ctx.getLog().warn("retention: a look failed; the next one retries: {}", done.failure().toString());
          } else if (!done.removed().isEmpty()) {
            ctx.getLog().info("retention removed {} finished workflow(s): {}", done.removed().size(), done.removed());
          }
          current.forEach(r -> r.tell(new Swept(done.removed())));
          return again ? begin(ctx, job, waiting) : idle(ctx, job);
        })
        .build();
  }

  private static List<ActorRef<Swept>> replyTos(List<ActorRef<Swept>> before, Sweep sweep) {
    List<ActorRef<Swept>> all = new ArrayList<>(before);
    if (sweep.replyTo() != null) {
      all.add(sweep.replyTo());
    }
    return all;
  }

  /** What one look needs. */
  private record Job(RetentionSettings settings, EventIndex index, InstantSource clock, ClusterSharding sharding) {

    CompletionStage<List<String>> sweep() {
      Instant cutoff = clock.instant().minus(settings.finishedOlderThan());
      return index.finishedBefore(cutoff, settings.batchSize()).thenCompose(candidates -> {
        CompletionStage<List<String>> removed = CompletableFuture.completedFuture(new ArrayList<>());
        for (String id : candidates) {
          removed = removed.thenCompose(list -> forget(id, cutoff).thenApply(gone -> {
            if (gone) {
              list.add(id);
            }
            return list;
          }));
        }
        return removed;
      });
    }

    /** Asks the entity, deletes, lets the entity go; false when the entity does not agree or the index trails. */
    private CompletionStage<Boolean> forget(String workflowId, Instant cutoff) {
      var entity = sharding.entityRefFor(WorkflowEntity.ENTITY_KEY, workflowId);
      return entity.<WorkflowCommand.ForgetReply>ask(replyTo -> new WorkflowCommand.Forget(cutoff, replyTo), ASK_TIMEOUT)
          .thenCompose(reply -> {
            if (!reply.agreed()) {
              return CompletableFuture.completedFuture(false);
            }
            CompletionStage<Boolean> deleted = index.forgetWorkflow(WorkflowEntity.persistenceIdOf(workflowId).id(),
                workflowId);
            // Whatever the deletion's outcome, done once the entity is on its way out: the same id submitted right
            // after the sweep was a 409 from the entity still forgetting (round 14's full run).
            return deleted.handle((gone, failure) -> null)
                .thenCompose(settled -> entity.<org.apache.pekko.Done>ask(WorkflowCommand.Forgotten::new, ASK_TIMEOUT)
                    .handle((done, unanswered) -> null))
                .thenCompose(letGo -> deleted);
          });
    }
  }
}
