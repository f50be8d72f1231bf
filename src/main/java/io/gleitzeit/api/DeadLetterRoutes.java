package io.gleitzeit.api;

import static io.gleitzeit.api.SingleQueryParameters.singleValued;

import static io.gleitzeit.api.Responses.json;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.events.EventIndex;
import io.gleitzeit.events.Timestamps;
import io.gleitzeit.node.NodeSettings;
import io.gleitzeit.workflow.WorkflowCommand;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The dead letter queue: {@code GET /dead-letters} lists it (SPEC §5) and {@code POST /dead-letters/{id}/requeue}
 * runs a dead letter's task again (SPEC §7).
 */
final class DeadLetterRoutes extends AllDirectives {

  private final NodeSettings settings;
  private final EventIndex eventIndex;
  /** The workflow entity of an id; a requeue is a command to the workflow the dead letter belongs to. */
  private final Function<String, EntityRef<WorkflowCommand>> workflows;
  private final Responses responses;

  DeadLetterRoutes(NodeSettings settings, EventIndex eventIndex, Function<String, EntityRef<WorkflowCommand>> workflows,
                   Responses responses) {
    this.settings = settings;
    this.eventIndex = eventIndex;
    this.workflows = workflows;
    this.responses = responses;
  }

  Route route() {
    return pathPrefix("dead-letters", () -> concat(
        pathEnd(() -> get(this::listDeadLetters)),
        path(PathMatchers.segment().slash("requeue"), id -> post(() -> requeueDeadLetter(id)))));
  }

  /** SPEC §5 {@code GET /dead-letters}: the dead letter queue, oldest first, a page at a time. */
  private Route listDeadLetters() {
    return singleValued(params -> completeWithFuture(responses.page(params, EventFilterParams::parseDeadLetters,
        eventIndex.readingYourWrites(eventIndex::deadLetters), page -> {
          ObjectNode body = Json.MAPPER.createObjectNode();
          var list = body.putArray("dead_letters");
          page.deadLetters().forEach(d -> list.add(deadLetterJson(d)));
          body.put("next", EventFilterParams.deadLettersCursor(page.next()));
          return json(StatusCodes.OK, body);
        })));
  }

  /**
   * SPEC §7: requeueing a dead letter runs its task again as a new attempt (202); 404 unknown, 409 already
   * requeued or the task not failed or cancelled. A {@code report} dead letter (an outcome its provider could
   * not deliver) usually finds its task running again already: the workflow reassigns such an attempt itself.
   */
  private Route requeueDeadLetter(String id) {
    CompletionStage<HttpResponse> answer = eventIndex.caughtUp().thenCompose(caught -> eventIndex.deadLetter(id))
        .thenCompose(found -> found.isEmpty()
            ? CompletableFuture.completedFuture(ApiError.notFound("no dead letter with id '" + id + "'"))
            : requeue(found.get()));
    return completeWithFuture(answer.exceptionally(responses::unavailable));
  }

  private CompletionStage<HttpResponse> requeue(EventIndex.DeadLetterRow d) {
    if ("requeued".equals(d.status())) {
      return CompletableFuture.completedFuture(ApiError.conflict("dead letter '" + d.id() + "' was already requeued"));
    }
    return workflows.apply(d.workflowId()).<WorkflowCommand.ControlReply>ask(
            replyTo -> new WorkflowCommand.RequeueDeadLetter(d.taskId(), d.id(), replyTo), settings.askTimeout())
        .thenCompose(reply -> switch (reply.outcome()) {
          // The row as the index has it once it holds the requeue: its requeued_at is the event's time.
          case DONE -> eventIndex.caughtUp().thenCompose(caught -> eventIndex.deadLetter(d.id()))
              .thenApply(row -> json(StatusCodes.ACCEPTED, deadLetterJson(row.orElse(d)).put("status", "requeued")
                  .put("message", reply.message())));
          case NOT_FOUND -> CompletableFuture.completedFuture(ApiError.notFound(reply.message()));
          case CONFLICT -> CompletableFuture.completedFuture(ApiError.conflict("report".equals(d.kind())
              ? "dead letter '" + d.id() + "' is the undelivered outcome of attempt " + d.attempt() + " of task '"
                  + d.taskId() + "'; the workflow runs such an attempt again by itself, so a requeue is only"
                  + " needed when the task failed or was cancelled: " + reply.message()
              : reply.message()));
        });
  }

  private static ObjectNode deadLetterJson(EventIndex.DeadLetterRow d) {
    return Json.MAPPER.createObjectNode().put("id", d.id()).put("kind", d.kind()).put("workflow_id", d.workflowId())
        .put("task_id", d.taskId()).put("provider_id", d.providerId()).put("attempt", d.attempt())
        .put("reason", d.reason()).put("error_type", d.errorType())
        .put("added_at", Timestamps.format(d.addedAt())).put("status", d.status())
        .put("requeued_at", Timestamps.format(d.requeuedAt()));
  }
}
