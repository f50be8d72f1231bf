package io.gleitzeit.testing;

import java.util.List;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;

/**
 * What a command without a reply persisted, once it is written. The workflow and provider entities group
 * the writes of reports and slot changes: the command only decides, and the write follows with a message
 * the entity sends itself. A query command waits (stashed) until that write is done, so running one after
 * the command makes the test wait for exactly that, not for a guessed time.
 */
public record Settled<S>(List<Object> events, S state) {

  public static <C, E, S, R> Settled<S> run(EventSourcedBehaviorTestKit<C, E, S> kit, String persistenceId,
                                            C command, Function<ActorRef<R>, C> query) {
    int before = kit.persistenceTestKit().persistedInStorage(persistenceId).size();
    kit.runCommand(command);
    kit.<R>runCommand(query);
    List<Object> journal = kit.persistenceTestKit().persistedInStorage(persistenceId);
    return new Settled<>(List.copyOf(journal.subList(before, journal.size())), kit.getState());
  }

  public boolean hasNoEvents() {
    return events.isEmpty();
  }

  public <T> T eventOfType(Class<T> type) {
    return events.stream().filter(type::isInstance).map(type::cast).findFirst()
        .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " among " + events));
  }
}
