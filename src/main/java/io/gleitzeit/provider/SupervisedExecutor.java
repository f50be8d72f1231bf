package io.gleitzeit.provider;

import java.util.function.Consumer;

/**
 * An executor with a life of its own, such as an MCP server it starts and restarts: it says when it can take
 * work and which methods it serves, and both may change while it runs. Its runtime registers the provider
 * only once the methods are known, heartbeats only while the executor is up (so that a provider whose server
 * is down turns unhealthy, SPEC §6), and registers again when the methods change.
 */
public interface SupervisedExecutor extends TaskExecutor {

  /** Starts it; {@code changes} hears every {@link Availability}, from any thread, the first one included. */
  void start(Consumer<Availability> changes);

  /** Stops it for good, releasing its processes and connections; nothing is heard after this. */
  @Override
  void close();
}
