package io.gleitzeit.api;

import static io.gleitzeit.api.Responses.formatOf;
import static io.gleitzeit.api.Responses.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.domain.Problem;
import io.gleitzeit.domain.ProviderSpec;
import io.gleitzeit.domain.ProviderSpecParser;
import io.gleitzeit.domain.ProviderSpecResult;
import io.gleitzeit.domain.SourceFormat;
import io.gleitzeit.events.ProviderDirectory;
import io.gleitzeit.node.NodeSettings;
import io.gleitzeit.provider.ProviderCommand;
import io.gleitzeit.provider.ProviderEntity;
import io.gleitzeit.provider.ProviderView;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * SPEC §6's providers: {@code POST /providers} registers one and {@code GET /providers} lists them;
 * {@code GET} and {@code DELETE /providers/{id}} show and deregister one; {@code GET /providers/{id}/connect} is an
 * external worker's WebSocket.
 */
final class ProviderRoutes extends AllDirectives {

  private static final String EXTERNAL = "external";
  private static final String BUILT_IN = "built-in providers (types http, llm, mcp, script, test) are declared in "
      + "a node's configuration (SPEC §6)";

  private final NodeSettings settings;
  private final ProviderDirectory providerDirectory;
  private final WorkerChannel workers;
  private final ClusterSharding sharding;
  private final Responses responses;

  ProviderRoutes(NodeSettings settings, ProviderDirectory providerDirectory, WorkerChannel workers,
                 ClusterSharding sharding, Responses responses) {
    this.settings = settings;
    this.providerDirectory = providerDirectory;
    this.workers = workers;
    this.sharding = sharding;
    this.responses = responses;
  }

  Route route() {
    return pathPrefix("providers", () -> concat(
        pathEnd(() -> concat(post(this::registerProvider), get(this::listProviders))),
        pathPrefix(PathMatchers.segment(), id -> concat(
            pathEnd(() -> concat(get(() -> getProvider(id)), delete(() -> deregisterProvider(id)))),
            path("connect", () -> connectWorker(id))))));
  }

  private Route registerProvider() {
    // As for a submission: a gzip or deflate body (Content-Encoding) is read decoded; another coding is a 415.
    return decodeRequest(() -> extractRequestEntity(entity -> {
      Optional<SourceFormat> format = formatOf(entity);
      if (format.isEmpty() || format.get() != SourceFormat.JSON) {
        return BodyLimit.refuse(entity,
            ApiError.unsupportedMediaType(entity.getContentType().toString(), "application/json"));
      }
      if (BodyLimit.declaredOver(entity, settings.maxBodyBytes())) {
        return BodyLimit.refuse(entity, ApiError.payloadTooLarge(settings.maxBodyBytes()));
      }
      return BodyLimit.readWithin(entity, settings.maxBodyBytes(), body -> {
        ProviderSpecResult parsed = new ProviderSpecParser().parse(body);
        // Every problem in one answer: a built-in type (which the parser accepts) beside the others too.
        List<Problem> problems = new java.util.ArrayList<>(
            parsed instanceof ProviderSpecResult.Invalid invalid ? invalid.problems() : List.of());
        String type = parsed instanceof ProviderSpecResult.Valid valid ? valid.spec().type() : typeIn(body);
        if (type != null && !EXTERNAL.equals(type) && problems.stream().noneMatch(p -> p.path().equals("type"))) {
          problems.add(new Problem("type", "only external providers register over HTTP; " + BUILT_IN));
        }
        if (!problems.isEmpty()) {
          return complete(ApiError.invalidDefinition("provider registration", problems));
        }
        ProviderSpec spec = ((ProviderSpecResult.Valid) parsed).spec();
        return completeWithFuture(providerView(spec.id()).thenCompose(existing -> builtIn(existing)
                ? CompletableFuture.completedFuture(builtInConflict(spec.id()))
                : provider(spec.id())
                    .<ProviderCommand.RegisterReply>ask(replyTo -> new ProviderCommand.Register(spec, replyTo),
                        settings.askTimeout())
                    .thenApply(reply -> json(reply.created() ? StatusCodes.CREATED : StatusCodes.OK,
                        ProviderJson.render(reply.view()))))
            .exceptionally(responses::unavailable));
      });
    }));
  }

  private Route listProviders() {
    CompletionStage<HttpResponse> answer = providerDirectory.providerIds().thenCompose(ids -> {
      List<CompletableFuture<ProviderView>> views = ids.stream()
          .map(id -> providerView(id).toCompletableFuture()).toList();
      return CompletableFuture.allOf(views.toArray(CompletableFuture[]::new)).thenApply(done -> {
        ObjectNode body = Json.MAPPER.createObjectNode();
        var list = body.putArray("providers");
        views.stream().map(CompletableFuture::join).filter(java.util.Objects::nonNull)
            .sorted(java.util.Comparator.comparing(v -> v.spec().id()))
            .forEach(v -> list.add(ProviderJson.render(v)));
        return json(StatusCodes.OK, body);
      });
    });
    return completeWithFuture(answer.exceptionally(responses::unavailable));
  }

  private Route getProvider(String id) {
    return completeWithFuture(providerView(id).thenApply(view -> view == null
            ? ApiError.notFound("no provider with id '" + id + "'")
            : json(StatusCodes.OK, ProviderJson.render(view)))
        .exceptionally(responses::unavailable));
  }

  private Route deregisterProvider(String id) {
    return completeWithFuture(providerView(id).thenCompose(existing -> builtIn(existing)
            ? CompletableFuture.completedFuture(builtInConflict(id))
            : provider(id).<ProviderCommand.ProviderReply>ask(ProviderCommand.Deregister::new, settings.askTimeout())
                .thenApply(reply -> reply.view() == null
                    ? ApiError.notFound("no provider with id '" + id + "'")
                    : json(StatusCodes.OK, ProviderJson.render(reply.view()))))
        .exceptionally(responses::unavailable));
  }

  /**
   * The textual {@code type} of a registration the parser refused for other reasons, or null: a type it did not
   * refuse is one it knows, and any but external is one only a node's configuration declares.
   */
  private static String typeIn(byte[] body) {
    try {
      JsonNode type = Json.MAPPER.readTree(body).path("type");
      return type.isTextual() ? type.textValue() : null;
    } catch (IOException | RuntimeException e) {
      return null; // the parser has said what is wrong with it
    }
  }

  /** A provider a node declared in its configuration: not registered, updated or deregistered over HTTP. */
  private static boolean builtIn(ProviderView view) {
    return view != null && !EXTERNAL.equals(view.spec().type());
  }

  private static HttpResponse builtInConflict(String id) {
    return ApiError.conflict("provider '" + id + "' is built in; " + BUILT_IN);
  }

  /** SPEC §6: an external worker's WebSocket; the provider must be registered first. */
  private Route connectWorker(String id) {
    return get(() -> onComplete(workers.connect(id), attempt -> {
      if (attempt.isFailure()) {
        return complete(responses.unavailable(attempt.failed().get()));
      }
      return attempt.get()
          .map(this::handleWebSocketMessages)
          .orElseGet(() -> complete(ApiError.notFound("no external provider with id '" + id
              + "' is registered; POST /providers first")));
    }));
  }

  private CompletionStage<ProviderView> providerView(String id) {
    return provider(id).<ProviderCommand.ProviderReply>ask(ProviderCommand.GetProvider::new, settings.askTimeout())
        .thenApply(ProviderCommand.ProviderReply::view);
  }

  private EntityRef<ProviderCommand> provider(String id) {
    return sharding.entityRefFor(ProviderEntity.ENTITY_KEY, id);
  }
}
