package io.gleitzeit.node;

import io.gleitzeit.events.WorkflowJournal;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/** SPEC §5: a node is ready when it has joined the cluster and its journal answers. */
public final class Readiness {

  public record Status(boolean ready, boolean joined, boolean journalReachable, String reason) {}

  private final ActorSystem<?> system;
  private final WorkflowJournal journal;

  public Readiness(ActorSystem<?> system, WorkflowJournal journal) {
    this.system = system;
    this.journal = journal;
  }

  public CompletionStage<Status> check(Duration timeout) {
    boolean joined = Cluster.get(system).selfMember().status() == MemberStatus.up();
    return journal.reachable()
        .toCompletableFuture()
        .completeOnTimeout(false, timeout.toMillis(), TimeUnit.MILLISECONDS)
        .exceptionally(e -> false)
        .thenApply(reachable -> new Status(joined && reachable, joined, reachable,
            !joined ? "not joined to the cluster" : !reachable ? "journal not reachable" : null));
  }

}
