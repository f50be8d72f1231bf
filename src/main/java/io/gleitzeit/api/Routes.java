package io.gleitzeit.api;

import static io.gleitzeit.api.Responses.json;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.DefinitionParser;
import io.gleitzeit.domain.Json;
import io.gleitzeit.events.EventIndex;
import io.gleitzeit.events.EventStreams;
import io.gleitzeit.events.ProviderDirectory;
import io.gleitzeit.events.WorkflowJournal;
import io.gleitzeit.metrics.EngineMetrics;
import io.gleitzeit.node.NodeSettings;
import io.gleitzeit.node.Readiness;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Allow;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.server.UnsupportedRequestEncodingRejection;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;

/**
 * SPEC §5's HTTP API (the parts this node serves so far). The endpoints live with their resource in
 * {@link WorkflowRoutes}, {@link EventRoutes}, {@link DeadLetterRoutes} and {@link ProviderRoutes}; this class
 * composes them and keeps what is the node's rather than a resource's: the exception and rejection handlers that
 * turn every failure into an {@link ApiError}, {@code GET /health/alive}, {@code GET /health/ready} and
 * {@code GET /metrics}.
 */
public final class Routes extends AllDirectives {

  private final ActorSystem<?> system;
  private final NodeSettings settings;
  private final Readiness readiness;
  private final EventIndex eventIndex;
  private final EngineMetrics metrics;
  private final Responses responses;
  private final WorkflowRoutes workflows;
  private final EventRoutes events;
  private final DeadLetterRoutes deadLetters;
  private final ProviderRoutes providers;

  public Routes(ActorSystem<?> system, NodeSettings settings, DefinitionParser parser, WorkflowJournal journal,
                Readiness readiness, EventStreams streams, ProviderDirectory providerDirectory,
                WorkerChannel workers, EventIndex eventIndex, EngineMetrics metrics) {
    this.system = system;
    this.settings = settings;
    this.readiness = readiness;
    this.eventIndex = eventIndex;
    this.metrics = metrics;
    this.responses = new Responses(system);
    ClusterSharding sharding = ClusterSharding.get(system);
    this.workflows = new WorkflowRoutes(settings, parser, journal, eventIndex, sharding, responses);
    this.events = new EventRoutes(streams, eventIndex, responses);
    this.deadLetters = new DeadLetterRoutes(settings, eventIndex, workflows::workflow, responses);
    this.providers = new ProviderRoutes(settings, providerDirectory, workers, sharding, responses);
  }

  public Route route() {
    return handleExceptions(exceptions(), () -> handleRejections(rejections(), () -> concat(
        workflows.route(),
        events.route(),
        path("metrics", () -> get(this::metrics)),
        deadLetters.route(),
        providers.route(),
        pathPrefix("health", () -> concat(
            path("alive", () -> get(() -> complete(json(StatusCodes.OK,
                Json.MAPPER.createObjectNode().put("status", "alive"))))),
            path("ready", () -> get(this::ready)))))));
  }

  /** Prometheus' text exposition format, with its version as Prometheus' own client libraries send it. */
  private static final ContentType PROMETHEUS_TEXT = MediaTypes.customWithOpenCharset("text", "plain",
      Map.of("version", "0.0.4"), false).toContentType(HttpCharsets.UTF_8);

  /** SPEC §5 {@code GET /metrics}: Prometheus text format; workflow counts are read from the list read model. */
  private Route metrics() {
    return completeWithFuture(eventIndex.workflowCounts()
        .thenApply(counts -> {
          metrics.workflows(counts);
          return HttpResponse.create().withStatus(StatusCodes.OK).withEntity(PROMETHEUS_TEXT,
              metrics.scrape().getBytes(StandardCharsets.UTF_8));
        })
        .exceptionally(responses::unavailable));
  }

  private Route ready() {
    return completeWithFuture(readiness.check(Duration.ofSeconds(3)).thenApply(status -> {
      ObjectNode body = Json.MAPPER.createObjectNode().put("status", status.ready() ? "ready" : "not_ready")
          .put("joined", status.joined()).put("journal_reachable", status.journalReachable())
          .put("reason", status.reason());
      return json(status.ready() ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE, body);
    }));
  }

  private ExceptionHandler exceptions() {
    return ExceptionHandler.newBuilder()
        .match(EntityStreamSizeException.class, e -> complete(ApiError.payloadTooLarge(settings.maxBodyBytes())))
        // A malformed chunked body, or one the client stopped sending: its mistake, not the server's failure.
        .match(org.apache.pekko.http.scaladsl.model.EntityStreamException.class, e -> complete(
            ApiError.invalidRequest("the request body could not be read: " + e.getMessage(), null)))
        // decodeRequest's answer to a body that is not in its Content-Encoding (not gzip at all, or cut short): a
        // 400, not a 503 a client would retry (black-box round 15).
        .match(org.apache.pekko.http.scaladsl.model.IllegalRequestException.class, e -> complete(
            ApiError.invalidRequest("the request body could not be read: " + e.getMessage(), null)))
        .match(Exception.class, e -> {
          system.log().error("unexpected failure answering a request", e);
          return complete(ApiError.unavailable("the request could not be completed: " + e.getMessage()));
        })
        .build();
  }

  private RejectionHandler rejections() {
    return RejectionHandler.newBuilder().handleAll(MethodRejection.class, this::methodNotAllowed)
        .handle(UnsupportedRequestEncodingRejection.class, r -> complete(ApiError.of(
            StatusCodes.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "the request body's Content-Encoding is not"
                + " accepted; send it gzip, deflate or not encoded", List.of())))
        .build()
        .withFallback(RejectionHandler.defaultHandler()).mapRejectionResponse(response -> {
      if (response.status().intValue() < 400
          || response.entity().getContentType().equals(ContentTypes.APPLICATION_JSON)) {
        return response; // an OPTIONS answer, or one of ours already (its JSON went inside another's message)
      }
      String text = response.entity() instanceof HttpEntity.Strict strict
          ? strict.getData().utf8String() : response.status().reason();
      StatusCode status = response.status();
      String code = status.intValue() == 404 ? "not_found"
          : status.intValue() == 413 ? "payload_too_large"
          : status.intValue() == 415 ? "unsupported_media_type" : "invalid_request";
      return ApiError.of(status, code, text, List.of()).addHeaders(response.getHeaders());
    });
  }

  /**
   * Pekko's 405, with the {@code Allow} header RFC 9110 §15.5.6 asks for (Pekko names the methods only in text); HEAD
   * is allowed wherever GET is (Pekko answers it). An OPTIONS request is answered 204 with the same {@code Allow}.
   */
  private Route methodNotAllowed(List<MethodRejection> rejections) {
    java.util.LinkedHashSet<HttpMethod> allowed = new java.util.LinkedHashSet<>();
    rejections.stream().map(MethodRejection::supported).forEach(allowed::add);
    if (allowed.contains(HttpMethods.GET)) {
      allowed.add(HttpMethods.HEAD);
    }
    allowed.add(HttpMethods.OPTIONS);
    HttpMethod[] supported = allowed.toArray(HttpMethod[]::new);
    String names = java.util.Arrays.stream(supported).map(HttpMethod::name)
        .collect(java.util.stream.Collectors.joining(", "));
    return extractMethod(method -> method.equals(HttpMethods.OPTIONS)
        ? complete(HttpResponse.create().withStatus(StatusCodes.NO_CONTENT).addHeader(Allow.create(supported)))
        : complete(HttpResponse.create().withStatus(StatusCodes.METHOD_NOT_ALLOWED)
            .addHeader(Allow.create(supported))
            .withEntity("HTTP method not allowed, supported methods: " + names)));
  }
}
