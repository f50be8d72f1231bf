package io.gleitzeit.api;

import static io.gleitzeit.api.SingleQueryParameters.singleValued;

import static io.gleitzeit.api.Responses.formatOf;
import static io.gleitzeit.api.Responses.json;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.DefinitionParser;
import io.gleitzeit.domain.Json;
import io.gleitzeit.domain.ParseResult;
import io.gleitzeit.domain.SourceFormat;
import io.gleitzeit.events.EventEnvelope;
import io.gleitzeit.events.EventIndex;
import io.gleitzeit.events.Timestamps;
import io.gleitzeit.events.WorkflowJournal;
import io.gleitzeit.node.NodeSettings;
import io.gleitzeit.workflow.WorkflowCommand;
import io.gleitzeit.workflow.WorkflowCommand.Accepted;
import io.gleitzeit.workflow.WorkflowCommand.SubmitReply;
import io.gleitzeit.workflow.WorkflowCommand.WorkflowReply;
import io.gleitzeit.workflow.WorkflowEntity;
import io.gleitzeit.workflow.WorkflowView;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * SPEC §5's workflow endpoints: {@code POST /workflows} and {@code GET /workflows}, and per workflow
 * {@code GET /workflows/{id}}, {@code GET .../events}, {@code POST .../cancel}, {@code POST .../tasks/{task}/retry},
 * {@code GET .../state} and {@code GET .../timeline}.
 */
final class WorkflowRoutes extends AllDirectives {

  private final NodeSettings settings;
  private final DefinitionParser parser;
  private final WorkflowJournal journal;
  private final EventIndex eventIndex;
  private final ClusterSharding sharding;
  private final Responses responses;

  WorkflowRoutes(NodeSettings settings, DefinitionParser parser, WorkflowJournal journal, EventIndex eventIndex,
                 ClusterSharding sharding, Responses responses) {
    this.settings = settings;
    this.parser = parser;
    this.journal = journal;
    this.eventIndex = eventIndex;
    this.sharding = sharding;
    this.responses = responses;
  }

  Route route() {
    return pathPrefix("workflows", () -> concat(
        pathEnd(() -> concat(post(this::submit), get(this::listWorkflows))),
        pathPrefix(PathMatchers.segment(), id -> concat(
            pathEnd(() -> get(() -> getWorkflow(id))),
            path("events", () -> get(() -> events(id))),
            path("cancel", () -> post(() -> control(id, replyTo ->
                new WorkflowCommand.CancelWorkflow("cancelled through the API", replyTo)))),
            path(PathMatchers.segment("tasks").slash(PathMatchers.segment()).slash("retry"), task ->
                post(() -> control(id, replyTo -> new WorkflowCommand.RetryTask(task, replyTo)))),
            path("state", () -> get(() -> singleValued(params -> state(id, params)))),
            path("timeline", () -> get(() -> timeline(id)))))));
  }

  /** The workflow entity {@code id} names; a dead letter's requeue is sent to it too. */
  EntityRef<WorkflowCommand> workflow(String id) {
    return sharding.entityRefFor(WorkflowEntity.ENTITY_KEY, id);
  }

  private Route submit() {
    // The cluster's own answer comes within the ask timeout (10 s): a request still open at the server's
    // request-timeout is a body still on its way.
    // decodeRequest: a gzip or deflate body (Content-Encoding) is read decoded; another coding is a 415.
    return withRequestTimeoutResponse(request -> ApiError.requestTimeout("the request body did not arrive within"
        + " the server's request timeout (pekko.http.server.request-timeout, 30 s by default)"),
        () -> decodeRequest(this::submitBody));
  }

  private Route submitBody() {
    return extractRequestEntity(entity -> optionalHeaderValueByName("Content-Type", unparsed -> {
      // A Content-Type Pekko could not parse is left among the headers, and the entity is application/octet-stream.
      Optional<SourceFormat> format = formatOf(entity).or(() -> unparsed.flatMap(Responses::formatOf));
      if (format.isEmpty()) {
        return BodyLimit.refuse(entity, ApiError.unsupportedMediaType(unparsed.orElse(
            entity.getContentType().toString())));
      }
      long limit = settings.maxBodyBytes();
      if (BodyLimit.declaredOver(entity, limit)) {
        return BodyLimit.refuse(entity, ApiError.payloadTooLarge(limit));
      }
      return BodyLimit.readWithin(entity, limit, body -> {
        ParseResult parsed = parser.parse(body, format.get());
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
        return completeWithFuture(answer.exceptionally(failure -> timedOut(failure)
            ? ApiError.submissionUnanswered(definition.id()) : responses.unavailable(failure)));
      });
    }));
  }

  private static boolean timedOut(Throwable failure) {
    Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
    return cause instanceof java.util.concurrent.TimeoutException;
  }

  private Route getWorkflow(String id) {
    return completeWithFuture(view(id).thenApply(view -> view == null
            ? notFound(id)
            : json(StatusCodes.OK, WorkflowJson.render(view)))
        .exceptionally(responses::unavailable));
  }

  private Route events(String id) {
    return completeWithFuture(view(id).thenCompose(view -> view == null
            ? java.util.concurrent.CompletableFuture.completedFuture(notFound(id))
            : journal.envelopes(id).thenApply(this::eventsResponse))
        .exceptionally(responses::unavailable));
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
        .exceptionally(responses::unavailable));
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
    return completeWithFuture(journal.viewAtTime(id, time).thenApply(view -> view != null
            ? json(StatusCodes.OK, WorkflowJson.render(view))
            : ApiError.notFound("no workflow with id '" + id + "' existed at " + Timestamps.format(time)))
        .exceptionally(responses::unavailable));
  }

  /** {@code GET /workflows/{id}/timeline}: per task, every attempt's times, provider and outcome. */
  private Route timeline(String id) {
    return completeWithFuture(journal.timeline(id).thenApply(timeline -> timeline == null
            ? notFound(id)
            : json(StatusCodes.OK, TimelineJson.render(timeline)))
        .exceptionally(responses::unavailable));
  }

  private Route stateAt(String id, Optional<String> atSequence) {
    if (atSequence.isEmpty()) {
      return complete(ApiError.invalidRequest("at_sequence or at_time is required: a sequence number >= 1 or an "
          + "ISO-8601 date-time", "at_sequence"));
    }
    long sequence;
    String text = atSequence.get();
    if (!text.matches("\\d+")) { // digits only: not "+5", " 5" or "5.0"
      return complete(ApiError.invalidRequest(
          "at_sequence must be a whole number >= 1, got '" + text + "'", "at_sequence"));
    }
    try {
      sequence = Long.parseLong(text);
    } catch (NumberFormatException e) {
      sequence = Long.MAX_VALUE; // too large for a long: past the last event too, the current state (SPEC §4)
    }
    if (sequence < 1) {
      return complete(ApiError.invalidRequest("at_sequence must be >= 1, got " + sequence, "at_sequence"));
    }
    long n = sequence;
    return completeWithFuture(journal.viewAt(id, n)
        .thenCompose(rebuilt -> rebuilt == null || n < rebuilt.lastSequence()
            ? java.util.concurrent.CompletableFuture.completedFuture(rebuilt)
            : view(id).thenApply(live -> current(rebuilt, live, n)))
        .thenApply(view -> view != null ? json(StatusCodes.OK, WorkflowJson.render(view)) : notFound(id))
        .exceptionally(responses::unavailable));
  }

  /**
   * At or past the last envelope, the entity's own view: the same state, with what only the running entity knows
   * ({@code waiting_for}). At exactly the last envelope only if nothing was written since the journal was read.
   */
  private static WorkflowView current(WorkflowView rebuilt, WorkflowView live, long n) {
    if (live == null) {
      return rebuilt;
    }
    return n > rebuilt.lastSequence() || live.lastSequence() == rebuilt.lastSequence() ? live : rebuilt;
  }

  /** SPEC §5 {@code GET /workflows}: the workflow list read model, newest first, a page at a time. */
  private Route listWorkflows() {
    return singleValued(params -> completeWithFuture(responses.page(params, EventFilterParams::parseWorkflowList,
        eventIndex.readingYourWrites(eventIndex::workflows), page -> {
          ObjectNode body = Json.MAPPER.createObjectNode();
          var list = body.putArray("workflows");
          for (EventIndex.WorkflowRow w : page.workflows()) {
            list.addObject().put("workflow_id", w.workflowId()).put("name", w.name())
                .put("status", w.status().wire())
                .put("submitted_at", Timestamps.format(w.submittedAt()))
                .put("completed_at", Timestamps.format(w.completedAt()))
                .put("task_count", w.taskCount());
          }
          body.put("next", EventFilterParams.workflowsCursor(page.next()));
          return json(StatusCodes.OK, body);
        })));
  }

  private CompletionStage<WorkflowView> view(String id) {
    return workflow(id).<WorkflowReply>ask(WorkflowCommand.GetWorkflow::new, settings.askTimeout())
        .thenApply(WorkflowReply::view);
  }

  private HttpResponse eventsResponse(List<EventEnvelope> envelopes) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.set("events", Json.MAPPER.valueToTree(envelopes));
    return json(StatusCodes.OK, body);
  }

  private static HttpResponse notFound(String id) {
    return ApiError.notFound("no workflow with id '" + id + "'");
  }
}
