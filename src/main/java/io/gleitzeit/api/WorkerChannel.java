package io.gleitzeit.api;

import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.stream.javadsl.Flow;

/** The WebSocket worker channel of an external provider (SPEC §6): one flow per connection. */
public interface WorkerChannel {

  /** The flow for a worker connecting as {@code providerId}; empty when no such provider is registered. */
  CompletionStage<Optional<Flow<Message, Message, NotUsed>>> connect(String providerId);
}
