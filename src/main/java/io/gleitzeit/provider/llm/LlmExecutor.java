package io.gleitzeit.provider.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.provider.QuietCallWatch;
import io.gleitzeit.provider.TaskExecutor;
import io.gleitzeit.provider.TaskFailure;
import io.gleitzeit.provider.TaskKey;
import io.gleitzeit.provider.TaskRequest;
import io.gleitzeit.provider.http.RetryAfter;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The built-in {@code llm} provider: {@code llm/generate}, {@code llm/chat} and {@code llm/embed} against an Ollama
 * or an OpenAI-compatible server, with the JDK's asynchronous {@link HttpClient}; with {@code stream = true} generate
 * and chat are streamed and their text reported as {@code task:progress} ({@link LlmStream}). Connection errors,
 * timeouts, 5xx and 429 are retryable ({@code Retry-After} honoured on 429 and 503); any other non-2xx fails for good
 * with the server's error message, as does a 200 whose body has an unexpected shape.
 */
public final class LlmExecutor implements TaskExecutor {

  public static final List<String> METHODS = List.of(LlmParams.GENERATE, LlmParams.CHAT, LlmParams.EMBED);

  static final int EXCERPT_CHARS = 500;

  private final LlmSettings settings;
  private final HttpClient client;
  private final Clock clock;
  private final Map<TaskKey, CompletableFuture<?>> running = new ConcurrentHashMap<>();

  /** Streamed text is reported as progress at most this often. */
  static final long PROGRESS_EVERY_MS = 100;

  /** A streamed call's end: an error answer (status, Retry-After, body), or the stream's reading. */
  private record Streamed(int status, String retryAfter, byte[] errorBody, LlmStream stream) {}

  public LlmExecutor(LlmSettings settings) {
    this(settings, Clock.systemUTC());
  }

  LlmExecutor(LlmSettings settings, Clock clock) {
    this.settings = settings;
    this.clock = clock;
    this.client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(settings.timeout()).build();
  }

  @Override
  public CompletionStage<JsonNode> execute(TaskRequest request, Runnable started) {
    return execute(request, started, progress -> { });
  }

  /** With {@code stream = true}, generate and chat report their text as it streams in. */
  @Override
  public CompletionStage<JsonNode> execute(TaskRequest request, Runnable started, Consumer<ObjectNode> progress) {
    LlmParams params;
    HttpRequest http;
    URI uri;
    try {
      params = LlmParams.parse(request.method(), request.params(), settings.model());
      uri = settings.resolve(LlmWire.path(settings.api(), params.method()));
      HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(settings.timeout())
          .header("Content-Type", "application/json").header("Accept", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(
              Json.MAPPER.writeValueAsBytes(LlmWire.body(settings.api(), params, streams(params)))));
      if (settings.apiKey() != null) {
        b.header("Authorization", "Bearer " + settings.apiKey());
      }
      http = b.build();
    } catch (TaskFailure f) {
      return CompletableFuture.failedFuture(f);
    } catch (IOException | IllegalArgumentException e) {
      return CompletableFuture.failedFuture(new TaskFailure(request.method() + ": cannot build the request: "
          + e.getMessage(), false));
    }
    started.run();
    long begin = System.nanoTime();
    String what = params.method() + " (POST " + uri + ")";
    if (streams(params)) {
      return streamed(request.key(), http, params, what, begin, progress);
    }
    CompletableFuture<HttpResponse<byte[]>> call = client.sendAsync(http, HttpResponse.BodyHandlers.ofByteArray());
    running.put(request.key(), call);
    return call.handle((response, failure) -> {
      running.remove(request.key());
      if (failure != null) {
        throw failureOf(what, failure);
      }
      long measuredMs = (System.nanoTime() - begin) / 1_000_000L;
      return resultOf(what, params, response, measuredMs);
    });
  }

  private boolean streams(LlmParams params) {
    return settings.stream() && !params.method().equals(LlmParams.EMBED);
  }

  /** A streamed answer: read line by line as it arrives (on the HTTP client's threads), its text as progress. */
  private CompletionStage<JsonNode> streamed(TaskKey key, HttpRequest http, LlmParams params, String what, long begin,
                                             Consumer<ObjectNode> progress) {
    // The request's timeout ends with the response headers: from then on, each line must come within it.
    QuietCallWatch quiet = new QuietCallWatch(settings.timeout());
    HttpResponse.BodyHandler<Streamed> handler = info -> {
      if (info.statusCode() < 200 || info.statusCode() >= 300) {
        String retryAfter = info.headers().firstValue("Retry-After").orElse(null);
        return HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofByteArray(),
            body -> new Streamed(info.statusCode(), retryAfter, body, null));
      }
      LlmStream stream = new LlmStream(settings.api(), params.method(), progress, PROGRESS_EVERY_MS,
          () -> System.nanoTime() / 1_000_000L);
      return HttpResponse.BodySubscribers.fromLineSubscriber(new Heard(stream, quiet),
          s -> new Streamed(info.statusCode(), null, null, s.stream()), StandardCharsets.UTF_8, null);
    };
    CompletableFuture<HttpResponse<Streamed>> call = client.sendAsync(http, handler);
    quiet.watch(call);
    running.put(key, call);
    return call.handle((response, failure) -> {
      running.remove(key);
      if (quiet.fired()) {
        throw new TaskFailure(what + ": the stream sent nothing for " + settings.timeout().toMillis() + " ms", true);
      }
      if (failure != null) {
        throw failureOf(what, failure);
      }
      Streamed s = response.body();
      if (s.stream() == null) {
        throw httpFailure(what, s.status(), s.retryAfter(), s.errorBody() == null ? new byte[0] : s.errorBody());
      }
      try {
        return LlmWire.result(settings.api(), params, s.stream().answer(), (System.nanoTime() - begin) / 1_000_000L);
      } catch (LlmWire.Unexpected e) {
        throw new TaskFailure(what + ": unexpected response (" + e.getMessage() + ")", e.retryable());
      }
    });
  }

  /** The stream's line subscriber, telling its watch of every line that arrives. */
  private record Heard(LlmStream stream, QuietCallWatch quiet)
      implements java.util.concurrent.Flow.Subscriber<String> {
    @Override
    public void onSubscribe(java.util.concurrent.Flow.Subscription subscription) {
      stream.onSubscribe(subscription);
    }

    @Override
    public void onNext(String line) {
      quiet.heard();
      stream.onNext(line);
    }

    @Override
    public void onError(Throwable failure) {
      stream.onError(failure);
    }

    @Override
    public void onComplete() {
      stream.onComplete();
    }
  }

  @Override
  public void cancel(TaskKey key) {
    CompletableFuture<?> call = running.remove(key);
    if (call != null) {
      call.cancel(true);
    }
  }

  private JsonNode resultOf(String what, LlmParams params, HttpResponse<byte[]> response, long measuredMs) {
    int status = response.statusCode();
    byte[] body = response.body() == null ? new byte[0] : response.body();
    if (status < 200 || status >= 300) {
      throw httpFailure(what, status, response.headers().firstValue("Retry-After").orElse(null), body);
    }
    JsonNode json;
    try {
      json = Json.MAPPER.readTree(body);
    } catch (IOException e) {
      throw new TaskFailure(what + ": unexpected response (not JSON): " + excerpt(body), false);
    }
    try {
      return LlmWire.result(settings.api(), params, json, measuredMs);
    } catch (LlmWire.Unexpected e) {
      throw new TaskFailure(what + ": unexpected response (" + e.getMessage() + "): " + excerpt(body), false);
    }
  }

  TaskFailure httpFailure(String what, int status, String retryAfterHeader, byte[] body) {
    String message = "HTTP " + status + " from " + what + ": " + errorMessage(body);
    boolean retryable = status >= 500 || status == 429;
    Duration retryAfter = null;
    if (status == 429 || status == 503) {
      Optional<Duration> asked = RetryAfter.parse(retryAfterHeader, clock.instant());
      if (asked.isPresent() && asked.get().compareTo(settings.maxRetryAfter()) > 0) {
        return new TaskFailure(message + " (Retry-After " + asked.get().toSeconds() + " s exceeds max-retry-after "
            + settings.maxRetryAfter().toSeconds() + " s: not retried)", false);
      }
      retryAfter = asked.orElse(null);
    }
    return new TaskFailure(message, retryable, retryAfter);
  }

  /** Ollama's {@code {"error": "..."}}, OpenAI's {@code {"error": {"message": "..."}}}, else the body's start. */
  static String errorMessage(byte[] body) {
    try {
      JsonNode json = Json.MAPPER.readTree(body);
      if (json != null) {
        JsonNode error = json.get("error");
        if (error != null && error.isTextual()) {
          return error.asText();
        }
        if (error != null && error.path("message").isTextual()) {
          return error.get("message").asText();
        }
      }
    } catch (IOException e) {
      // not JSON: the text itself
    }
    String text = excerpt(body);
    return text.isEmpty() ? "(empty body)" : text;
  }

  private static String excerpt(byte[] body) {
    String text = new String(body, StandardCharsets.UTF_8).strip();
    return text.length() > EXCERPT_CHARS ? text.substring(0, EXCERPT_CHARS) + "..." : text;
  }

  private TaskFailure failureOf(String what, Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof HttpTimeoutException) {
      return new TaskFailure(what + " timed out after " + settings.timeout().toMillis() + " ms", true);
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
