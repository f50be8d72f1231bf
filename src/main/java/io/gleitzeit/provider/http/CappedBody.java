package io.gleitzeit.provider.http;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * A response body read into memory up to a limit: a longer body cancels the download and fails with
 * {@link TooLarge}, so one response cannot exhaust the node's memory.
 */
final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {

  /** The body exceeded the limit. */
  static final class TooLarge extends RuntimeException {
    TooLarge(long limit) {
      super("the response body exceeds max-response-bytes (" + limit + " bytes)", null, false, false);
    }
  }

  static HttpResponse.BodyHandler<byte[]> handler(long limit) {
    return info -> new CappedBody(limit);
  }

  private final long limit;
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final CompletableFuture<byte[]> body = new CompletableFuture<>();
  private Flow.Subscription subscription;

  private CappedBody(long limit) {
    this.limit = limit;
  }

  @Override
  public CompletionStage<byte[]> getBody() {
    return body;
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription = s;
    s.request(Long.MAX_VALUE);
  }

  @Override
  public void onNext(List<ByteBuffer> buffers) {
    if (body.isDone()) {
      return;
    }
    for (ByteBuffer b : buffers) {
      if (bytes.size() + (long) b.remaining() > limit) {
        subscription.cancel();
        body.completeExceptionally(new TooLarge(limit));
        return;
      }
      byte[] chunk = new byte[b.remaining()];
      b.get(chunk);
      bytes.writeBytes(chunk);
    }
  }

  @Override
  public void onError(Throwable t) {
    body.completeExceptionally(t);
  }

  @Override
  public void onComplete() {
    body.complete(bytes.toByteArray());
  }
}
