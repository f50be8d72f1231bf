package io.gleitzeit.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.DefinitionParser;
import io.gleitzeit.domain.Json;
import io.gleitzeit.domain.ParseResult;
import io.gleitzeit.domain.SourceFormat;
import io.gleitzeit.events.EventEnvelope;
import io.gleitzeit.events.EventFilter;
import io.gleitzeit.events.EventIndex;
import io.gleitzeit.events.EventStreams;
import io.gleitzeit.metrics.EngineMetrics;
import io.gleitzeit.events.ProviderDirectory;
import io.gleitzeit.events.Timestamps;
import io.gleitzeit.domain.ProviderSpec;
import io.gleitzeit.domain.ProviderSpecParser;
import io.gleitzeit.domain.ProviderSpecResult;
import io.gleitzeit.provider.ProviderCommand;
import io.gleitzeit.provider.ProviderEntity;
import io.gleitzeit.provider.ProviderView;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.stream.javadsl.Source;
import io.gleitzeit.events.WorkflowJournal;
import io.gleitzeit.node.NodeSettings;
import io.gleitzeit.node.Readiness;
import io.gleitzeit.workflow.WorkflowCommand;
import io.gleitzeit.workflow.WorkflowCommand.Accepted;
import io.gleitzeit.workflow.WorkflowCommand.SubmitReply;
import io.gleitzeit.workflow.WorkflowCommand.WorkflowReply;
import io.gleitzeit.workflow.WorkflowEntity;
import io.gleitzeit.workflow.WorkflowView;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;

/** SPEC §5's HTTP API (the parts this node serves so far). */
public final class Routes extends AllDirectives {

  private final ActorSystem<?> system;
  private final NodeSettings settings;
  private final DefinitionParser parser;
  private final WorkflowJournal journal;
  private final Readiness readiness;
  private final EventStreams streams;
  private final ProviderDirectory providerDirectory;
  private final WorkerChannel workers;
  private final EventIndex eventIndex;
  private final ClusterSharding sharding;
  private final EngineMetrics metrics;

  public Routes(ActorSystem<?> system, NodeSettings settings, DefinitionParser parser, WorkflowJournal journal,
                Readiness readiness, EventStreams streams, ProviderDirectory providerDirectory,
                WorkerChannel workers, EventIndex eventIndex, EngineMetrics metrics) {
    this.system = system;
    this.settings = settings;
    this.parser = parser;
    this.journal = journal;
    this.readiness = readiness;
    this.streams = streams;
    this.providerDirectory = providerDirectory;
    this.workers = workers;
    this.eventIndex = eventIndex;
    this.metrics = metrics;
    this.sharding = ClusterSharding.get(system);
  }

  public Route route() {
    return handleExceptions(exceptions(), () -> handleRejections(rejections(), () -> concat(
        pathPrefix("workflows", () -> concat(
            pathEnd(() -> concat(post(this::submit), get(this::listWorkflows))),
            pathPrefix(PathMatchers.segment(), id -> concat(
                pathEnd(() -> get(() -> getWorkflow(id))),
                path("events", () -> get(() -> events(id))),
                path("cancel", () -> post(() -> control(id, replyTo ->
                    new WorkflowCommand.CancelWorkflow("cancelled through the API", replyTo)))),
                path(PathMatchers.segment("tasks").slash(PathMatchers.segment()).slash("retry"), task ->
                    post(() -> control(id, replyTo -> new WorkflowCommand.RetryTask(task, replyTo)))),
                path("state", () -> get(() -> parameterMap(params -> state(id, params)))),
                path("timeline", () -> get(() -> timeline(id))))))),
        path("events", () -> get(this::queryEvents)),
        path(PathMatchers.segment("events").slash("stream"), () -> get(this::stream)),
        path("metrics", () -> get(this::metrics)),
        pathPrefix("dead-letters", () -> concat(
            pathEnd(() -> get(this::listDeadLetters)),
            path(PathMatchers.segment().slash("requeue"), id -> post(() -> requeueDeadLetter(id))))),
        pathPrefix("providers", () -> concat(
            pathEnd(() -> concat(post(this::registerProvider), get(this::listProviders))),
            pathPrefix(PathMatchers.segment(), id -> concat(
                pathEnd(() -> concat(get(() -> getProvider(id)), delete(() -> deregisterProvider(id)))),
                path("connect", () -> connectWorker(id)))))),
        pathPrefix("health", () -> concat(
            path("alive", () -> get(() -> complete(json(StatusCodes.OK,
                Json.MAPPER.createObjectNode().put("status", "alive"))))),
            path("ready", () -> get(this::ready)))))));
  }

  private Route submit() {
    return extractRequestEntity(entity -> {
      Optional<SourceFormat> format = formatOf(entity);
      if (format.isEmpty()) {
        return complete(ApiError.unsupportedMediaType(entity.getContentType().toString()));
      }
      long limit = settings.maxBodyBytes();
      if (entity.getContentLengthOption().isPresent() && entity.getContentLengthOption().getAsLong() > limit) {
        return complete(ApiError.payloadTooLarge(limit));
      }
      return withSizeLimit(limit, () -> extractStrictEntity(Duration.ofSeconds(10), strict -> {
        ParseResult parsed = parser.parse(strict.getData().toArray(), format.get());
        if (parsed instanceof ParseResult.Invalid invalid) {
          return complete(ApiError.invalidDefinition("workflow definition", invalid.problems()));
        }
        var definition = ((ParseResult.Valid) parsed).definition();
        CompletionStage<HttpResponse> answer = workflow(definition.id())
            .<SubmitReply>ask(replyTo -> new WorkflowCommand.SubmitWorkflow(definition, replyTo), settings.askTimeout())
            .thenApply(reply -> reply instanceof Accepted
                ? json(StatusCodes.ACCEPTED, Json.MAPPER.createObjectNode()
                    .put("workflow_id", definition.id()).put("status", "running"))
                : reply instanceof WorkflowCommand.SubmitRefused refused
                ? ApiError.unavailable(refused.reason())
                : ApiError.conflict("a workflow with id '" + definition.id() + "' already exists"));
        return completeWithFuture(answer.exceptionally(this::unavailable));
      }));
    });
  }

  private Route getWorkflow(String id) {
    return completeWithFuture(view(id).thenApply(view -> view == null
            ? notFound(id)
            : json(StatusCodes.OK, WorkflowJson.render(view)))
        .exceptionally(this::unavailable));
  }

  private Route events(String id) {
    return completeWithFuture(view(id).thenCompose(view -> view == null
            ? java.util.concurrent.CompletableFuture.completedFuture(notFound(id))
            : journal.envelopes(id).thenApply(this::eventsResponse))
        .exceptionally(this::unavailable));
  }

  /** Cancel and manual retry: 202 with the workflow, 404, or 409 saying why not. */
  private Route control(String id,
      java.util.function.Function<org.apache.pekko.actor.typed.ActorRef<WorkflowCommand.ControlReply>,
          WorkflowCommand> command) {
    return completeWithFuture(workflow(id).<WorkflowCommand.ControlReply>ask(command::apply, settings.askTimeout())
        .thenApply(reply -> switch (reply.outcome()) {
          case DONE -> json(StatusCodes.ACCEPTED, WorkflowJson.render(reply.view()).put("message", reply.message()));
          case NOT_FOUND -> ApiError.notFound(reply.message());
          case CONFLICT -> ApiError.conflict(reply.message());
        })
        .exceptionally(this::unavailable));
  }

  /** {@code state?at_sequence=N} or {@code state?at_time=T}: exactly one of the two. */
  private Route state(String id, java.util.Map<String, String> params) {
    boolean bySequence = params.containsKey("at_sequence");
    boolean byTime = params.containsKey("at_time");
    if (bySequence && byTime) {
      return complete(ApiError.invalidRequest("give at_sequence or at_time, not both", "at_time"));
    }
    if (!byTime) {
      return stateAt(id, Optional.ofNullable(params.get("at_sequence")));
    }
    java.time.Instant time;
    try {
      time = EventFilterParams.time(params, "at_time");
    } catch (EventFilterParams.BadParameter e) {
      return complete(ApiError.invalidRequest(e.getMessage(), e.parameter()));
    }
    if (time == null) {
      return complete(ApiError.invalidRequest("at_time must be an ISO-8601 date-time with an offset such as "
          + "2026-11-26T10:30:00.123Z, got ''", "at_time"));
    }
    return completeWithFuture(journal.stateAtTime(id, time).thenApply(state -> state.exists()
            ? json(StatusCodes.OK, WorkflowJson.render(WorkflowView.of(state, java.util.Map.of())))
            : ApiError.notFound("no workflow with id '" + id + "' existed at " + Timestamps.format(time)))
        .exceptionally(this::unavailable));
  }

  /** {@code GET /workflows/{id}/timeline}: per task, every attempt's times, provider and outcome. */
  private Route timeline(String id) {
    return completeWithFuture(journal.timeline(id).thenApply(timeline -> timeline == null
            ? notFound(id)
            : json(StatusCodes.OK, TimelineJson.render(timeline)))
        .exceptionally(this::unavailable));
  }

  private Route stateAt(String id, Optional<String> atSequence) {
    if (atSequence.isEmpty()) {
      return complete(ApiError.invalidRequest("at_sequence or at_time is required: a sequence number >= 1 or an "
          + "ISO-8601 date-time", "at_sequence"));
    }
    long sequence;
    try {
      sequence = Long.parseLong(atSequence.get().trim());
    } catch (NumberFormatException e) {
      return complete(ApiError.invalidRequest(
          "at_sequence must be a whole number >= 1, got '" + atSequence.get() + "'", "at_sequence"));
    }
    if (sequence < 1) {
      return complete(ApiError.invalidRequest("at_sequence must be >= 1, got " + sequence, "at_sequence"));
    }
    return completeWithFuture(journal.stateAt(id, sequence).thenApply(state -> state.exists()
            ? json(StatusCodes.OK, WorkflowJson.render(WorkflowView.of(state, java.util.Map.of())))
            : notFound(id))
        .exceptionally(this::unavailable));
  }

  /** SPEC §5: server-sent events; with workflow_id its history first; Last-Event-ID resumes after that event. */
  private Route stream() {
    return parameterMap(params -> optionalHeaderValueByName("Last-Event-ID", lastEventId -> {
      EventFilter filter;
      try {
        filter = EventFilterParams.parse(params);
      } catch (EventFilterParams.BadParameter e) {
        return complete(ApiError.invalidRequest(e.getMessage(), e.parameter()));
      }
      String resumeAfter = lastEventId.map(String::trim).filter(v -> !v.isEmpty()).orElse(null);
      if (filter.workflowId() == null && resumeAfter != null) {
        return onComplete(streams.resume(resumeAfter, filter), resumed -> {
          if (resumed.isFailure()) {
            return complete(unavailable(resumed.failed().get()));
          }
          return resumed.get().map(this::sse).orElseGet(() -> complete(ApiError.invalidRequest("Last-Event-ID '"
              + resumeAfter + "' is not a persisted event the event index holds (never written, or removed by "
              + "retention); reconnect without it to start live", "Last-Event-ID")));
        });
      }
      return sse(filter.workflowId() != null
          ? streams.workflow(filter.workflowId(), resumeAfter, filter)
          : streams.live(filter));
    }));
  }

  /**
   * Envelopes as server-sent events. A live-only envelope (no sequence number) carries no {@code id:}, so a
   * client's Last-Event-ID always names a persisted event, which a resume can find.
   */
  private Route sse(Source<EventEnvelope, NotUsed> source) {
    Source<ServerSentEvent, NotUsed> events = source
        .map(e -> ServerSentEvent.create(Json.MAPPER.writeValueAsString(e), Optional.of(e.eventType()),
            e.sequenceNumber() == null ? Optional.<String>empty() : Optional.of(e.eventId()),
            java.util.OptionalInt.empty()))
        .keepAlive(Duration.ofSeconds(15), ServerSentEvent::heartbeat);
    return completeOK(events, EventStreamMarshalling.toEventStream());
  }

  /**
   * SPEC §5 {@code GET /events}: the event index, in the order events were written, a page at a time. The
   * envelopes are written out as the index stored them (the same compact JSON as the per-workflow endpoint).
   */
  private Route queryEvents() {
    return parameterMap(params -> {
      EventIndex.EventQuery query;
      try {
        query = EventFilterParams.parseQuery(params);
      } catch (EventFilterParams.BadParameter e) {
        return complete(ApiError.invalidRequest(e.getMessage(), e.parameter()));
      }
      return completeWithFuture(eventIndex.events(query).thenApply(page -> {
        String next = EventFilterParams.eventsCursor(page.next());
        String body = "{\"events\":[" + String.join(",", page.envelopes()) + "],\"next\":"
            + (next == null ? "null" : "\"" + next + "\"") + "}";
        return HttpResponse.create().withStatus(StatusCodes.OK)
            .withEntity(ContentTypes.APPLICATION_JSON, body.getBytes(StandardCharsets.UTF_8));
      }).exceptionally(this::unavailable));
    });
  }

  /** SPEC §5 {@code GET /workflows}: the workflow list read model, newest first, a page at a time. */
  private Route listWorkflows() {
    return parameterMap(params -> {
      EventIndex.WorkflowQuery query;
      try {
        query = EventFilterParams.parseWorkflowList(params);
      } catch (EventFilterParams.BadParameter e) {
        return complete(ApiError.invalidRequest(e.getMessage(), e.parameter()));
      }
      return completeWithFuture(eventIndex.workflows(query).thenApply(page -> {
        ObjectNode body = Json.MAPPER.createObjectNode();
        var list = body.putArray("workflows");
        for (EventIndex.WorkflowRow w : page.workflows()) {
          list.addObject().put("workflow_id", w.workflowId()).put("name", w.name()).put("status", w.status().wire())
              .put("submitted_at", Timestamps.format(w.submittedAt()))
              .put("completed_at", Timestamps.format(w.completedAt()))
              .put("task_count", w.taskCount());
        }
        body.put("next", EventFilterParams.workflowsCursor(page.next()));
        return json(StatusCodes.OK, body);
      }).exceptionally(this::unavailable));
    });
  }

  /** SPEC §5 {@code GET /metrics}: Prometheus text format; workflow counts are read from the list read model. */
  private Route metrics() {
    return completeWithFuture(eventIndex.workflowCounts()
        .thenApply(counts -> {
          metrics.workflows(counts);
          return HttpResponse.create().withStatus(StatusCodes.OK).withEntity(ContentTypes.TEXT_PLAIN_UTF8,
              metrics.scrape().getBytes(StandardCharsets.UTF_8));
        })
        .exceptionally(this::unavailable));
  }

  /** SPEC §5 {@code GET /dead-letters}: the dead letter queue, oldest first, a page at a time. */
  private Route listDeadLetters() {
    return parameterMap(params -> {
      EventIndex.DeadLetterQuery query;
      try {
        query = EventFilterParams.parseDeadLetters(params);
      } catch (EventFilterParams.BadParameter e) {
        return complete(ApiError.invalidRequest(e.getMessage(), e.parameter()));
      }
      return completeWithFuture(eventIndex.deadLetters(query).thenApply(page -> {
        ObjectNode body = Json.MAPPER.createObjectNode();
        var list = body.putArray("dead_letters");
        page.deadLetters().forEach(d -> list.add(deadLetterJson(d)));
        body.put("next", EventFilterParams.deadLettersCursor(page.next()));
        return json(StatusCodes.OK, body);
      }).exceptionally(this::unavailable));
    });
  }

  /**
   * SPEC §7: requeueing a dead letter runs its task again as a new attempt (202); 404 unknown, 409 already
   * requeued or the task not failed or cancelled. A {@code report} dead letter (an outcome its provider could
   * not deliver) usually finds its task running again already: the workflow reassigns such an attempt itself.
   */
  private Route requeueDeadLetter(String id) {
    CompletionStage<HttpResponse> answer = eventIndex.deadLetter(id).thenCompose(found -> {
      if (found.isEmpty()) {
        return CompletableFuture.completedFuture(ApiError.notFound("no dead letter with id '" + id + "'"));
      }
      EventIndex.DeadLetterRow d = found.get();
      if ("requeued".equals(d.status())) {
        return CompletableFuture.completedFuture(ApiError.conflict("dead letter '" + id + "' was already requeued"));
      }
      return workflow(d.workflowId()).<WorkflowCommand.ControlReply>ask(
              replyTo -> new WorkflowCommand.RequeueDeadLetter(d.taskId(), id, replyTo), settings.askTimeout())
          .thenApply(reply -> switch (reply.outcome()) {
            case DONE -> json(StatusCodes.ACCEPTED, deadLetterJson(d).put("status", "requeued")
                .put("message", reply.message()));
            case NOT_FOUND -> ApiError.notFound(reply.message());
            case CONFLICT -> ApiError.conflict("report".equals(d.kind())
                ? "dead letter '" + id + "' is the undelivered outcome of attempt " + d.attempt() + " of task '"
                    + d.taskId() + "'; the workflow runs such an attempt again by itself, so a requeue is only"
                    + " needed when the task failed or was cancelled: " + reply.message()
                : reply.message());
          });
    });
    return completeWithFuture(answer.exceptionally(this::unavailable));
  }

  private static ObjectNode deadLetterJson(EventIndex.DeadLetterRow d) {
    return Json.MAPPER.createObjectNode().put("id", d.id()).put("kind", d.kind()).put("workflow_id", d.workflowId())
        .put("task_id", d.taskId()).put("provider_id", d.providerId()).put("attempt", d.attempt())
        .put("reason", d.reason()).put("error_type", d.errorType())
        .put("added_at", Timestamps.format(d.addedAt())).put("status", d.status())
        .put("requeued_at", Timestamps.format(d.requeuedAt()));
  }

  private Route registerProvider() {
    return extractRequestEntity(entity -> {
      Optional<SourceFormat> format = formatOf(entity);
      if (format.isEmpty() || format.get() != SourceFormat.JSON) {
        return complete(ApiError.unsupportedMediaType(entity.getContentType().toString(), "application/json"));
      }
      return withSizeLimit(settings.maxBodyBytes(), () -> extractStrictEntity(Duration.ofSeconds(10), strict -> {
        ProviderSpecResult parsed = new ProviderSpecParser().parse(strict.getData().toArray());
        if (parsed instanceof ProviderSpecResult.Invalid invalid) {
          return complete(ApiError.invalidDefinition("provider registration", invalid.problems()));
        }
        ProviderSpec spec = ((ProviderSpecResult.Valid) parsed).spec();
        return completeWithFuture(provider(spec.id())
            .<ProviderCommand.RegisterReply>ask(replyTo -> new ProviderCommand.Register(spec, replyTo),
                settings.askTimeout())
            .thenApply(reply -> json(reply.created() ? StatusCodes.CREATED : StatusCodes.OK,
                ProviderJson.render(reply.view())))
            .exceptionally(this::unavailable));
      }));
    });
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
    return completeWithFuture(answer.exceptionally(this::unavailable));
  }

  private Route getProvider(String id) {
    return completeWithFuture(providerView(id).thenApply(view -> view == null
            ? ApiError.notFound("no provider with id '" + id + "'")
            : json(StatusCodes.OK, ProviderJson.render(view)))
        .exceptionally(this::unavailable));
  }

  private Route deregisterProvider(String id) {
    return completeWithFuture(provider(id)
        .<ProviderCommand.ProviderReply>ask(ProviderCommand.Deregister::new, settings.askTimeout())
        .thenApply(reply -> reply.view() == null
            ? ApiError.notFound("no provider with id '" + id + "'")
            : json(StatusCodes.OK, ProviderJson.render(reply.view())))
        .exceptionally(this::unavailable));
  }

  /** SPEC §6: an external worker's WebSocket; the provider must be registered first. */
  private Route connectWorker(String id) {
    return get(() -> onComplete(workers.connect(id), attempt -> {
      if (attempt.isFailure()) {
        return complete(unavailable(attempt.failed().get()));
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

  private Route ready() {
    return completeWithFuture(readiness.check(Duration.ofSeconds(3)).thenApply(status -> {
      ObjectNode body = Json.MAPPER.createObjectNode().put("status", status.ready() ? "ready" : "not_ready")
          .put("joined", status.joined()).put("journal_reachable", status.journalReachable())
          .put("reason", status.reason());
      return json(status.ready() ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE, body);
    }));
  }

  private CompletionStage<WorkflowView> view(String id) {
    return workflow(id).<WorkflowReply>ask(WorkflowCommand.GetWorkflow::new, settings.askTimeout())
        .thenApply(WorkflowReply::view);
  }

  private EntityRef<WorkflowCommand> workflow(String id) {
    return sharding.entityRefFor(WorkflowEntity.ENTITY_KEY, id);
  }

  private HttpResponse eventsResponse(List<EventEnvelope> envelopes) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.set("events", Json.MAPPER.valueToTree(envelopes));
    return json(StatusCodes.OK, body);
  }

  private static HttpResponse notFound(String id) {
    return ApiError.notFound("no workflow with id '" + id + "'");
  }

  private HttpResponse unavailable(Throwable failure) {
    Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
    system.log().warn("request could not be answered: {}", cause.toString());
    if (cause instanceof TimeoutException) {
      return ApiError.unavailable("the cluster did not answer in time; try again");
    }
    return ApiError.unavailable("the request could not be completed: " + cause.getMessage());
  }

  static HttpResponse json(StatusCode status, ObjectNode body) {
    return HttpResponse.create().withStatus(status)
        .withEntity(ContentTypes.APPLICATION_JSON, Json.compact(body).getBytes(StandardCharsets.UTF_8));
  }

  /** SPEC §1: JSON, or YAML under any of its three media types; the charset parameter is ignored. */
  static Optional<SourceFormat> formatOf(HttpEntity entity) {
    String mediaType = entity.getContentType().mediaType().toString().toLowerCase(Locale.ROOT);
    int semicolon = mediaType.indexOf(';');
    String bare = (semicolon < 0 ? mediaType : mediaType.substring(0, semicolon)).trim();
    return switch (bare) {
      case "application/json" -> Optional.of(SourceFormat.JSON);
      case "application/yaml", "application/x-yaml", "text/yaml" -> Optional.of(SourceFormat.YAML);
      default -> Optional.empty();
    };
  }

  private ExceptionHandler exceptions() {
    return ExceptionHandler.newBuilder()
        .match(EntityStreamSizeException.class, e -> complete(ApiError.payloadTooLarge(settings.maxBodyBytes())))
        .match(Exception.class, e -> {
          system.log().error("unexpected failure answering a request", e);
          return complete(ApiError.unavailable("the request could not be completed: " + e.getMessage()));
        })
        .build();
  }

  private RejectionHandler rejections() {
    return RejectionHandler.defaultHandler().mapRejectionResponse(response -> {
      String text = response.entity() instanceof HttpEntity.Strict strict
          ? strict.getData().utf8String() : response.status().reason();
      StatusCode status = response.status();
      String code = status.intValue() == 404 ? "not_found"
          : status.intValue() == 413 ? "payload_too_large"
          : status.intValue() == 415 ? "unsupported_media_type" : "invalid_request";
      return ApiError.of(status, code, text, List.of());
    });
  }
}
