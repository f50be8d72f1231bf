package io.gleitzeit.api;

import static io.gleitzeit.api.SingleQueryParameters.singleValued;

import io.gleitzeit.domain.Json;
import io.gleitzeit.events.EventEnvelope;
import io.gleitzeit.events.EventFilter;
import io.gleitzeit.events.EventIndex;
import io.gleitzeit.events.EventStreams;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * SPEC §5's events across workflows: {@code GET /events} pages through the event index and
 * {@code GET /events/stream} follows events live as server-sent events.
 */
final class EventRoutes extends AllDirectives {

  /** An SSE comment: keeps an idle stream's connection open without an event. */
  private static final ByteString KEEP_ALIVE = ByteString.fromString(":\n\n");

  private final EventStreams streams;
  private final EventIndex eventIndex;
  private final Responses responses;

  EventRoutes(EventStreams streams, EventIndex eventIndex, Responses responses) {
    this.streams = streams;
    this.eventIndex = eventIndex;
    this.responses = responses;
  }

  Route route() {
    return concat(
        path("events", () -> get(this::queryEvents)),
        path(PathMatchers.segment("events").slash("stream"), () -> get(this::stream)));
  }

  /**
   * SPEC §5: server-sent events; with workflow_id its history first; Last-Event-ID resumes after that event.
   * The filters are those of {@code GET /events}, {@code since} and {@code until} included (a bad value is a
   * 400 as there); {@code limit} and {@code after} page a query and mean nothing to a stream, which ignores them.
   */
  private Route stream() {
    return singleValued(params -> optionalHeaderValueByName("Last-Event-ID", lastEventId -> {
      EventIndex.EventQuery query;
      try {
        Map<String, String> filters = new HashMap<>(params);
        filters.keySet().removeAll(List.of("limit", "after")); // not even checked: a stream has no pages
        query = EventFilterParams.parseQuery(filters);
      } catch (EventFilterParams.BadParameter e) {
        return complete(ApiError.invalidRequest(e.getMessage(), e.parameter()));
      }
      EventFilter filter = query.filter();
      // Event ids are lower-case UUIDs, and a UUID is read without regard to case (RFC 4122).
      String resumeAfter = lastEventId.map(v -> v.trim().toLowerCase(java.util.Locale.ROOT)).filter(v -> !v.isEmpty())
          .orElse(null);
      String quoted = resumeAfter == null || resumeAfter.length() <= 80 ? resumeAfter
          : resumeAfter.substring(0, 80) + "..."; // named, not echoed in full
      if (filter.workflowId() == null && resumeAfter == null) {
        return sse(streams.live(filter).filter(query::inTimeWindow));
      }
      var started = filter.workflowId() != null
          ? streams.workflow(filter.workflowId(), resumeAfter, filter)
          : streams.resume(resumeAfter, filter);
      return onComplete(started, source -> {
        if (source.isFailure()) {
          return complete(responses.unavailable(source.failed().get()));
        }
        return source.get().map(s -> sse(s.filter(query::inTimeWindow))).orElseGet(() -> complete(
            ApiError.invalidRequest(filter.workflowId() != null
                ? "Last-Event-ID '" + quoted + "' is not an event of workflow " + filter.workflowId()
                    + "; reconnect without it to replay the workflow's history"
                : "Last-Event-ID '" + quoted + "' is not a persisted event the event index holds (never "
                    + "written, or removed by retention); reconnect without it to start live", "Last-Event-ID")));
      });
    }));
  }

  /**
   * Envelopes as server-sent events: {@code id:} and {@code data:} only (SPEC §5), so that every client sees
   * them as plain messages (a browser's {@code EventSource.onmessage} ignores named events); the type is in the
   * envelope. A live-only envelope (no sequence number) carries no {@code id:}, so a client's Last-Event-ID always
   * names a persisted event, which a resume can find.
   */
  private Route sse(Source<EventEnvelope, NotUsed> source) {
    // Written out here rather than by Pekko's ServerSentEvent marshaller: its keep-alive is an empty "data:" line,
    // which an EventSource delivers as a message with empty data (a client's JSON.parse then throws every 15 s).
    // A comment line keeps the connection alive and is no event. The envelope is one line of compact JSON.
    Source<ByteString, NotUsed> events = source
        .map(e -> ByteString.fromString((e.sequenceNumber() == null ? "" : "id: " + e.eventId() + "\n")
            + "data: " + Json.MAPPER.writeValueAsString(e) + "\n\n", StandardCharsets.UTF_8))
        .keepAlive(Duration.ofSeconds(15), () -> KEEP_ALIVE);
    return complete(HttpResponse.create().withEntity(
        HttpEntities.createChunked(MediaTypes.TEXT_EVENT_STREAM.toContentType(), events)));
  }

  /**
   * SPEC §5 {@code GET /events}: the event index, in the order events were written, a page at a time. The
   * envelopes are written out as the index stored them (the same compact JSON as the per-workflow endpoint).
   */
  private Route queryEvents() {
    return singleValued(params -> completeWithFuture(responses.page(params, EventFilterParams::parseQuery,
        eventIndex.readingYourWrites(eventIndex::events), page -> {
          String next = EventFilterParams.eventsCursor(page.next());
          String body = "{\"events\":[" + String.join(",", page.envelopes()) + "],\"next\":"
              + (next == null ? "null" : "\"" + next + "\"") + "}";
          return HttpResponse.create().withStatus(StatusCodes.OK)
              .withEntity(ContentTypes.APPLICATION_JSON, body.getBytes(StandardCharsets.UTF_8));
        })));
  }
}
