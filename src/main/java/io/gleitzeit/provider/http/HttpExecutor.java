package io.gleitzeit.provider.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.provider.QuietCallWatch;
import io.gleitzeit.provider.TaskExecutor;
import io.gleitzeit.provider.TaskFailure;
import io.gleitzeit.provider.TaskKey;
import io.gleitzeit.provider.TaskRequest;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The built-in {@code http} provider: {@code http/request} with the JDK's asynchronous {@link HttpClient}. Only
 * hosts on the configured allow-list are called; redirects are not followed (a redirect to another host would
 * escape the allow-list), so a 3xx is a non-retryable failure like any other non-2xx but 429.
 */
public final class HttpExecutor implements TaskExecutor {

  public static final List<String> METHODS = List.of("http/request");

  private final HttpSettings settings;
  private final HttpClient client;
  private final Clock clock;
  private final Map<TaskKey, CompletableFuture<HttpResponse<byte[]>>> running = new ConcurrentHashMap<>();

  public HttpExecutor(HttpSettings settings) {
    this(settings, Clock.systemUTC());
  }

  HttpExecutor(HttpSettings settings, Clock clock) {
    this.settings = settings;
    this.clock = clock;
    this.client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(settings.defaultTimeout()).build();
  }

  @Override
  public CompletionStage<JsonNode> execute(TaskRequest request, Runnable started) {
    if (!"http/request".equals(request.method())) {
      return CompletableFuture.failedFuture(
          new TaskFailure("the http provider does not serve " + request.method(), false));
    }
    HttpRequestParams params;
    HttpRequest http;
    try {
      params = HttpRequestParams.parse(request.params(), settings);
      http = params.toRequest();
    } catch (TaskFailure f) {
      return CompletableFuture.failedFuture(f);
    }
    started.run();
    CompletableFuture<HttpResponse<byte[]>> call =
        client.sendAsync(http, CappedBody.handler(settings.maxResponseBytes()));
    running.put(request.key(), call);
    QuietCallWatch deadline = new QuietCallWatch(params.timeout()).watch(call); // the body's time counts too
    String url = params.uri().toString();
    return call.handle((response, failure) -> {
      running.remove(request.key());
      if (deadline.fired()) {
        throw timedOut(params, url);
      }
      if (failure != null) {
        throw failureOf(params, url, failure);
      }
      return HttpResult.of(params.method(), url, response.statusCode(), response.headers().map(), response.body(),
          settings, clock.instant());
    });
  }

  @Override
  public void cancel(TaskKey key) {
    CompletableFuture<HttpResponse<byte[]>> call = running.remove(key);
    if (call != null) {
      call.cancel(true);
    }
  }

  private static TaskFailure timedOut(HttpRequestParams params, String url) {
    return new TaskFailure(params.method() + " " + url + " timed out after " + params.timeout().toMillis() + " ms",
        true);
  }

  private static TaskFailure failureOf(HttpRequestParams params, String url, Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    String what = params.method() + " " + url;
    if (cause instanceof CappedBody.TooLarge) {
      return new TaskFailure(what + ": " + cause.getMessage(), false);
    }
    if (cause instanceof HttpTimeoutException) {
      return timedOut(params, url);
    }
    if (cause instanceof CancellationException) {
      return new TaskFailure(what + " was cancelled", false);
    }
    if (cause instanceof ConnectException) {
      return new TaskFailure(what + ": cannot connect (" + cause + ")", true);
    }
    return new TaskFailure(what + " failed: " + cause, true);
  }
}
