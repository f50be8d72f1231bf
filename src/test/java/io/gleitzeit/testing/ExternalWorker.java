package io.gleitzeit.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A minimal external worker (SPEC §6) for tests: registers over HTTP, holds the WebSocket, heartbeats at the
 * interval the welcome frame gives, and serves
 * <ul>
 *   <li>{@code ext/echo}: the params as the result;</li>
 *   <li>{@code ext/sleep} {@code {ms}}: {@code {"slept_ms": ms}} after that long (on a scheduler, never blocking
 *       the WebSocket listener);</li>
 *   <li>{@code ext/fail} {@code {message, retryable}}: {@code task:failed} with them (retryable default true).</li>
 * </ul>
 * Every attempt is answered {@code task:started} first. Usable in-process ({@link #start}) or as its own JVM
 * ({@link #main}, which prints {@value #READY_PREFIX}... once welcomed and exits when the connection ends).
 * With a record file every frame in and out is appended to it as one JSON line
 * {@code {"dir": "in"|"out", "text": "<the frame>"}} (see {@link #readRecording}), so that a test can replay a
 * frame of a worker it killed.
 */
public final class ExternalWorker implements AutoCloseable {

  public static final String READY_PREFIX = "external worker ready ";
  public static final List<String> METHODS = List.of("ext/echo", "ext/sleep", "ext/fail");

  /** How to run a worker. */
  public static final class Options {
    private String baseUrl;
    private String providerId;
    private List<String> methods = METHODS;
    private int maxConcurrency = 1;
    private Path recordFile;
    private boolean register = true;
    private boolean heartbeats = true;

    public Options(String baseUrl, String providerId) {
      this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
      this.providerId = providerId;
    }

    public Options methods(List<String> methods) {
      this.methods = List.copyOf(methods);
      return this;
    }

    public Options maxConcurrency(int n) {
      this.maxConcurrency = n;
      return this;
    }

    /** Append every frame in and out to this file. */
    public Options record(Path file) {
      this.recordFile = file;
      return this;
    }

    /** false: connect as an already registered provider without {@code POST /providers}. */
    public Options register(boolean register) {
      this.register = register;
      return this;
    }

    /** false: send no heartbeats by itself (see {@link #heartbeat()}). */
    public Options heartbeats(boolean heartbeats) {
      this.heartbeats = heartbeats;
      return this;
    }

    /** The command-line arguments {@link #main} reads back into these options. */
    public List<String> toArgs() {
      List<String> args = new ArrayList<>(List.of("--url", baseUrl, "--id", providerId, "--methods",
          String.join(",", methods), "--max-concurrency", String.valueOf(maxConcurrency)));
      if (recordFile != null) {
        args.addAll(List.of("--record", recordFile.toString()));
      }
      if (!register) {
        args.add("--no-register");
      }
      if (!heartbeats) {
        args.add("--no-heartbeats");
      }
      return args;
    }

    static Options fromArgs(String[] args) {
      String url = null;
      String id = null;
      List<String> methods = METHODS;
      int max = 1;
      Path record = null;
      boolean register = true;
      boolean heartbeats = true;
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--url" -> url = args[++i];
          case "--id" -> id = args[++i];
          case "--methods" -> methods = Arrays.asList(args[++i].split(","));
          case "--max-concurrency" -> max = Integer.parseInt(args[++i]);
          case "--record" -> record = Path.of(args[++i]);
          case "--no-register" -> register = false;
          case "--no-heartbeats" -> heartbeats = false;
          default -> throw new IllegalArgumentException("unknown argument " + args[i] + "; usage: --url URL --id ID"
              + " [--methods a,b] [--max-concurrency N] [--record FILE] [--no-register] [--no-heartbeats]");
        }
      }
      if (url == null || id == null) {
        throw new IllegalArgumentException("--url and --id are required");
      }
      return new Options(url, id).methods(methods).maxConcurrency(max).record(record).register(register)
          .heartbeats(heartbeats);
    }
  }

  /** One attempt this worker ran: when it began and ended ({@link System#nanoTime()}), and its execute frame. */
  public record Execution(String workflowId, String taskId, int attempt, String method, long startNanos,
                          long endNanos) {}

  /** A recorded frame: {@code in} (server to worker) or {@code out}, and its text. */
  public record Recorded(String dir, String text) {
    public JsonNode json() {
      return ApiTestClient.parse(text);
    }
  }

  private final Options options;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "external-worker-scheduler");
    t.setDaemon(true);
    return t;
  });
  private final CompletableFuture<JsonNode> welcome = new CompletableFuture<>();
  private final CompletableFuture<Integer> closed = new CompletableFuture<>();
  private final List<JsonNode> received = new CopyOnWriteArrayList<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private final Map<String, ScheduledFuture<?>> sleeping = new ConcurrentHashMap<>();
  private final Map<String, Long> runningSince = new ConcurrentHashMap<>();
  private final List<Execution> executions = new CopyOnWriteArrayList<>();
  private final AtomicInteger running = new AtomicInteger();
  private final AtomicInteger peak = new AtomicInteger();
  private final Object recordLock = new Object();
  private volatile WebSocket socket;
  private CompletableFuture<?> sendChain = CompletableFuture.completedFuture(null);
  private volatile ScheduledFuture<?> heartbeat;

  private record Waiter(Predicate<JsonNode> predicate, CompletableFuture<JsonNode> found) {}

  private ExternalWorker(Options options) {
    this.options = options;
  }

  /** Registers (unless told not to), connects and waits for the welcome frame; heartbeats start with it. */
  public static ExternalWorker start(Options options) {
    ExternalWorker worker = new ExternalWorker(options);
    try {
      if (options.register) {
        worker.register();
      }
      worker.connect().get(30, TimeUnit.SECONDS);
      worker.welcome.get(30, TimeUnit.SECONDS);
      return worker;
    } catch (ExecutionException e) {
      worker.close();
      throw new IllegalStateException("worker " + options.providerId + " could not connect: " + e.getCause(),
          e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      worker.close();
      throw new IllegalStateException("worker " + options.providerId + " could not connect: " + e, e);
    }
  }

  /**
   * Opens a WebSocket to {@code /providers/{id}/connect} without any worker behind it; the future fails with a
   * {@link java.net.http.WebSocketHandshakeException} when the server refuses (its response has the status).
   */
  public static CompletableFuture<WebSocket> rawConnect(String baseUrl, String providerId,
                                                         WebSocket.Listener listener) {
    return HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
        .buildAsync(wsUri(baseUrl, providerId), listener);
  }

  private static URI wsUri(String baseUrl, String providerId) {
    String base = baseUrl.replaceFirst("^http", "ws");
    return URI.create(base + "/providers/" + ApiTestClient.enc(providerId) + "/connect");
  }

  private void register() {
    ObjectNode body = Json.MAPPER.createObjectNode().put("id", options.providerId).put("type", "external");
    options.methods.forEach(body.putArray("methods")::add);
    body.put("max_concurrency", options.maxConcurrency);
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(options.baseUrl + "/providers"))
          .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 201 && r.statusCode() != 200) {
        throw new IllegalStateException("POST /providers answered " + r.statusCode() + ": " + r.body());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private CompletableFuture<WebSocket> connect() {
    return http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
        .buildAsync(wsUri(options.baseUrl, options.providerId), new Listener())
        .thenApply(ws -> socket = ws);
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder partial = new StringBuilder();

    /**
     * The socket is known from here on, before any frame arrives: the server sends the attempts this provider
     * holds right after its welcome, and an answer sent before {@code buildAsync} completed was lost (the
     * cause of rare failures of {@code ExternalWorkerProtocolIT}'s reconnect test under load).
     */
    @Override
    public void onOpen(WebSocket webSocket) {
      socket = webSocket;
      webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        String text = partial.toString();
        partial.setLength(0);
        onFrame(text);
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      stopHeartbeats();
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      stopHeartbeats();
      closed.completeExceptionally(error);
    }
  }

  private void onFrame(String text) {
    record("in", text);
    JsonNode frame;
    try {
      frame = Json.MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      return; // the server only sends JSON; nothing to do with anything else
    }
    received.add(frame);
    notifyWaiters(frame);
    switch (frame.path("type").asText()) {
      case "welcome" -> {
        if (options.heartbeats) {
          long interval = Math.max(1, frame.path("heartbeat_interval_ms").asLong(5000));
          heartbeat = scheduler.scheduleAtFixedRate(this::heartbeat, 0, interval, TimeUnit.MILLISECONDS);
        }
        welcome.complete(frame);
      }
      case "task:execute" -> execute(frame);
      case "task:cancel" -> scheduler.execute(() -> {
        ScheduledFuture<?> timer = sleeping.remove(keyOf(frame));
        if (timer != null) {
          timer.cancel(false);
          finished(frame);
        }
      });
      default -> { } // error frames and anything else are only recorded
    }
  }

  private void execute(JsonNode frame) {
    String key = keyOf(frame);
    if (runningSince.putIfAbsent(key, System.nanoTime()) != null) {
      return; // sent again after a reconnect while still running here: one run is enough
    }
    int now = running.incrementAndGet();
    peak.accumulateAndGet(now, Math::max);
    JsonNode params = frame.path("params");
    if (!params.path("no_started").asBoolean(false)) { // SPEC §6 does not make the frame mandatory
      send(answer("task:started", frame));
    }
    switch (frame.path("method").asText()) {
      case "ext/echo" -> {
        finished(frame);
        send(answer("task:completed", frame).set("result", params));
      }
      case "ext/sleep" -> {
        long ms = params.path("ms").asLong(0);
        // The timer is entered in 'sleeping' before it can fire (both on the one scheduler thread); whoever
        // removes it, the timer or a task:cancel, finishes the attempt.
        scheduler.execute(() -> sleeping.put(key, scheduler.schedule(() -> {
          if (sleeping.remove(key) != null) {
            finished(frame);
            send(answer("task:completed", frame).set("result",
                Json.MAPPER.createObjectNode().put("slept_ms", ms).put("worker", options.providerId)));
          }
        }, ms, TimeUnit.MILLISECONDS)));
      }
      case "ext/fail" -> {
        finished(frame);
        ObjectNode failed = answer("task:failed", frame);
        ObjectNode error = failed.putObject("error")
            .put("message", params.path("message").asText("ext/fail failed as asked"))
            .put("retryable", params.path("retryable").asBoolean(true));
        if (params.has("error_type")) {
          error.put("type", params.path("error_type").asText());
        }
        send(failed);
      }
      default -> {
        finished(frame);
        ObjectNode failed = answer("task:failed", frame);
        failed.putObject("error").put("message", "this worker does not serve " + frame.path("method").asText())
            .put("retryable", false);
        send(failed);
      }
    }
  }

  /** Counted before the answer goes out, so that the server can never see a free slot this worker has not. */
  private void finished(JsonNode frame) {
    String key = keyOf(frame);
    Long since = runningSince.remove(key);
    running.decrementAndGet();
    executions.add(new Execution(frame.path("workflow_id").asText(), frame.path("task_id").asText(),
        frame.path("attempt").asInt(), frame.path("method").asText(), since == null ? 0 : since, System.nanoTime()));
  }

  private static ObjectNode answer(String type, JsonNode execute) {
    return Json.MAPPER.createObjectNode().put("type", type).put("workflow_id", execute.path("workflow_id").asText())
        .put("task_id", execute.path("task_id").asText()).put("attempt", execute.path("attempt").asInt());
  }

  private static String keyOf(JsonNode frame) {
    return frame.path("workflow_id").asText() + "/" + frame.path("task_id").asText() + "#"
        + frame.path("attempt").asInt();
  }

  // ---- what a test can do with a worker ----

  /** Sends one heartbeat frame now. */
  public CompletableFuture<?> heartbeat() {
    return sendText("{\"type\":\"heartbeat\"}");
  }

  /** Stops the periodic heartbeats (the socket stays open). */
  public void stopHeartbeats() {
    ScheduledFuture<?> h = heartbeat;
    if (h != null) {
      h.cancel(false);
    }
  }

  public CompletableFuture<?> send(JsonNode frame) {
    return sendText(frame.toString());
  }

  /** Sends bytes as one binary frame (the protocol has none: the server answers with an error frame). */
  public synchronized CompletableFuture<?> sendBinary(byte[] bytes) {
    WebSocket ws = socket;
    if (ws == null) {
      return CompletableFuture.failedFuture(new IllegalStateException("not connected"));
    }
    record("out", "<" + bytes.length + " binary bytes>");
    CompletableFuture<?> next = sendChain.thenCompose(v -> ws.sendBinary(java.nio.ByteBuffer.wrap(bytes), true));
    sendChain = next.exceptionally(e -> null);
    return next;
  }

  /** Sends any text as one frame; frames are sent one after another, never concurrently. */
  public synchronized CompletableFuture<?> sendText(String text) {
    WebSocket ws = socket;
    if (ws == null) {
      return CompletableFuture.failedFuture(new IllegalStateException("not connected"));
    }
    record("out", text);
    CompletableFuture<?> next = sendChain.thenCompose(v -> ws.sendText(text, true));
    sendChain = next.exceptionally(e -> null);
    return next;
  }

  /** The first frame from the server, received before or after this call, that matches. */
  public CompletableFuture<JsonNode> frame(Predicate<JsonNode> predicate) {
    synchronized (waiters) {
      for (JsonNode f : received) {
        if (predicate.test(f)) {
          return CompletableFuture.completedFuture(f);
        }
      }
      CompletableFuture<JsonNode> found = new CompletableFuture<>();
      waiters.add(new Waiter(predicate, found));
      return found;
    }
  }

  /** Like {@link #frame} but blocking, with a timeout that fails with an AssertionError naming what was missed. */
  public JsonNode awaitFrame(String what, Predicate<JsonNode> predicate, Duration timeout) {
    try {
      return frame(predicate).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("worker " + options.providerId + " received no " + what + " within "
          + timeout.toMillis() + " ms; frames: " + received);
    } catch (ExecutionException e) {
      throw new AssertionError(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private void notifyWaiters(JsonNode frame) {
    synchronized (waiters) {
      waiters.removeIf(w -> w.predicate().test(frame) && w.found().complete(frame));
    }
  }

  public JsonNode welcomeFrame() {
    return welcome.getNow(null);
  }

  public List<JsonNode> received() {
    return List.copyOf(received);
  }

  /** The attempts this worker finished (answered), in order. */
  public List<Execution> executions() {
    return List.copyOf(executions);
  }

  /** The most attempts this worker ever ran at once. */
  public int peakConcurrency() {
    return peak.get();
  }

  public int running() {
    return running.get();
  }

  public String providerId() {
    return options.providerId;
  }

  /** Completes with the close code when the connection ends. */
  public CompletableFuture<Integer> closedFuture() {
    return closed;
  }

  /** Stops heartbeats and closes the WebSocket normally; returns once the server has closed its side too. */
  @Override
  public void close() {
    stopHeartbeats();
    WebSocket ws = socket;
    if (ws != null && !closed.isDone()) {
      try {
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);
        closed.get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        ws.abort();
      }
    }
    scheduler.shutdownNow();
  }

  // ---- recording ----

  private void record(String dir, String text) {
    Path file = options.recordFile;
    if (file == null) {
      return;
    }
    ObjectNode line = Json.MAPPER.createObjectNode().put("dir", dir).put("text", text);
    synchronized (recordLock) {
      try {
        Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** The frames a worker recorded, in order. */
  public static List<Recorded> readRecording(Path file) {
    try {
      List<Recorded> out = new ArrayList<>();
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (!line.isBlank()) {
          JsonNode j = ApiTestClient.parse(line);
          out.add(new Recorded(j.path("dir").asText(), j.path("text").asText()));
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs one worker until its connection ends: {@code --url URL --id ID [--methods a,b] [--max-concurrency N]
   * [--record FILE] [--no-register] [--no-heartbeats]}. */
  public static void main(String[] args) throws Exception {
    Options options = Options.fromArgs(args);
    ExternalWorker worker = start(options);
    System.out.println(READY_PREFIX + "id=" + options.providerId + " pid=" + ProcessHandle.current().pid());
    System.out.flush();
    int code;
    try {
      code = worker.closedFuture().get();
    } catch (ExecutionException e) {
      code = -1;
    }
    System.out.println("external worker " + options.providerId + " disconnected (" + code + ")");
    worker.scheduler.shutdownNow();
    System.exit(code == WebSocket.NORMAL_CLOSURE ? 0 : 1);
  }
}
