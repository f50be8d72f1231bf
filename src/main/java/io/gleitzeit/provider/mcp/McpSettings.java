package io.gleitzeit.provider.mcp;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValue;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code settings} of a built-in {@code mcp} provider: one MCP server, read once at start-up. Either
 * {@code command} (with {@code args}, {@code env}, {@code working-directory}): a process the node starts and
 * speaks to over stdio; or {@code url}: a streamable HTTP endpoint. Then {@code request-timeout} per tool call
 * (default 60 s), {@code startup-timeout} for start, initialize and listing the tools (30 s),
 * {@code restart-min-backoff} and {@code restart-max-backoff} between attempts to bring a stopped server back
 * (500 ms doubling up to 30 s), and {@code ping-interval} (10 s; 0 turns pings off), how often an idle
 * server must answer a ping to count as alive.
 *
 * @param command          the program of a stdio server (found on the node's PATH), or null for HTTP
 * @param args             its arguments
 * @param env              variables set for it, over the few it inherits ({@link #INHERITED_ENV})
 * @param workingDirectory where it runs; null: the node's working directory
 * @param url              the endpoint of a streamable HTTP server, or null for stdio
 */
public record McpSettings(String command, List<String> args, Map<String, String> env, Path workingDirectory,
                          URI url, Duration requestTimeout, Duration startupTimeout, Duration restartMinBackoff,
                          Duration restartMaxBackoff, Duration pingInterval) {

  /**
   * What a stdio server inherits from the node's environment (as the MCP SDKs do): enough to run, never the
   * node's secrets. Anything else is set in {@code env}.
   */
  public static final List<String> INHERITED_ENV = List.of("HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER",
      "LANG", "TMPDIR");

  static final Set<String> KEYS = Set.of("command", "args", "env", "working-directory", "url", "request-timeout",
      "startup-timeout", "restart-min-backoff", "restart-max-backoff", "ping-interval");

  public McpSettings {
    args = List.copyOf(args);
    env = Map.copyOf(env);
    positive("request-timeout", requestTimeout);
    positive("startup-timeout", startupTimeout);
    positive("restart-min-backoff", restartMinBackoff);
    if (restartMaxBackoff.compareTo(restartMinBackoff) < 0) {
      throw new IllegalArgumentException("mcp settings: restart-max-backoff (" + restartMaxBackoff
          + ") must not be below restart-min-backoff (" + restartMinBackoff + ")");
    }
    if (pingInterval.isNegative()) {
      throw new IllegalArgumentException("mcp settings: ping-interval must be >= 0, got " + pingInterval);
    }
  }

  /** Whether the server is a process spoken to over stdio (else a streamable HTTP endpoint). */
  public boolean stdio() {
    return command != null;
  }

  /** How the server is reached, for messages: its command line or its URL. */
  public String describe() {
    if (!stdio()) {
      return url.toString();
    }
    return args.isEmpty() ? command : command + " " + String.join(" ", args);
  }

  /** Reads and checks the settings; any mistake is an {@link IllegalArgumentException} saying which key. */
  public static McpSettings from(Config c) {
    for (String key : c.root().keySet()) {
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException("mcp settings: unknown key '" + key + "' (known: " + KEYS + ")");
      }
    }
    try {
      boolean hasCommand = c.hasPath("command");
      boolean hasUrl = c.hasPath("url");
      if (hasCommand == hasUrl) {
        throw new IllegalArgumentException("mcp settings: give exactly one of 'command' (a stdio server the node"
            + " starts) or 'url' (a streamable HTTP server), got " + (hasCommand ? "both" : "neither"));
      }
      String command = null;
      URI url = null;
      List<String> args = List.of();
      Map<String, String> env = new LinkedHashMap<>();
      Path workingDirectory = null;
      if (hasCommand) {
        command = c.getString("command").trim();
        if (command.isEmpty()) {
          throw new IllegalArgumentException("mcp settings: 'command' must not be empty");
        }
        args = c.hasPath("args") ? c.getStringList("args") : List.of();
        if (c.hasPath("env")) {
          for (Map.Entry<String, ConfigValue> e : c.getConfig("env").root().entrySet()) {
            env.put(e.getKey(), String.valueOf(e.getValue().unwrapped()));
          }
        }
        if (c.hasPath("working-directory")) {
          workingDirectory = Path.of(c.getString("working-directory"));
        }
      } else {
        for (String stdioOnly : List.of("args", "env", "working-directory")) {
          if (c.hasPath(stdioOnly)) {
            throw new IllegalArgumentException("mcp settings: '" + stdioOnly + "' applies to a stdio server"
                + " ('command'), not to 'url'");
          }
        }
        url = url(c.getString("url"));
      }
      return new McpSettings(command, args, env, workingDirectory, url,
          duration(c, "request-timeout", Duration.ofSeconds(60)),
          duration(c, "startup-timeout", Duration.ofSeconds(30)),
          duration(c, "restart-min-backoff", Duration.ofMillis(500)),
          duration(c, "restart-max-backoff", Duration.ofSeconds(30)),
          duration(c, "ping-interval", Duration.ofSeconds(10)));
    } catch (ConfigException e) {
      throw new IllegalArgumentException("mcp settings: " + e.getMessage(), e);
    }
  }

  private static Duration duration(Config c, String key, Duration fallback) {
    return c.hasPath(key) ? c.getDuration(key) : fallback;
  }

  private static void positive(String key, Duration d) {
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException("mcp settings: " + key + " must be > 0, got " + d);
    }
  }

  private static URI url(String raw) {
    try {
      URI uri = new URI(raw.trim());
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if ((!scheme.equals("http") && !scheme.equals("https")) || uri.getHost() == null) {
        throw new IllegalArgumentException("mcp settings: 'url' must be an absolute http:// or https:// URL, got '"
            + raw + "'");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("mcp settings: 'url' is not a valid URL: " + e.getMessage(), e);
    }
  }
}
