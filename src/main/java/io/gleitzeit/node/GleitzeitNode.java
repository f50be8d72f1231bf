package io.gleitzeit.node;

import com.typesafe.config.Config;
import io.gleitzeit.api.Routes;
import io.gleitzeit.domain.DefinitionParser;
import io.gleitzeit.domain.ParameterResolver;
import io.gleitzeit.events.EventIndex;
import io.gleitzeit.events.EventIndexSettings;
import io.gleitzeit.events.EventPublisher;
import io.gleitzeit.events.EventStreams;
import io.gleitzeit.events.Retention;
import io.gleitzeit.events.RetentionSettings;
import io.gleitzeit.events.SchemaCreation;
import io.gleitzeit.metrics.EngineMetrics;
import io.gleitzeit.metrics.MetricsPublisher;
import io.gleitzeit.metrics.ProviderGauges;
import io.gleitzeit.events.ProviderDirectory;
import io.gleitzeit.provider.ExternalWorkers;
import io.gleitzeit.events.LiveEvents;
import io.gleitzeit.events.ProgressEnvelopes;
import io.gleitzeit.events.WorkflowJournal;
import io.gleitzeit.provider.AssignmentCoordinator;
import io.gleitzeit.domain.ProviderSpec;
import io.gleitzeit.provider.BuiltinProviders;
import io.gleitzeit.provider.ProviderCommand;
import io.gleitzeit.provider.ProviderEntity;
import io.gleitzeit.provider.ProviderRuntime;
import io.gleitzeit.provider.ProviderStatus;
import io.gleitzeit.provider.TaskExecutor;
import io.gleitzeit.workflow.WorkflowCommand;
import io.gleitzeit.workflow.WorkflowDecisions;
import io.gleitzeit.workflow.WorkflowEntity;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;

/**
 * One running Gleitzeit node. {@link #start} brings it up in order — journal schema, cluster membership,
 * sharding, coordinator, built-in providers, HTTP — and fails with a {@link NodeStartException} that says
 * what went wrong when it cannot.
 */
public final class GleitzeitNode implements AutoCloseable {

  private final ActorSystem<Void> system;
  private final NodeSettings settings;
  private final ServerBinding binding;
  private final LiveEvents liveEvents;
  private final EventIndex eventIndex;
  private final Retention retention;
  private final EventStreams streams;
  private final ExternalWorkers workers;
  /** How long a stopping node waits for its workers' sockets to close with a close frame. */
  private static final Duration WORKERS_CLOSE_WAIT = Duration.ofSeconds(2);

  private GleitzeitNode(ActorSystem<Void> system, NodeSettings settings, ServerBinding binding, LiveEvents liveEvents,
                        EventIndex eventIndex, Retention retention, EventStreams streams, ExternalWorkers workers) {
    this.retention = retention;
    this.streams = streams;
    this.workers = workers;
    this.system = system;
    this.settings = settings;
    this.binding = binding;
    this.liveEvents = liveEvents;
    this.eventIndex = eventIndex;
  }

  public static GleitzeitNode start(Config configured) {
    Config config = ShardCount.forJournal(configured);
    NodeSettings settings = NodeSettings.from(config);
    checkBuiltinProviders(settings, config.getInt("pekko.remote.artery.canonical.port"));
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "gleitzeit", config);
    try {
      return startOn(system, settings, config);
    } catch (RuntimeException e) {
      system.terminate();
      awaitTermination(system);
      throw e;
    }
  }

  /**
   * Every configured built-in provider's registration and settings, checked before anything starts: a mistake
   * found once the node had joined its cluster and started the other providers made it log and retry their
   * registrations while it stopped, for seconds, before the message came.
   */
  private static void checkBuiltinProviders(NodeSettings settings, int remotePort) {
    java.util.Set<String> ids = new java.util.HashSet<>();
    for (NodeSettings.BuiltinProvider builtin : settings.builtinProviders()) {
      try {
        ProviderSpec spec = BuiltinProviders.spec(builtin, remotePort);
        if (!ids.add(spec.id())) {
          throw new IllegalArgumentException("two built-in providers have the id " + spec.id() + " (an empty id"
              + " stands for <type>-<remote port>)");
        }
        BuiltinProviders.prepared(builtin, spec.id()); // settings read and checked; nothing started
      } catch (IllegalArgumentException e) {
        throw new NodeStartException("bad configuration: " + e.getMessage(), e);
      }
    }
  }

  private static GleitzeitNode startOn(ActorSystem<Void> system, NodeSettings settings, Config config) {
    try {
      // Several nodes may start at once on one database: SchemaCreation runs the creation again after a lost race.
      SchemaCreation.run(() -> SchemaUtils.createIfNotExists(system).toCompletableFuture().get(60, TimeUnit.SECONDS));
    } catch (Exception e) {
      throw new NodeStartException("the journal is not reachable (" + config.getString(
          "pekko-persistence-jdbc.shared-databases.slick.db.url") + "): " + rootMessage(e), e);
    }
    try {
      // Lives as long as the actor system, however the node stops (or fails to start).
      EmbeddedH2Compaction.startFor(config).ifPresent(compaction ->
          system.getWhenTerminated().thenRun(compaction::close));
    } catch (java.sql.SQLException e) {
      throw new NodeStartException("the journal is not reachable: " + rootMessage(e), e);
    }
    Cluster cluster = Cluster.get(system);
    if (config.getStringList("pekko.cluster.seed-nodes").isEmpty()) {
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }

    ClusterSharding sharding = ClusterSharding.get(system);
    Function<String, RecipientRef<WorkflowCommand>> workflows =
        id -> sharding.entityRefFor(WorkflowEntity.ENTITY_KEY, id);
    Function<String, RecipientRef<ProviderCommand>> providers =
        id -> sharding.entityRefFor(ProviderEntity.ENTITY_KEY, id);
    LiveEvents liveEvents = LiveEvents.start(system);
    ActorRef<Topic.Command<ProviderStatus>> statusTopic = system.systemActorOf(
        Topic.create(ProviderStatus.class, "provider-status"), "provider-status", Props.empty());
    ActorRef<Topic.Command<ProviderCommand.PublishStatus>> statusRequests = system.systemActorOf(
        Topic.create(ProviderCommand.PublishStatus.class, "provider-status-requests"), "provider-status-requests",
        Props.empty());
    MillisecondClock clock = new MillisecondClock();
    EngineMetrics metrics = new EngineMetrics();
    EventPublisher publisher = new MetricsPublisher(liveEvents, metrics);
    system.systemActorOf(ProviderGauges.create(statusTopic, metrics), "provider-gauges", Props.empty());

    ProviderEntity.init(system, new ProviderEntity.Dependencies(workflows, statusTopic, statusRequests, publisher,
        clock, new ProviderEntity.Health(settings.heartbeatInterval(), settings.unhealthyAfterMissed()),
        settings.idlePassivation(), settings.slotWriteDelay(), settings.reattachTimeout()));
    ActorRef<AssignmentCoordinator.Message> coordinator = system.systemActorOf(
        AssignmentCoordinator.create(workflows, providers, statusTopic, statusRequests, settings.askTimeout(),
            metrics::assignmentWait),
        "assignment-coordinator", Props.empty());
    WorkflowDecisions decisions = new WorkflowDecisions(new ParameterResolver(settings.auditValueBytes()),
        settings.maxReassignments(), () -> ThreadLocalRandom.current().nextDouble());
    WorkflowEntity.init(system, new WorkflowEntity.Dependencies(coordinator.narrow(), providers, publisher, clock,
        decisions, settings.idlePassivation(), settings.reattachTimeout()));

    // The bound port, not the configured one: port 0 picks a free port.
    int remotePort = cluster.selfMember().address().getPort().orElse(0);
    ProviderRuntime.Reporting reporting = new ProviderRuntime.Reporting(settings.reportTimeout(),
        settings.reportAttempts(), new ProviderRuntime.ExecutionListener() {
          @Override
          public void executed(String method, String providerId, Duration duration, boolean success) {
            metrics.taskExecuted(method, providerId, duration);
          }

          @Override
          public void serves(String method, String providerId) {
            metrics.serves(method, providerId);
          }
        }, settings.startedReportDelay(),
        (key, providerId, progress) ->
            publisher.publish(java.util.List.of(ProgressEnvelopes.of(key, providerId, clock.instant(), progress))));
    for (NodeSettings.BuiltinProvider builtin : settings.builtinProviders()) {
      ProviderSpec spec;
      TaskExecutor executor;
      try {
        spec = BuiltinProviders.spec(builtin, remotePort);
        executor = BuiltinProviders.executor(builtin, spec.id());
      } catch (IllegalArgumentException e) {
        throw new NodeStartException("bad configuration: " + e.getMessage(), e);
      }
      system.systemActorOf(ProviderRuntime.builtIn(spec, executor, workflows, providers, reporting,
          settings.heartbeatInterval()), "provider-" + spec.id(), Props.empty());
      for (String method : spec.methods()) {
        metrics.serves(method, spec.id());
      }
    }

    // The event store's query side: projections of the tagged journal into indexed tables (GET /events, /workflows).
    EventIndex eventIndex;
    try {
      eventIndex = EventIndex.start(system, EventIndexSettings.from(config));
    } catch (Exception e) {
      throw new NodeStartException("the event index cannot start: " + rootMessage(e), e);
    }
    Retention retention;
    try {
      retention = Retention.start(system, RetentionSettings.from(config), eventIndex, clock);
    } catch (IllegalArgumentException | com.typesafe.config.ConfigException e) {
      throw new NodeStartException("bad configuration: " + e.getMessage(), e);
    }
    WorkflowJournal journal = new WorkflowJournal(system);
    EventStreams streams = new EventStreams(system, liveEvents, journal, eventIndex);
    metrics.gauge("gleitzeit.stream.subscribers", "Live event stream subscribers on this node", streams::subscribers);
    ExternalWorkers workers = new ExternalWorkers(system, providers, workflows, reporting,
        settings.heartbeatInterval());
    Routes routes = new Routes(system, settings, new DefinitionParser(settings.limits(), () -> "wf-" + java.util.UUID.randomUUID(),
        io.gleitzeit.domain.AllowedBatchFiles.under(settings.batchRoots(), io.gleitzeit.domain.BatchFiles.LOCAL)),
        journal, new Readiness(system, journal), streams,
        new ProviderDirectory(system), workers, eventIndex, metrics);
    ServerBinding binding;
    try {
      binding = Http.get(system).newServerAt(settings.httpInterface(), settings.httpPort())
          .bind(routes.route()).toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new NodeStartException("cannot listen for HTTP on " + settings.httpInterface() + ":" + settings.httpPort()
          + ": " + rootMessage(e), e);
    }
    return new GleitzeitNode(system, settings, binding, liveEvents, eventIndex, retention, streams, workers);
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public NodeSettings settings() {
    return settings;
  }

  public LiveEvents liveEvents() {
    return liveEvents;
  }

  public EventIndex eventIndex() {
    return eventIndex;
  }

  /** This node's handle to the cluster's retention job. */
  public Retention retention() {
    return retention;
  }

  public int httpPort() {
    InetSocketAddress address = binding.localAddress();
    return address.getPort();
  }

  public String baseUrl() {
    return "http://" + settings.httpInterface() + ":" + httpPort();
  }

  @Override
  public void close() {
    // Live event streams end first, as complete responses: stopped under them they would break with an error.
    streams.endAll();
    workers.closeAll(WORKERS_CLOSE_WAIT);
    binding.unbind();
    system.terminate();
    awaitTermination(system);
    eventIndex.close();
  }

  /** Waits for the actor system to stop, but not forever (STACK.md gotcha 8). */
  static void awaitTermination(ActorSystem<?> system) {
    try {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      // A shutdown that hangs must not hang the process that asked for it.
    }
  }

  static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }

}
