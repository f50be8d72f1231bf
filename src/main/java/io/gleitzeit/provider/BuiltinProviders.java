package io.gleitzeit.provider;

import io.gleitzeit.domain.ProviderSpec;
import io.gleitzeit.domain.ProviderSpecParser;
import io.gleitzeit.domain.ProviderSpecResult;
import io.gleitzeit.node.NodeSettings.BuiltinProvider;
import io.gleitzeit.provider.http.HttpExecutor;
import io.gleitzeit.provider.http.HttpSettings;
import io.gleitzeit.provider.llm.LlmExecutor;
import io.gleitzeit.provider.llm.LlmSettings;
import io.gleitzeit.provider.mcp.McpExecutor;
import io.gleitzeit.provider.mcp.McpSettings;
import io.gleitzeit.provider.script.ScriptExecutor;
import io.gleitzeit.provider.script.ScriptSettings;
import io.gleitzeit.provider.test.TestExecutor;
import java.util.List;
import java.util.Map;

/**
 * The provider types a node runs itself, made from configuration: {@code test}, {@code http}, {@code script},
 * {@code llm}, {@code mcp}. An mcp provider's methods are its server's tools, known only once it runs: its
 * configured methods (default {@code mcp/tool.*}) bound which of them it registers.
 */
public final class BuiltinProviders {

  private BuiltinProviders() {}

  /** The registration of a configured built-in provider, checked like any {@code POST /providers}. */
  public static ProviderSpec spec(BuiltinProvider p, int remotePort) {
    String id = p.id().isBlank() ? p.type() + "-" + remotePort : p.id();
    List<String> methods = p.methods().isEmpty() ? defaultMethods(p.type()) : p.methods();
    var tree = io.gleitzeit.domain.Json.MAPPER.createObjectNode().put("id", id).put("type", p.type())
        .put("max_concurrency", p.maxConcurrency());
    methods.forEach(tree.putArray("methods")::add);
    var labels = tree.putObject("labels");
    p.labels().forEach(labels::put);
    ProviderSpecResult result = new ProviderSpecParser().parse(tree);
    if (result instanceof ProviderSpecResult.Invalid invalid) {
      throw new IllegalArgumentException("built-in provider " + id + " is misconfigured: " + invalid.problems());
    }
    return ((ProviderSpecResult.Valid) result).spec();
  }

  /** The executor of a configured built-in provider, its {@code settings} read (and checked) here, once. */
  public static TaskExecutor executor(BuiltinProvider p) {
    return executor(p, p.id());
  }

  /** As {@link #executor(BuiltinProvider)}, for the provider registered as {@code id}. */
  public static TaskExecutor executor(BuiltinProvider p, String id) {
    return switch (p.type()) {
      case "test" -> {
        if (!p.settings().isEmpty()) {
          throw new IllegalArgumentException("built-in provider " + p.id() + " of type test takes no settings");
        }
        yield new TestExecutor();
      }
      case "http" -> new HttpExecutor(HttpSettings.from(p.settings()));
      case "script" -> new ScriptExecutor(ScriptSettings.from(p.settings()));
      case "llm" -> new LlmExecutor(LlmSettings.from(p.settings()));
      case "mcp" -> new McpExecutor(id, McpSettings.from(p.settings()));
      default -> throw new IllegalArgumentException("no built-in provider of type " + p.type()
          + " (built-in types: test, http, script, llm, mcp)");
    };
  }

  private static List<String> defaultMethods(String type) {
    return Map.of("test", TestExecutor.METHODS, "http", HttpExecutor.METHODS, "script", ScriptExecutor.METHODS,
        "llm", LlmExecutor.METHODS, "mcp", McpExecutor.METHODS)
        .getOrDefault(type, List.of());
  }
}
