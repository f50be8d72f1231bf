package io.gleitzeit.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.gleitzeit.domain.ProviderSpec;
import io.gleitzeit.provider.ProviderCommand.Heartbeat;
import io.gleitzeit.provider.ProviderCommand.Register;
import io.gleitzeit.provider.ProviderCommand.RegisterReply;
import io.gleitzeit.workflow.WorkflowCommand;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A built-in runtime whose executor is supervised (an MCP server): it registers only once the executor is up,
 * with the executor's methods narrowed to the configured ones, heartbeats only while it is up, registers again
 * when the methods change, and closes the executor when it stops.
 */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
class SupervisedRuntimeTest {

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ConfigFactory.load("application-test")).build();

  private static final Duration BEAT = Duration.ofMillis(100);
  private static final Duration QUIET = Duration.ofMillis(400);
  private static final ProviderSpec CONFIGURED = new ProviderSpec("files", "mcp", List.of("mcp/tool.read_*"), 2,
      Map.of("team", "data"));

  /** An executor the test drives: it says what the test tells it to. */
  private static final class Driven implements SupervisedExecutor {
    /** Set when the runtime starts the executor, which its actor does once it runs. */
    final CompletableFuture<Consumer<Availability>> listener = new CompletableFuture<>();
    final AtomicBoolean closed = new AtomicBoolean();

    @Override
    public void start(Consumer<Availability> changes) {
      listener.complete(changes);
    }

    @Override
    public void close() {
      closed.set(true);
    }

    @Override
    public CompletionStage<JsonNode> execute(TaskRequest request, Runnable started) {
      return new CompletableFuture<>();
    }

    void say(Availability a) {
      listener.orTimeout(5, TimeUnit.SECONDS).join().accept(a);
    }
  }

  private TestProbe<ProviderCommand> entity;
  private Driven executor;
  private ActorRef<ProviderRuntime.Message> runtime;

  @BeforeEach
  void start() {
    entity = testKit.createTestProbe();
    executor = new Driven();
    TestProbe<WorkflowCommand> workflows = testKit.createTestProbe();
    TestProbe<ProviderCommand> pe = entity;
    runtime = testKit.spawn(ProviderRuntime.builtIn(CONFIGURED, executor, id -> workflows.getRef(),
        id -> pe.getRef(), new ProviderRuntime.Reporting(Duration.ofSeconds(1), 3), BEAT));
  }

  private Register expectRegister() {
    Register register = entity.expectMessageClass(Register.class);
    register.replyTo().tell(new RegisterReply(true, null));
    return register;
  }

  @Test
  void shouldRegisterTheExecutorsMethodsNarrowedToTheConfiguredOnesOnceItIsUp() {
    entity.expectNoMessage(QUIET); // not before the server is up
    executor.say(Availability.up(List.of("mcp/tool.read_file", "mcp/tool.write_file", "mcp/tool.read_text_file")));
    Register register = expectRegister();
    assertEquals(new ProviderSpec("files", "mcp", List.of("mcp/tool.read_file", "mcp/tool.read_text_file"), 2,
        Map.of("team", "data")), register.spec());
    entity.expectMessageClass(Heartbeat.class);
    entity.expectMessageClass(Heartbeat.class);
  }

  @Test
  void shouldStopHeartbeatingWhileDownAndResumeWhenBack() {
    executor.say(Availability.up(List.of("mcp/tool.read_file")));
    expectRegister();
    entity.expectMessageClass(Heartbeat.class);
    executor.say(Availability.down("stopped: the process exited with code 137", Duration.ofMillis(500)));
    // One heartbeat may have been on its way when the executor went down; none follows.
    int heartbeats = 0;
    while (true) {
      ProviderCommand m;
      try {
        m = entity.receiveMessage(QUIET);
      } catch (AssertionError quiet) {
        break;
      }
      assertTrue(m instanceof Heartbeat, () -> "unexpected " + m);
      assertTrue(++heartbeats <= 1, "heartbeats went on while the executor was down");
    }

    executor.say(Availability.up(List.of("mcp/tool.read_file"))); // the same tools: no new registration
    entity.expectMessageClass(Heartbeat.class);
  }

  @Test
  void shouldRegisterAgainWhenTheToolsChange() {
    executor.say(Availability.up(List.of("mcp/tool.read_file")));
    expectRegister();
    executor.say(Availability.down("stopped", Duration.ofMillis(100)));
    executor.say(Availability.up(List.of("mcp/tool.read_text_file", "mcp/tool.echo")));
    Register again = entity.fishForMessage(QUIET.multipliedBy(3), m -> m instanceof Register
        ? FishingOutcomes.complete()
        : FishingOutcomes.continueAndIgnore()).stream()
        .filter(Register.class::isInstance).map(Register.class::cast).findFirst().orElseThrow();
    assertEquals(List.of("mcp/tool.read_text_file"), again.spec().methods());
  }

  @Test
  void shouldStayUnregisteredWhenTheExecutorOffersNoneOfTheConfiguredMethods() {
    executor.say(Availability.up(List.of("mcp/tool.write_file")));
    entity.expectNoMessage(QUIET);
  }

  @Test
  void shouldCloseTheExecutorWhenItStops() {
    testKit.stop(runtime);
    assertTrue(executor.closed.get());
  }
}
