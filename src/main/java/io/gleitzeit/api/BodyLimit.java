package io.gleitzeit.api;

import java.time.Duration;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.util.ByteString;

/**
 * A request body within the API's limit, read to its end whether it is taken or refused. Answering while the client
 * still sends, and then closing, resets the connection: a client that writes its whole body before reading
 * (Python's urllib and http.client, most scripts) then sees a broken pipe instead of the 413 or 415. A refused body
 * is dropped as it arrives, never held; the server's own limit ({@code pekko.http.server.parsing
 * .max-content-length}) still bounds what is read.
 */
final class BodyLimit extends AllDirectives {

  /**
   * How long a body may stall, no byte arriving: a slow client that keeps sending goes on (within the server's
   * {@code request-timeout}); one that stopped gets a 408. It was a limit on the whole read, which a valid 1 MiB
   * definition sent at 100 KB/s could never meet, and its timeout came back as a 503 "try again".
   */
  static final Duration STALL_TIMEOUT = Duration.ofSeconds(10);

  private static final BodyLimit DIRECTIVES = new BodyLimit();

  private BodyLimit() {}

  /** Answers {@code answer} once {@code entity}, the request's body, has been read and dropped. */
  static Route refuse(HttpEntity entity, HttpResponse answer) {
    return DIRECTIVES.extractMaterializer(materializer -> DIRECTIVES.onComplete(
        entity.discardBytes(materializer).completionStage(), read -> DIRECTIVES.complete(answer)));
  }

  /** Whether the body declares a length over {@code limit}: it is refused before a byte of it is parsed. */
  static boolean declaredOver(HttpEntity entity, long limit) {
    return entity.getContentLengthOption().isPresent() && entity.getContentLengthOption().getAsLong() > limit;
  }

  /**
   * The body's bytes to {@code inner} when it is at most {@code limit} long; a 413 once it has been read to its end
   * when it is longer (a chunked body says its length only by ending).
   */
  static Route readWithin(HttpEntity entity, long limit, Function<byte[], Route> inner) {
    if (entity instanceof HttpEntity.Strict strict) { // most bodies: already read, no stream to run
      return strict.getData().size() > limit ? DIRECTIVES.complete(ApiError.payloadTooLarge(limit))
          : inner.apply(strict.getData().toArray());
    }
    return DIRECTIVES.extractMaterializer(materializer -> DIRECTIVES.onComplete(
        entity.getDataBytes().idleTimeout(STALL_TIMEOUT).runFold(Kept.EMPTY, (kept, chunk) -> kept.with(chunk,
            limit), materializer),
        read -> read.isFailure() ? failed(read.failed().get())
            : read.get().over() ? DIRECTIVES.complete(ApiError.payloadTooLarge(limit))
            : inner.apply(read.get().bytes().toArray())));
  }

  private static Route failed(Throwable failure) {
    if (failure instanceof java.util.concurrent.TimeoutException) {
      return DIRECTIVES.complete(ApiError.requestTimeout("the request body stalled: no bytes arrived for "
          + STALL_TIMEOUT.toSeconds() + " s"));
    }
    return DIRECTIVES.failWith(failure);
  }

  /** What is kept of a body while it is read: all of it, or nothing once it went over the limit. */
  private record Kept(ByteString bytes, boolean over) {
    static final Kept EMPTY = new Kept(ByteString.emptyByteString(), false);

    Kept with(ByteString chunk, long limit) {
      return over || bytes.size() + (long) chunk.size() > limit ? new Kept(ByteString.emptyByteString(), true)
          : new Kept(bytes.concat(chunk), false);
    }
  }
}
