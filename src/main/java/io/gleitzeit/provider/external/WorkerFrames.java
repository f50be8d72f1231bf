package io.gleitzeit.provider.external;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.provider.TaskKey;
import io.gleitzeit.provider.TaskRequest;
import io.gleitzeit.workflow.TaskError;
import java.util.ArrayList;
import java.util.List;

/**
 * The JSON text frames of the external worker protocol (SPEC §6): parsing what a worker sends, rendering what
 * the server sends. Pure functions, no I/O.
 */
public final class WorkerFrames {

  public static final String HEARTBEAT = "heartbeat";
  public static final String STARTED = "task:started";
  public static final String COMPLETED = "task:completed";
  public static final String FAILED = "task:failed";

  private WorkerFrames() {}

  /** Reads one frame; never throws: a frame that cannot be accepted comes back as {@link InboundFrame.Invalid}. */
  public static InboundFrame parse(String text) {
    JsonNode doc;
    try {
      doc = Json.MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      return new InboundFrame.Invalid("frame is not JSON: " + e.getOriginalMessage());
    }
    if (doc == null || !doc.isObject()) {
      return new InboundFrame.Invalid("a frame must be a JSON object, got " + kind(doc));
    }
    JsonNode type = doc.get("type");
    if (type == null) {
      return new InboundFrame.Invalid("frame has no 'type' (a string such as \"heartbeat\" or \"task:completed\")");
    }
    if (!type.isTextual()) {
      return new InboundFrame.Invalid("'type' must be a string, got " + kind(type));
    }
    return switch (type.textValue()) {
      case HEARTBEAT -> InboundFrame.Heartbeat.INSTANCE;
      case STARTED, COMPLETED, FAILED -> taskFrame(type.textValue(), doc);
      default -> new InboundFrame.Unknown(type.textValue());
    };
  }

  private static InboundFrame taskFrame(String type, JsonNode doc) {
    List<String> problems = new ArrayList<>();
    String workflowId = id(doc, "workflow_id", problems);
    String taskId = id(doc, "task_id", problems);
    int attempt = attempt(doc, problems);
    JsonNode result = null;
    String message = null;
    boolean retryable = false;
    String errorType = null;
    if (COMPLETED.equals(type)) {
      result = doc.get("result");
      if (result == null) {
        problems.add("missing 'result' (any JSON value, null included)");
      }
    } else if (FAILED.equals(type)) {
      JsonNode error = doc.get("error");
      if (error == null) {
        problems.add("missing 'error' (an object {\"message\", \"retryable\"})");
      } else if (!error.isObject()) {
        problems.add("'error' must be an object {\"message\", \"retryable\"}, got " + kind(error));
      } else {
        JsonNode m = error.get("message");
        JsonNode r = error.get("retryable");
        if (m == null || !m.isTextual()) {
          problems.add(m == null ? "missing 'error.message' (a string)"
              : "'error.message' must be a string, got " + kind(m));
        } else {
          message = m.textValue();
        }
        if (r == null || !r.isBoolean()) {
          problems.add(r == null ? "missing 'error.retryable' (true or false)"
              : "'error.retryable' must be true or false, got " + kind(r));
        } else {
          retryable = r.booleanValue();
        }
        errorType = errorType(error.get("type"), problems);
      }
    }
    if (!problems.isEmpty()) {
      return new InboundFrame.Invalid(type + ": " + String.join("; ", problems));
    }
    TaskKey key = new TaskKey(workflowId, taskId, attempt);
    return switch (type) {
      case STARTED -> new InboundFrame.Started(key);
      case COMPLETED -> new InboundFrame.Completed(key, result);
      default -> new InboundFrame.Failed(key, message, retryable, errorType);
    };
  }

  /**
   * A worker's own {@code error.type} ("invalid_input", "ValueError"), kept as the task's error type; optional. The
   * engine's own types are refused: a worker's "timeout" would read as the engine's decision.
   */
  private static String errorType(JsonNode type, List<String> problems) {
    if (type == null || type.isNull()) {
      return null;
    }
    if (!type.isTextual()) {
      problems.add("'error.type' must be a string, got " + kind(type));
      return null;
    }
    if (type.textValue().isBlank() || type.textValue().length() > MAX_ERROR_TYPE) {
      problems.add("'error.type' must have 1-" + MAX_ERROR_TYPE + " characters, not blank, got "
          + type.textValue().length());
      return null;
    }
    if (TaskError.ENGINE_TYPES.contains(type.textValue())) {
      problems.add("'error.type' '" + type.textValue() + "' is one of the engine's own types ("
          + String.join(", ", TaskError.ENGINE_TYPES) + ")");
      return null;
    }
    return type.textValue();
  }

  private static final int MAX_ERROR_TYPE = 128;

  private static String id(JsonNode doc, String field, List<String> problems) {
    JsonNode v = doc.get(field);
    if (v == null) {
      problems.add("missing '" + field + "' (a string)");
    } else if (!v.isTextual() || v.textValue().isEmpty()) {
      problems.add("'" + field + "' must be a non-empty string, got " + kind(v));
    } else {
      return v.textValue();
    }
    return null;
  }

  private static int attempt(JsonNode doc, List<String> problems) {
    JsonNode v = doc.get("attempt");
    if (v == null) {
      problems.add("missing 'attempt' (an integer >= 1)");
    } else if (!wholeNumber(v) || !v.canConvertToInt() || v.intValue() < 1) {
      problems.add("'attempt' must be an integer >= 1, got " + (v.isNumber() ? v.asText() : kind(v)));
    } else {
      return v.intValue();
    }
    return 0;
  }

  /** JSON does not tell 1 from 1.0: a worker whose numbers are all doubles sends its attempts as 1.0. */
  private static boolean wholeNumber(JsonNode v) {
    return v.isIntegralNumber() || v.isFloatingPointNumber() && Double.isFinite(v.doubleValue())
        && v.doubleValue() == Math.rint(v.doubleValue());
  }

  /** How a JSON value is named in error messages. */
  static String kind(JsonNode v) {
    if (v == null || v.isMissingNode()) {
      return "nothing";
    } else if (v.isNull()) {
      return "null";
    } else if (v.isTextual()) {
      return "a string";
    } else if (v.isBoolean()) {
      return "a boolean";
    } else if (v.isNumber()) {
      return "a number";
    } else if (v.isArray()) {
      return "an array";
    }
    return "an object";
  }

  // ---- server -> worker ----

  /** {@code {"type": "welcome", "provider_id", "heartbeat_interval_ms"}}, the first frame on a connection. */
  public static String welcome(String providerId, long heartbeatIntervalMs) {
    return render(Json.MAPPER.createObjectNode().put("type", "welcome").put("provider_id", providerId)
        .put("heartbeat_interval_ms", heartbeatIntervalMs));
  }

  /** {@code task:execute} with the resolved params; {@code timeout_ms} is null when the task has none. */
  public static String execute(TaskRequest request) {
    ObjectNode o = keyed("task:execute", request.key()).put("method", request.method());
    o.set("params", request.params() != null ? request.params() : Json.MAPPER.createObjectNode());
    if (request.timeoutMs() != null) {
      o.put("timeout_ms", request.timeoutMs());
    } else {
      o.putNull("timeout_ms");
    }
    return render(o);
  }

  /** {@code task:cancel}: the worker may stop the attempt; its outcome is not wanted any more. */
  public static String cancel(TaskKey key) {
    return render(keyed("task:cancel", key));
  }

  /** {@code {"type": "error", "message"}} for a frame the server cannot accept; the connection stays open. */
  public static String error(String message) {
    return render(Json.MAPPER.createObjectNode().put("type", "error").put("message", message));
  }

  private static ObjectNode keyed(String type, TaskKey key) {
    return Json.MAPPER.createObjectNode().put("type", type).put("workflow_id", key.workflowId())
        .put("task_id", key.taskId()).put("attempt", key.attempt());
  }

  private static String render(ObjectNode o) {
    try {
      return Json.MAPPER.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render a frame", e); // a tree of plain nodes always renders
    }
  }
}
