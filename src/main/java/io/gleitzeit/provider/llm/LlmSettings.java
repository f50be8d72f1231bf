package io.gleitzeit.provider.llm;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The {@code settings} of a built-in {@code llm} provider, read once at start-up: {@code api} ({@code ollama} or
 * {@code openai}, any OpenAI-compatible server), {@code base-url} (the server's root, without {@code /api} or
 * {@code /v1}), {@code model} (the default; a task's {@code params.model} overrides it), {@code api-key-env}
 * (the name of an environment variable holding the key, sent as {@code Authorization: Bearer}), {@code timeout}
 * per request (default 120 s), {@code max-retry-after}, the longest {@code Retry-After} honoured, and {@code stream}
 * (default false): generate and chat answers streamed, their text reported as {@code task:progress} as it comes.
 * {@code apiKey} is the key itself, resolved here; null sends no {@code Authorization} header.
 */
public record LlmSettings(Api api, URI baseUrl, String model, String apiKeyEnv, String apiKey, Duration timeout,
                          Duration maxRetryAfter, boolean stream) {

  /** The wire format spoken. */
  public enum Api { OLLAMA, OPENAI }

  static final Set<String> KEYS = Set.of("api", "base-url", "model", "api-key-env", "timeout", "max-retry-after",
      "stream");

  public LlmSettings {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("llm settings: timeout must be > 0, got " + timeout);
    }
    if (maxRetryAfter.isNegative()) {
      throw new IllegalArgumentException("llm settings: max-retry-after must be >= 0, got " + maxRetryAfter);
    }
  }

  /** Reads the settings with the key from the node's environment. */
  public static LlmSettings from(Config c) {
    return from(c, System::getenv);
  }

  /**
   * Reads the settings, looking {@code api-key-env} up in {@code env}; an unknown key, a malformed value or a
   * named variable that is unset or empty is an {@link IllegalArgumentException}.
   */
  public static LlmSettings from(Config c, UnaryOperator<String> env) {
    for (String key : c.root().keySet()) {
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException("llm settings: unknown key '" + key + "' (known: " + KEYS + ")");
      }
    }
    try {
      if (!c.hasPath("api")) {
        throw new IllegalArgumentException("llm settings: 'api' is required (ollama or openai)");
      }
      Api api = switch (c.getString("api").trim().toLowerCase(Locale.ROOT)) {
        case "ollama" -> Api.OLLAMA;
        case "openai" -> Api.OPENAI;
        default -> throw new IllegalArgumentException("llm settings: 'api' must be ollama or openai, got '"
            + c.getString("api") + "'");
      };
      if (!c.hasPath("base-url")) {
        throw new IllegalArgumentException("llm settings: 'base-url' is required, e.g. \"http://127.0.0.1:11434\"");
      }
      URI base = baseUrl(c.getString("base-url"));
      String apiPath = api == Api.OPENAI ? "/v1" : "/api";
      if (base.getPath().endsWith(apiPath)) { // the node adds it: .../v1/v1/chat/completions was a 404 per call
        throw new IllegalArgumentException("llm settings: 'base-url' is the server's root, without " + apiPath
            + " (the node adds it), got '" + c.getString("base-url") + "'");
      }
      String model = c.hasPath("model") ? c.getString("model").trim() : "";
      String keyEnv = null;
      String key = null;
      if (c.hasPath("api-key-env")) {
        keyEnv = c.getString("api-key-env").trim();
        if (keyEnv.isEmpty()) {
          throw new IllegalArgumentException("llm settings: 'api-key-env' must name an environment variable");
        }
        key = env.apply(keyEnv);
        if (key == null || key.isBlank()) {
          throw new IllegalArgumentException("llm settings: environment variable " + keyEnv
              + " (api-key-env) is not set");
        }
        key = key.strip();
      }
      return new LlmSettings(api, base, model, keyEnv, key,
          c.hasPath("timeout") ? c.getDuration("timeout") : Duration.ofSeconds(120),
          c.hasPath("max-retry-after") ? c.getDuration("max-retry-after") : Duration.ofHours(1),
          c.hasPath("stream") && c.getBoolean("stream"));
    } catch (ConfigException e) {
      throw new IllegalArgumentException("llm settings: " + e.getMessage(), e);
    }
  }

  private static URI baseUrl(String raw) {
    String s = raw.trim();
    while (s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    try {
      URI uri = new URI(s);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if ((!scheme.equals("http") && !scheme.equals("https")) || uri.getHost() == null) {
        throw new IllegalArgumentException("llm settings: 'base-url' must be an absolute http:// or https:// URL, got '"
            + raw + "'");
      }
      if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
        throw new IllegalArgumentException("llm settings: 'base-url' must not have a query or fragment: '" + raw + "'");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("llm settings: 'base-url' is not a valid URL: " + e.getMessage(), e);
    }
  }

  /** The URL of {@code path} (starting with '/') under the base URL. */
  URI resolve(String path) {
    return URI.create(baseUrl + path);
  }

  @Override
  public String toString() { // never the key
    return "LlmSettings[api=" + api + ", baseUrl=" + baseUrl + ", model=" + model + ", apiKeyEnv=" + apiKeyEnv
        + ", timeout=" + timeout + ", maxRetryAfter=" + maxRetryAfter + ", stream=" + stream + "]";
  }
}
