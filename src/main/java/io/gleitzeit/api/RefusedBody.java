package io.gleitzeit.api;

import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Refusing a request's body (too large, a media type the endpoint does not take) after reading it to its end.
 * Answering while the client still sends, and then closing, resets the connection: a client that writes its
 * whole body before reading (Python's urllib, most scripts) then sees a broken pipe instead of the answer. The
 * body is dropped as it arrives, never held; the server's own limit ({@code pekko.http.server.parsing
 * .max-content-length}) still bounds what is read.
 */
final class RefusedBody extends AllDirectives {

  private static final RefusedBody DIRECTIVES = new RefusedBody();

  private RefusedBody() {}

  /** Answers {@code answer} once {@code entity}, the request's body, has been read and dropped. */
  static Route answer(HttpEntity entity, HttpResponse answer) {
    return DIRECTIVES.extractMaterializer(materializer -> DIRECTIVES.onComplete(
        entity.discardBytes(materializer).completionStage(), read -> DIRECTIVES.complete(answer)));
  }

  /** Whether the body declares a length over {@code limit}: it is refused before a byte of it is parsed. */
  static boolean declaredOver(HttpEntity entity, long limit) {
    return entity.getContentLengthOption().isPresent() && entity.getContentLengthOption().getAsLong() > limit;
  }
}
