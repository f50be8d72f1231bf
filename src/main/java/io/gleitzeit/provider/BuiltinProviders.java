package io.gleitzeit.provider;

import io.gleitzeit.domain.ProviderSpec;
import io.gleitzeit.domain.ProviderSpecParser;
import io.gleitzeit.domain.ProviderSpecResult;
import io.gleitzeit.node.NodeSettings.BuiltinProvider;
import io.gleitzeit.provider.test.TestExecutor;
import java.util.List;
import java.util.Map;

/** The provider types a node runs itself, made from configuration (only {@code test} so far). */
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

  public static TaskExecutor executor(BuiltinProvider p) {
    if ("test".equals(p.type())) {
      return new TestExecutor();
    }
    throw new IllegalArgumentException("no built-in provider of type " + p.type() + " (configured types: test)");
  }

  private static List<String> defaultMethods(String type) {
    return Map.of("test", TestExecutor.METHODS).getOrDefault(type, List.of());
  }
}
