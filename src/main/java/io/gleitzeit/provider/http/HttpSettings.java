package io.gleitzeit.provider.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * The {@code settings} of a built-in {@code http} provider, read once at start-up:
 * {@code allowed-hosts} (host names or {@code host:port}; empty allows none), {@code default-timeout} for
 * requests without {@code timeout_ms}, {@code max-response-bytes} above which a response fails, and
 * {@code max-retry-after}, the longest {@code Retry-After} honoured (a longer one fails for good).
 */
public record HttpSettings(HostAllowList allowedHosts, Duration defaultTimeout, long maxResponseBytes,
                           Duration maxRetryAfter) {

  static final Set<String> KEYS = Set.of("allowed-hosts", "default-timeout", "max-response-bytes", "max-retry-after");

  public HttpSettings {
    if (defaultTimeout.isNegative() || defaultTimeout.isZero()) {
      throw new IllegalArgumentException("http settings: default-timeout must be > 0, got " + defaultTimeout);
    }
    if (maxResponseBytes <= 0 || maxResponseBytes > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("http settings: max-response-bytes must be in 1.." + (Integer.MAX_VALUE - 8)
          + ", got " + maxResponseBytes);
    }
  }

  /** Reads the settings; an unknown key or a malformed value is an {@link IllegalArgumentException}. */
  public static HttpSettings from(Config c) {
    for (String key : c.root().keySet()) {
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException("http settings: unknown key '" + key + "' (known: " + KEYS + ")");
      }
    }
    try {
      List<String> hosts = c.hasPath("allowed-hosts") ? c.getStringList("allowed-hosts") : List.of();
      return new HttpSettings(HostAllowList.of(hosts),
          c.hasPath("default-timeout") ? c.getDuration("default-timeout") : Duration.ofSeconds(30),
          c.hasPath("max-response-bytes") ? c.getBytes("max-response-bytes") : 10L * 1024 * 1024,
          c.hasPath("max-retry-after") ? c.getDuration("max-retry-after") : Duration.ofHours(1));
    } catch (ConfigException e) {
      throw new IllegalArgumentException("http settings: " + e.getMessage(), e);
    }
  }
}
