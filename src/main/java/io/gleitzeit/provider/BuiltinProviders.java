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
import java.util.function.Supplier;

/**
 * The provider types a node runs itself, made from configuration: {@code test}, {@code http}, {@code script},
 * {@code llm}, {@code mcp}. An mcp provider's methods are its server's tools, known only once it runs: its
 * configured methods (default {@code mcp/tool.*}) bound which of them it registers.
 */
public final class BuiltinProviders {

  private BuiltinProviders() {}

  /** What each built-in type serves: its methods when the configuration names none, and the most it may name. */
  private static final Map<String, List<String>> METHODS_BY_TYPE = Map.of("test", TestExecutor.METHODS,
      "http", HttpExecutor.METHODS, "script", ScriptExecutor.METHODS, "llm", LlmExecutor.METHODS,
      "mcp", McpExecutor.METHODS);

  private static final String TYPES = "test, http, script, llm, mcp";

  /**
   * The registration of a configured built-in provider, checked like any {@code POST /providers}, and its
   * methods against what its type serves: an {@code http} provider listing {@code llm/generate} would be handed
   * (and fail) a share of the llm tasks.
   */
  public static ProviderSpec spec(BuiltinProvider p, int remotePort) {
    String id = p.id().isBlank() ? p.type() + "-" + remotePort : p.id();
    List<String> served = METHODS_BY_TYPE.get(p.type());
    if (served == null) {
      throw new IllegalArgumentException("built-in provider " + id + ": type: unknown type '" + p.type()
          + "' (built-in types: " + TYPES + ")");
    }
    List<String> methods = p.methods().isEmpty() ? served : p.methods();
    var tree = io.gleitzeit.domain.Json.MAPPER.createObjectNode().put("id", id).put("type", p.type())
        .put("max_concurrency", p.maxConcurrency());
    methods.forEach(tree.putArray("methods")::add);
    var labels = tree.putObject("labels");
    p.labels().forEach(labels::put);
    ProviderSpecResult result = new ProviderSpecParser().parse(tree);
    if (result instanceof ProviderSpecResult.Invalid invalid) {
      throw new IllegalArgumentException("built-in provider " + id + ": " + invalid.problems().stream()
          .map(problem -> asConfigured(problem.path()) + ": " + asConfigured(problem.message()))
          .collect(java.util.stream.Collectors.joining("; ")));
    }
    for (String method : methods) {
      if (!servedBy(served, method)) {
        throw new IllegalArgumentException("built-in provider " + id + ": methods: the " + p.type()
            + " type does not serve " + method + " (it serves " + String.join(", ", served) + ")");
      }
    }
    return ((ProviderSpecResult.Valid) result).spec();
  }

  /** The configuration spells the API's {@code max_concurrency} as {@code max-concurrency}. */
  private static String asConfigured(String text) {
    return text.replace("max_concurrency", "max-concurrency");
  }

  /**
   * Whether a configured method (exact, or a prefix ending in {@code *}) is one the type serves: an exact method
   * it serves or one under its own prefix ({@code mcp/tool.read_file}), or a prefix that takes in at least one of
   * its methods ({@code mcp/tool.read_*}, {@code llm/*}).
   */
  static boolean servedBy(List<String> served, String method) {
    boolean prefix = method.endsWith("*");
    String stem = prefix ? method.substring(0, method.length() - 1) : method;
    for (String own : served) {
      if (own.endsWith("*") ? stem.startsWith(own.substring(0, own.length() - 1))
          : own.equals(method) || prefix && own.startsWith(stem)) {
        return true;
      }
    }
    return false;
  }

  /** The executor of a configured built-in provider, its {@code settings} read (and checked) here, once. */
  public static TaskExecutor executor(BuiltinProvider p) {
    return executor(p, p.id());
  }

  /** As {@link #executor(BuiltinProvider)}, for the provider registered as {@code id}. */
  public static TaskExecutor executor(BuiltinProvider p, String id) {
    return prepared(p, id).get();
  }

  /**
   * The executor of the provider registered as {@code id}, its {@code settings} read and checked but nothing
   * started: what is wrong is an {@link IllegalArgumentException} that names the provider. A node checks every
   * entry this way before it starts anything.
   */
  public static Supplier<TaskExecutor> prepared(BuiltinProvider p, String id) {
    try {
      return switch (p.type()) {
        case "test" -> {
          if (!p.settings().isEmpty()) {
            throw new IllegalArgumentException("type test takes no settings");
          }
          yield TestExecutor::new;
        }
        case "http" -> {
          HttpSettings settings = HttpSettings.from(p.settings());
          yield () -> new HttpExecutor(settings);
        }
        case "script" -> {
          ScriptSettings settings = ScriptSettings.from(p.settings());
          yield () -> new ScriptExecutor(settings);
        }
        case "llm" -> {
          LlmSettings settings = LlmSettings.from(p.settings());
          yield () -> new LlmExecutor(settings);
        }
        case "mcp" -> {
          McpSettings settings = McpSettings.from(p.settings());
          yield () -> new McpExecutor(id, settings);
        }
        default -> throw new IllegalArgumentException("type: unknown type '" + p.type() + "' (built-in types: "
            + TYPES + ")");
      };
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("built-in provider " + id + ": " + e.getMessage(), e);
    }
  }
}
