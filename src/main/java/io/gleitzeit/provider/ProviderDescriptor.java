package io.gleitzeit.provider;

import io.gleitzeit.serialization.JsonSerializable;
import java.util.List;
import java.util.Map;

/**
 * What a provider is and serves (SPEC §6). A method entry is exact ({@code test/echo}) or a prefix ending
 * in {@code *} ({@code mcp/tool.*}).
 */
public record ProviderDescriptor(
    String id, String type, List<String> methods, int maxConcurrency, Map<String, String> labels)
    implements JsonSerializable {

  public ProviderDescriptor {
    methods = List.copyOf(methods);
    labels = Map.copyOf(labels);
  }

  public boolean serves(String method) {
    for (String m : methods) {
      if (m.endsWith("*") ? method.startsWith(m.substring(0, m.length() - 1)) : m.equals(method)) {
        return true;
      }
    }
    return false;
  }
}
