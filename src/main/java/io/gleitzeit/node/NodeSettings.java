package io.gleitzeit.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.gleitzeit.domain.Limits;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The {@code gleitzeit} section of the configuration, read once at start-up. */
public record NodeSettings(
    Path dataDir,
    String httpInterface,
    int httpPort,
    long maxBodyBytes,
    Duration askTimeout,
    Limits limits,
    List<String> batchRoots,
    int auditValueBytes,
    int maxReassignments,
    Duration idlePassivation,
    Duration reattachTimeout,
    Duration reportTimeout,
    int reportAttempts,
    Duration startedReportDelay,
    Duration slotWriteDelay,
    Duration heartbeatInterval,
    int unhealthyAfterMissed,
    List<BuiltinProvider> builtinProviders) {

  /**
   * A provider this node runs itself (SPEC §6 built-in types). {@code settings} is the type's own section
   * (empty when absent), read into the type's settings record when its executor is made at start-up.
   */
  public record BuiltinProvider(String id, String type, List<String> methods, int maxConcurrency,
                                Map<String, String> labels, Config settings) {
    public BuiltinProvider(String id, String type, List<String> methods, int maxConcurrency,
                           Map<String, String> labels) {
      this(id, type, methods, maxConcurrency, labels, ConfigFactory.empty());
    }
  }

  public static NodeSettings from(Config config) {
    Config g = config.getConfig("gleitzeit");
    return new NodeSettings(
        Path.of(g.getString("data-dir")),
        g.getString("http.interface"),
        g.getInt("http.port"),
        g.getBytes("http.max-body-bytes"),
        g.getDuration("http.ask-timeout"),
        new Limits(g.getInt("limits.max-tasks-per-workflow"), g.getInt("limits.max-params-bytes-per-task")),
        g.getStringList("limits.batch-roots"),
        g.getInt("limits.audit-value-bytes"),
        g.getInt("engine.max-reassignments"),
        g.getDuration("engine.idle-passivation"),
        g.getDuration("engine.reattach-timeout"),
        g.getDuration("engine.report-timeout"),
        g.getInt("engine.report-attempts"),
        g.getDuration("engine.started-report-delay"),
        g.getDuration("engine.slot-write-delay"),
        g.getDuration("providers.heartbeat-interval"),
        g.getInt("providers.unhealthy-after-missed"),
        builtins(g));
  }

  private static List<BuiltinProvider> builtins(Config g) {
    List<BuiltinProvider> list = new ArrayList<>();
    for (Config p : g.getConfigList("providers.builtin")) {
      Map<String, String> labels = new LinkedHashMap<>();
      if (p.hasPath("labels")) {
        p.getConfig("labels").entrySet().forEach(e -> labels.put(e.getKey(), String.valueOf(e.getValue().unwrapped())));
      }
      list.add(new BuiltinProvider(p.hasPath("id") ? p.getString("id") : "", p.getString("type"),
          p.hasPath("methods") ? p.getStringList("methods") : List.of(),
          p.hasPath("max-concurrency") ? p.getInt("max-concurrency") : 1, labels,
          p.hasPath("settings") ? p.getConfig("settings") : ConfigFactory.empty()));
    }
    return List.copyOf(list);
  }
}
