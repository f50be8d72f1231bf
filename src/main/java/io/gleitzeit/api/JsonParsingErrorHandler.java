package io.gleitzeit.api;

import java.util.List;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * Requests too malformed to reach the routes (URI or headers too long, a bad Content-Length) still get the
 * SPEC §5 JSON error body. Configured as {@code pekko.http.server.parsing.error-handler}.
 */
public final class JsonParsingErrorHandler extends ParsingErrorHandler {

  @Override
  public HttpResponse handle(StatusCode status, ErrorInfo error, LoggingAdapter log, ServerSettings settings) {
    int code = status.intValue();
    String errorCode = code == 413 ? "payload_too_large" : code == 415 ? "unsupported_media_type" : "invalid_request";
    return ApiError.of(org.apache.pekko.http.javadsl.model.StatusCodes.get(code), errorCode,
        error.formatPretty(), List.of());
  }
}
