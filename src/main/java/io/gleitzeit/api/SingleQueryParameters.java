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
        if (e.getValue().size() > 1) {
          return complete(ApiError.invalidRequest("query parameter '" + e.getKey() + "' is given "
              + e.getValue().size() + " times; give it once", e.getKey()));
        }
        single.put(e.getKey(), e.getValue().isEmpty() ? "" : e.getValue().get(0));
      }
      return inner.apply(single);
    });
  }
}
