package io.gleitzeit.provider.external;

import io.gleitzeit.provider.ProviderRuntime;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The actor of one external worker's WebSocket connection. It owns the connection's {@link ProviderRuntime} as
 * its child and forwards everything else it is told to it: stopping the connection stops the runtime with it.
 * When the runtime stops by itself (it failed), the connection is closed so that the worker reconnects to a
 * fresh one.
 */
public final class WorkerConnection {

  /** The socket closed: stop the runtime. */
  public enum Close implements ProviderRuntime.Message { INSTANCE }

  private WorkerConnection() {}

  public static Behavior<ProviderRuntime.Message> create(Behavior<ProviderRuntime.Message> runtime,
                                                         Runnable closeSocket) {
    return Behaviors.setup(ctx -> {
      ActorRef<ProviderRuntime.Message> child = ctx.spawn(runtime, "runtime");
      ctx.watch(child);
      return Behaviors.receive(ProviderRuntime.Message.class)
          .onMessage(Close.class, c -> Behaviors.stopped())
          .onAnyMessage(m -> {
            child.tell(m);
            return Behaviors.same();
          })
          .onSignal(Terminated.class, t -> {
            ctx.getLog().warn("the runtime of {} stopped; closing its worker connection", ctx.getSelf().path().name());
            closeSocket.run();
            return Behaviors.stopped();
          })
          .build();
    });
  }
}
