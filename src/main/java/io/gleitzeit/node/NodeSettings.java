package io.gleitzeit.node;

import com.typesafe.config.Config;
import io.gleitzeit.domain.Limits;
import java.nio.file.Path;
import java.time.Duration;

/** The {@code gleitzeit} section of the configuration, read once at start-up. */
public record NodeSettings(
    Path dataDir,
    String httpInterface,
    int httpPort,
    long maxBodyBytes,
    Duration askTimeout,
    Limits limits,
    int auditValueBytes,
    int maxReassignments,
    Duration idlePassivation,
    Duration reattachTimeout,
    Duration reportTimeout,
    int reportAttempts,
    boolean testProviderEnabled,
    int testProviderMaxConcurrency) {

  public static NodeSettings from(Config config) {
    Config g = config.getConfig("gleitzeit");
    return new NodeSettings(
        Path.of(g.getString("data-dir")),
        g.getString("http.interface"),
        g.getInt("http.port"),
        g.getBytes("http.max-body-bytes"),
        g.getDuration("http.ask-timeout"),
        new Limits(g.getInt("limits.max-tasks-per-workflow"), g.getInt("limits.max-params-bytes-per-task")),
        g.getInt("limits.audit-value-bytes"),
        g.getInt("engine.max-reassignments"),
        g.getDuration("engine.idle-passivation"),
        g.getDuration("engine.reattach-timeout"),
        g.getDuration("engine.report-timeout"),
        g.getInt("engine.report-attempts"),
        g.getBoolean("providers.test.enabled"),
        g.getInt("providers.test.max-concurrency"));
  }
}
