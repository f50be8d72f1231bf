package io.gleitzeit.api;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The query parameters of a request, each given at most once: {@code ?limit=5&limit=6} is a 400 naming
 * {@code limit} rather than a page of whichever of the two a map keeps (every parameter of the API takes one value).
 */
final class SingleQueryParameters extends AllDirectives {

  private static final SingleQueryParameters INSTANCE = new SingleQueryParameters();

  private SingleQueryParameters() {}

  /** As Pekko's {@code parameterMap}, refusing a parameter given more than once. */
  static Route singleValued(Function<Map<String, String>, Route> inner) {
    return INSTANCE.parameters(inner);
  }

  private Route parameters(Function<Map<String, String>, Route> inner) {
    return parameterMultiMap(multi -> {
      Map<String, String> single = new HashMap<>();
      for (Map.Entry<String, List<String>> e : multi.entrySet()) {
        if (e.getKey().isEmpty()) {
          continue; // an empty segment (?&limit=2&&) names no parameter; query builders leave them
        }
        // A blank value counts as absent (README), so only the others count as giving the parameter.
        List<String> given = e.getValue().stream().filter(v -> !v.isBlank()).toList();
        if (given.size() > 1) {
          return complete(ApiError.invalidRequest("query parameter '" + e.getKey() + "' is given "
              + given.size() + " times; give it once", e.getKey()));
        }
        single.put(e.getKey(), given.isEmpty() ? "" : given.get(0));
      }
      return inner.apply(single);
    });
  }
}
