package io.gleitzeit.provider;

import io.gleitzeit.api.WorkerChannel;
import io.gleitzeit.provider.external.InboundFrame;
import io.gleitzeit.provider.external.WebSocketExecutor;
import io.gleitzeit.provider.external.WorkerConnection;
import io.gleitzeit.provider.external.WorkerFrames;
import io.gleitzeit.provider.external.WorkerSession;
import io.gleitzeit.workflow.WorkflowCommand;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * External workers' WebSocket channels (SPEC §6). Each connection of a registered external provider gets a
 * {@link WorkerConnection} actor (under the system guardian) that owns a {@link ProviderRuntime} whose executor
 * speaks the worker protocol; the runtime attaches to the provider entity with a heartbeat right away and with
 * every heartbeat of the worker. A closed socket stops the runtime and is otherwise only silence: the entity
 * turns the provider unhealthy after its missed heartbeats and hands its attempts back; nothing is deregistered.
 */
public final class ExternalWorkers implements WorkerChannel {

  private static final Logger LOG = LoggerFactory.getLogger(ExternalWorkers.class);

  /** Frames waiting for a worker that does not read; past this the connection is failed (closed). */
  static final int OUTGOING_BUFFER = 1024;
  /** The longest text frame accepted, in characters (the HTTP body limit of the server). */
  static final int MAX_FRAME_CHARS = 16 * 1024 * 1024;

  private final ActorSystem<?> system;
  private final Function<String, RecipientRef<ProviderCommand>> providers;
  private final Function<String, RecipientRef<WorkflowCommand>> workflows;
  private final ProviderRuntime.Reporting reporting;
  private final Duration heartbeatInterval;
  private final AtomicLong connections = new AtomicLong();
  /** The outgoing side of every open connection, and when it ended: what {@link #closeAll} closes. */
  private final Map<BoundedSourceQueue<Message>, CompletionStage<Done>> open = new ConcurrentHashMap<>();

  public ExternalWorkers(ActorSystem<?> system, Function<String, RecipientRef<ProviderCommand>> providers,
                         Function<String, RecipientRef<WorkflowCommand>> workflows, ProviderRuntime.Reporting reporting,
                         Duration heartbeatInterval) {
    this.system = system;
    this.providers = providers;
    this.workflows = workflows;
    this.reporting = reporting;
    this.heartbeatInterval = heartbeatInterval;
  }

  /**
   * The flow of a new connection; empty when {@code providerId} is not a registered external provider (a
   * deregistered one, or a built-in one, cannot be connected to).
   */
  @Override
  public CompletionStage<Optional<Flow<Message, Message, NotUsed>>> connect(String providerId) {
    return AskPattern.<ProviderCommand, ProviderCommand.ProviderReply>ask(providers.apply(providerId),
            ProviderCommand.GetProvider::new, reporting.timeout(), system.scheduler())
        .thenApply(reply -> connectable(reply.view()) ? Optional.of(flow(providerId)) : Optional.empty());
  }

  private static boolean connectable(ProviderView view) {
    return view != null && !ProviderStatus.DEREGISTERED.equals(view.status())
        && "external".equals(view.spec().type());
  }

  /** Everything of a connection is created when the flow is materialized, i.e. once the socket is open. */
  private Flow<Message, Message, NotUsed> flow(String providerId) {
    return Flow.<Message, Message, NotUsed>fromMaterializer((mat, attributes) -> open(providerId, mat))
        .mapMaterializedValue(m -> NotUsed.getInstance());
  }

  private Flow<Message, Message, NotUsed> open(String providerId, Materializer mat) {
    // The kill switch cuts off a worker that does not read: failing the queue instead made Pekko HTTP log the
    // handler's failure as an ERROR with a stack trace (black-box round 15), for what is the worker's doing.
    Pair<Pair<BoundedSourceQueue<Message>, UniqueKillSwitch>, Source<Message, NotUsed>> outgoing =
        Source.<Message>queue(OUTGOING_BUFFER).viaMat(KillSwitches.single(), Keep.both()).preMaterialize(mat);
    BoundedSourceQueue<Message> queue = outgoing.first().first();
    UniqueKillSwitch cutOff = outgoing.first().second();
    Consumer<String> send = text -> offer(queue, cutOff, text, providerId);
    send.accept(WorkerFrames.welcome(providerId, heartbeatInterval.toMillis()));

    WebSocketExecutor executor = new WebSocketExecutor(send);
    String name = "external-worker-" + providerId + "-" + connections.incrementAndGet();
    ActorRef<ProviderRuntime.Message> connection = system.systemActorOf(WorkerConnection.create(
        ProviderRuntime.external(providerId, executor, workflows, providers, reporting), () -> close(queue)),
        name, Props.empty());
    // Attach the runtime to the entity at once, not only at the worker's first heartbeat.
    connection.tell(ProviderRuntime.WorkerHeartbeat.INSTANCE);
    LOG.info("external worker {} connected ({})", providerId, name);

    WorkerSession session = new WorkerSession(executor, connection, send, key -> held(providerId, key));
    Sink<Message, NotUsed> incoming = Flow.<Message>create()
        .mapAsync(1, m -> frameOf(m, mat))
        .to(Sink.foreach(session::onFrame));
    return Flow.fromSinkAndSourceCoupled(incoming, outgoing.second())
        .watchTermination((notUsed, done) -> {
          open.put(queue, done);
          done.whenComplete((d, failure) -> {
            open.remove(queue);
            connection.tell(WorkerConnection.Close.INSTANCE);
            LOG.info("external worker {} disconnected ({}){}", providerId, name,
                failure == null ? "" : ": " + failure.getMessage());
          });
          return NotUsed.getInstance();
        });
  }

  /**
   * Closes every worker connection of this node with a WebSocket close frame (1000), and waits up to {@code wait}
   * for them to end: a node that stops gracefully says so, instead of dropping the sockets (close code 1006).
   */
  public void closeAll(Duration wait) {
    List<CompletableFuture<Done>> ends = new ArrayList<>();
    open.forEach((queue, done) -> {
      close(queue);
      ends.add(done.toCompletableFuture());
    });
    try {
      CompletableFuture.allOf(ends.toArray(CompletableFuture[]::new)).get(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // A connection that broke or did not end in time: the node stops anyway.
    }
  }

  private CompletionStage<Boolean> held(String providerId, TaskKey key) {
    return AskPattern.<ProviderCommand, ProviderCommand.ProviderReply>ask(providers.apply(providerId),
            ProviderCommand.GetProvider::new, reporting.timeout(), system.scheduler())
        .thenApply(reply -> reply.view() != null && reply.view().heldTasks().contains(key));
  }

  /**
   * A text message as a parsed frame (streamed text is folded first); a binary message, drained, is a frame the
   * server cannot accept (SPEC §6: an error frame), so that a worker that answers in binary learns why nothing counts.
   */
  private static CompletionStage<InboundFrame> frameOf(Message message, Materializer mat) {
    if (!message.isText()) {
      return message.asBinaryMessage().getStreamedData().runWith(Sink.ignore(), mat)
          .thenApply(drained -> new InboundFrame.Invalid("a binary frame; every frame is one JSON text message"));
    }
    TextMessage text = message.asTextMessage();
    if (text.isStrict()) {
      return CompletableFuture.completedFuture(parse(text.getStrictText()));
    }
    return text.getStreamedText()
        .runFold(new StringBuilder(), (sb, part) -> sb.length() > MAX_FRAME_CHARS ? sb : sb.append(part), mat)
        .thenApply(ExternalWorkers::parse);
  }

  private static InboundFrame parse(CharSequence text) {
    return text.length() > MAX_FRAME_CHARS
        ? new InboundFrame.Invalid("frame longer than " + MAX_FRAME_CHARS + " characters")
        : WorkerFrames.parse(text.toString());
  }

  private void offer(BoundedSourceQueue<Message> queue, UniqueKillSwitch cutOff, String text, String providerId) {
    QueueOfferResult result;
    try {
      result = queue.offer(TextMessage.create(text));
    } catch (RuntimeException closed) {
      return; // the connection is gone: a closed socket is silence, nothing to do
    }
    if (result == QueueOfferResult.dropped()) {
      LOG.warn("external worker {} does not read its frames ({} waiting); closing its connection",
          providerId, OUTGOING_BUFFER);
      cutOff.shutdown(); // the frames waiting are dropped, and the socket is closed
    }
    // Otherwise enqueued, or the connection is already closed (silence, as above).
  }

  /** Ends the outgoing side once what is queued is sent, and with it the socket; an ended queue stays as it is. */
  private static void close(BoundedSourceQueue<Message> queue) {
    try {
      queue.complete();
    } catch (RuntimeException alreadyEnded) {
      // completed or failed before: nothing left to close
    }
  }
}
