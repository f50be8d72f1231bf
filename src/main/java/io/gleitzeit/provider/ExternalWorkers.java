package io.gleitzeit.provider;

import io.gleitzeit.api.WorkerChannel;
import io.gleitzeit.workflow.WorkflowCommand;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.stream.javadsl.Flow;

/** External workers' WebSocket channels (SPEC §6). */
public final class ExternalWorkers implements WorkerChannel {

  public ExternalWorkers(ActorSystem<?> system, Function<String, RecipientRef<ProviderCommand>> providers,
                         Function<String, RecipientRef<WorkflowCommand>> workflows, ProviderRuntime.Reporting reporting,
                         Duration heartbeatInterval) {
  }

  @Override
  public CompletionStage<Optional<Flow<Message, Message, NotUsed>>> connect(String providerId) {
    return CompletableFuture.completedFuture(Optional.empty());
  }
}
