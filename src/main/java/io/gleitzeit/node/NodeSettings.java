package io.gleitzeit.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
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

  /** Reads the section; a value out of its range is a {@link ConfigException.BadValue} naming the setting. */
  public static NodeSettings from(Config config) {
    Config g = config.getConfig("gleitzeit");
    return new NodeSettings(
        Path.of(g.getString("data-dir")),
        g.getString("http.interface"),
        within(g, "http.port", 0, 65535),
        positiveBytes(g, "http.max-body-bytes"),
        positive(g, "http.ask-timeout"),
        new Limits(within(g, "limits.max-tasks-per-workflow", 1, Integer.MAX_VALUE),
            within(g, "limits.max-params-bytes-per-task", 1, Integer.MAX_VALUE)),
        g.getStringList("limits.batch-roots"),
        within(g, "limits.audit-value-bytes", 0, Integer.MAX_VALUE),
        within(g, "engine.max-reassignments", 0, Integer.MAX_VALUE),
        positive(g, "engine.idle-passivation"),
        positive(g, "engine.reattach-timeout"),
        positive(g, "engine.report-timeout"),
        within(g, "engine.report-attempts", 1, Integer.MAX_VALUE),
        notNegative(g, "engine.started-report-delay"),
        notNegative(g, "engine.slot-write-delay"),
        positive(g, "providers.heartbeat-interval"),
        within(g, "providers.unhealthy-after-missed", 1, Integer.MAX_VALUE),
        builtins(g));
  }

  private static int within(Config g, String path, int min, int max) {
    int value = g.getInt(path);
    if (value < min || value > max) {
      throw bad(path, max == Integer.MAX_VALUE ? "must be at least " + min + ", got " + value
          : "must be from " + min + " to " + max + ", got " + value);
    }
    return value;
  }

  private static long positiveBytes(Config g, String path) {
    long value = g.getBytes(path);
    if (value < 1) {
      throw bad(path, "must be at least 1 byte, got " + value);
    }
    return value;
  }

  private static Duration positive(Config g, String path) {
    Duration value = g.getDuration(path);
    if (value.isNegative() || value.isZero()) {
      throw bad(path, "must be longer than 0, got " + g.getValue(path).unwrapped());
    }
    return value;
  }

  private static Duration notNegative(Config g, String path) {
    Duration value = g.getDuration(path);
    if (value.isNegative()) {
      throw bad(path, "must not be negative, got " + g.getValue(path).unwrapped());
    }
    return value;
  }

  private static ConfigException.BadValue bad(String path, String problem) {
    return new ConfigException.BadValue("gleitzeit." + path, problem);
  }

  /** The keys of a {@code providers.builtin} entry (the API's {@code max_concurrency} is spelt with a dash here). */
  static final List<String> BUILTIN_KEYS = List.of("id", "type", "methods", "max-concurrency", "labels", "settings");

  private static List<BuiltinProvider> builtins(Config g) {
    List<BuiltinProvider> list = new ArrayList<>();
    List<? extends Config> entries = g.getConfigList("providers.builtin");
    for (int i = 0; i < entries.size(); i++) {
      Config p = entries.get(i);
      for (String key : p.root().keySet()) {
        if (!BUILTIN_KEYS.contains(key)) {
          // A misspelt key was ignored: "max_concurrency" left 1 slot, "setting" no settings at all.
          String named = p.hasPath("id") ? "built-in provider " + p.getString("id")
              : "gleitzeit.providers.builtin[" + i + "]";
          throw new NodeStartException("bad configuration: " + named + ": unknown key '" + key + "' (known: "
              + String.join(", ", BUILTIN_KEYS) + ")", null);
        }
      }
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
