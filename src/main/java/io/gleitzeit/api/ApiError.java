package io.gleitzeit.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.domain.Problem;
import java.util.List;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/** SPEC §5 error bodies: {@code {"error": code, "message": text, "details": [{"path", "message"}]}}. */
public final class ApiError {

  private ApiError() {}

  public static HttpResponse of(StatusCode status, String code, String message, List<Problem> details) {
    return respond(status, body(code, message, details));
  }

  private static ObjectNode body(String code, String message, List<Problem> details) {
    ObjectNode body = Json.MAPPER.createObjectNode().put("error", code).put("message", message);
    ArrayNode list = body.putArray("details");
    for (Problem p : details) {
      list.addObject().put("path", p.path()).put("message", p.message());
    }
    return body;
  }

  private static HttpResponse respond(StatusCode status, ObjectNode body) {
    return HttpResponse.create().withStatus(status)
        .withEntity(ContentTypes.APPLICATION_JSON, Json.compact(body).getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  public static HttpResponse invalidDefinition(String what, List<Problem> problems) {
    String message = problems.size() == 1
        ? "the " + what + " has 1 problem: " + problems.get(0).path() + ": " + problems.get(0).message()
        : "the " + what + " has " + problems.size() + " problems";
    return of(StatusCodes.BAD_REQUEST, "invalid_definition", message, problems);
  }

  public static HttpResponse invalidRequest(String message, String path) {
    return of(StatusCodes.BAD_REQUEST, "invalid_request", message,
        path == null ? List.of() : List.of(new Problem(path, message)));
  }

  public static HttpResponse notFound(String message) {
    return of(StatusCodes.NOT_FOUND, "not_found", message, List.of());
  }

  /** 408: the client did not send its request in time (SPEC §5 has no code of its own for it). */
  public static HttpResponse requestTimeout(String message) {
    return of(StatusCodes.REQUEST_TIMEOUT, "invalid_request", message, List.of());
  }

  public static HttpResponse conflict(String message) {
    return of(StatusCodes.CONFLICT, "conflict", message, List.of());
  }

  public static HttpResponse payloadTooLarge(long limit) {
    return of(StatusCodes.PAYLOAD_TOO_LARGE, "payload_too_large",
        "the request body is larger than the limit of " + limit + " bytes", List.of());
  }

  public static HttpResponse unsupportedMediaType(String given) {
    return unsupportedMediaType(given, "application/json or application/yaml");
  }

  public static HttpResponse unsupportedMediaType(String given, String accepted) {
    // Pekko names a missing Content-Type none/none, and application/octet-stream once there is a body.
    String what = given.startsWith("none/none") ? "a body without a Content-Type is not accepted"
        : given.startsWith("application/octet-stream") ? "content type 'application/octet-stream' (what a body"
            + " without a Content-Type is taken for) is not accepted"
        : "content type '" + given + "' is not accepted";
    return of(StatusCodes.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", what + "; send " + accepted, List.of());
  }

  /**
   * A submission that may still be accepted (its ask timed out while its write was on its way, e.g. while the
   * journal's database was down): 503 with the workflow's id, generated or given, so that a client that did not
   * choose it can ask {@code GET /workflows/{id}} before it submits again rather than run the workflow twice.
   */
  public static HttpResponse submissionUnanswered(String workflowId) {
    return respond(StatusCodes.SERVICE_UNAVAILABLE, body("unavailable", "the cluster did not answer in time; workflow '"
        + workflowId + "' may still be accepted: GET /workflows/" + workflowId + " says whether it was (404: submit it"
        + " again, with \"id\": \"" + workflowId + "\")", List.of()).put("workflow_id", workflowId));
  }

  public static HttpResponse unavailable(String message) {
    return of(StatusCodes.SERVICE_UNAVAILABLE, "unavailable", message, List.of());
  }
}
