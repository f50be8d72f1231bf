package io.gleitzeit.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.domain.SourceFormat;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;

/**
 * The answers every route class builds the same way, kept in one place so that a JSON body, a request's format
 * and a cluster that did not answer read alike on every endpoint.
 */
final class Responses {

  private final ActorSystem<?> system;

  Responses(ActorSystem<?> system) {
    this.system = system;
  }

  HttpResponse unavailable(Throwable failure) {
    Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
    system.log().warn("request could not be answered: {}", cause.toString());
    if (cause instanceof TimeoutException) {
      return ApiError.unavailable("the cluster did not answer in time; try again");
    }
    return ApiError.unavailable("the request could not be completed: " + cause.getMessage());
  }

  /** A parser of query parameters that names the parameter it cannot read. */
  @FunctionalInterface
  interface QueryParser<Q> {
    Q parse(Map<String, String> params) throws EventFilterParams.BadParameter;
  }

  /**
   * A read of one page: the query parameters parsed (400 naming the one that is wrong), the query run, its page
   * written out (503 when the read side does not answer).
   */
  <Q, P> CompletionStage<HttpResponse> page(Map<String, String> params, QueryParser<Q> parser,
                                            Function<Q, CompletionStage<P>> query, Function<P, HttpResponse> render) {
    Q parsed;
    try {
      parsed = parser.parse(params);
    } catch (EventFilterParams.BadParameter e) {
      return CompletableFuture.completedFuture(ApiError.invalidRequest(e.getMessage(), e.parameter()));
    }
    return query.apply(parsed).thenApply(render).exceptionally(this::unavailable);
  }

  static HttpResponse json(StatusCode status, ObjectNode body) {
    return HttpResponse.create().withStatus(status)
        .withEntity(ContentTypes.APPLICATION_JSON, Json.compact(body).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * SPEC §1: JSON, or YAML under any of its three media types, "with or without a charset parameter. Anything else is
   * 415": the charset is ignored (a definition is read as UTF-8), any other parameter makes it another media type.
   */
  static Optional<SourceFormat> formatOf(HttpEntity entity) {
    return formatOf(entity.getContentType().mediaType().toString());
  }

  /**
   * The format a Content-Type header's text names. Also for a header Pekko could not parse, which it drops
   * (the entity is then application/octet-stream): {@code application/json;} with nothing after its semicolon
   * is still JSON (RFC 9110's grammar allows an empty parameter).
   */
  static Optional<SourceFormat> formatOf(String contentType) {
    String mediaType = contentType.toLowerCase(Locale.ROOT);
    String[] parts = mediaType.split(";");
    for (int i = 1; i < parts.length; i++) {
      String parameter = parts[i].trim();
      if (!parameter.isEmpty() && !parameter.matches("charset=\\s*\"?[a-z0-9._:-]*\"?")) {
        return Optional.empty();
      }
    }
    String bare = parts.length == 0 ? "" : parts[0].trim();
    return switch (bare) {
      case "application/json" -> Optional.of(SourceFormat.JSON);
      case "application/yaml", "application/x-yaml", "text/yaml" -> Optional.of(SourceFormat.YAML);
      default -> Optional.empty();
    };
  }
}
