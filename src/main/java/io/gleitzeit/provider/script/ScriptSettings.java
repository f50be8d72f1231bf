package io.gleitzeit.provider.script;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The {@code settings} of a built-in {@code script} provider, read once at start-up. {@code commands}: the
 * only programs it runs, either {@code {name = "/abs/path"}} (tasks name the command) or a list of absolute
 * paths (tasks name the path). {@code env-whitelist}: the only environment variables a process sees (their
 * values from the node's environment, unless the task's {@code env} sets them). {@code max-output-bytes}: the
 * most kept of stdout and of stderr each. {@code default-timeout}: for tasks without {@code timeout_ms}.
 */
public record ScriptSettings(Map<String, Path> commands, Set<String> envWhitelist, int maxOutputBytes,
                             Duration defaultTimeout) {

  static final Set<String> KEYS = Set.of("commands", "env-whitelist", "max-output-bytes", "default-timeout");

  public ScriptSettings {
    commands = Map.copyOf(commands);
    envWhitelist = Set.copyOf(envWhitelist);
    commands.forEach((name, path) -> {
      if (!path.isAbsolute()) {
        throw new IllegalArgumentException("script settings: command '" + name + "' must be an absolute path, got "
            + path);
      }
    });
    if (maxOutputBytes < 1) {
      throw new IllegalArgumentException("script settings: max-output-bytes must be >= 1, got " + maxOutputBytes);
    }
    if (defaultTimeout.isNegative() || defaultTimeout.isZero()) {
      throw new IllegalArgumentException("script settings: default-timeout must be > 0, got " + defaultTimeout);
    }
  }

  /** Reads the settings; an unknown key or a malformed value is an {@link IllegalArgumentException}. */
  public static ScriptSettings from(Config c) {
    for (String key : c.root().keySet()) {
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException("script settings: unknown key '" + key + "' (known: " + KEYS + ")");
      }
    }
    try {
      Map<String, Path> commands = new LinkedHashMap<>();
      if (c.hasPath("commands")) {
        if (c.getValue("commands").valueType() == ConfigValueType.LIST) {
          for (String path : c.getStringList("commands")) {
            commands.put(path, Path.of(path));
          }
        } else {
          // root() rather than entrySet(): names with dots stay one key
          c.getObject("commands").forEach((name, value) -> {
            if (value.valueType() != ConfigValueType.STRING) {
              throw new IllegalArgumentException("script settings: command '" + name + "' must be a path string");
            }
            commands.put(name, Path.of((String) value.unwrapped()));
          });
        }
      }
      Set<String> env = new LinkedHashSet<>(c.hasPath("env-whitelist") ? c.getStringList("env-whitelist") : Set.of());
      long max = c.hasPath("max-output-bytes") ? c.getBytes("max-output-bytes") : 1024L * 1024;
      if (max > Integer.MAX_VALUE / 2) {
        throw new IllegalArgumentException("script settings: max-output-bytes is too large: " + max);
      }
      return new ScriptSettings(commands, env, (int) max,
          c.hasPath("default-timeout") ? c.getDuration("default-timeout") : Duration.ofMinutes(1));
    } catch (ConfigException e) {
      throw new IllegalArgumentException("script settings: " + e.getMessage(), e);
    }
  }
}
