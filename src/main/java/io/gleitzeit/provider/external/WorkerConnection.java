package io.gleitzeit.provider.external;

import io.gleitzeit.provider.ProviderRuntime;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The actor of one external worker's WebSocket connection. It owns the connection's {@link ProviderRuntime} as
 * its child and forwards everything else it is told to it. When the socket closes, the runtime is asked to stop
 * after what the worker sent before (a start it reported just before closing still reaches its workflow), and
 * the connection stops with it. When the runtime stops by itself (it failed, or the provider detached it), the
 * socket is closed so that the worker reconnects to a fresh one.
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
          .onMessage(Close.class, c -> {
            child.tell(ProviderRuntime.Stop.INSTANCE);
            return closing();
          })
          .onAnyMessage(m -> {
            child.tell(m);
            return Behaviors.same();
          })
          .onSignal(Terminated.class, t -> {
            ctx.getLog().info("the runtime of {} stopped; closing its worker connection", ctx.getSelf().path().name());
            closeSocket.run();
            return Behaviors.stopped();
          })
          .build();
    });
  }

  /** The socket is closed: nothing more goes to the runtime, and the connection stops when it has. */
  private static Behavior<ProviderRuntime.Message> closing() {
    return Behaviors.receive(ProviderRuntime.Message.class)
        .onSignal(Terminated.class, t -> Behaviors.stopped())
        .build();
  }
}
