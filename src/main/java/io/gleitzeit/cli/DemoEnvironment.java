package io.gleitzeit.cli;

import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * What the demo can use on this machine, found out before the node starts, and said to the user: the MCP
 * filesystem server ({@code scripts/gleitzeit demo} installs it into {@code $GLEITZEIT_MCP_DIR}; it needs node),
 * an LLM at {@code GLEITZEIT_LLM_URL} (only when it answers), {@code wc} for the analysis without an LLM. It
 * also makes the node's provider configuration and the demo workflow to match.
 */
final class DemoEnvironment {

  static final String FILESYSTEM_SERVER = "node_modules/@modelcontextprotocol/server-filesystem/dist/index.js";
  static final String MCP_PROVIDER = "files";

  /** The LLM endpoint to use: {@code api} is ollama or openai. */
  record Llm(String api, String baseUrl, String model) {}

  final Path mcpServer;
  final String node;
  final Llm llm;
  final Path wc;
  final List<String> notes = new ArrayList<>();

  private DemoEnvironment(Path mcpServer, String node, Llm llm, Path wc) {
    this.mcpServer = mcpServer;
    this.node = node;
    this.llm = llm;
    this.wc = wc;
  }

  /** Looks at the environment; every finding that changes the demo is added to {@link #notes}. */
  static DemoEnvironment detect(Map<String, String> env) {
    List<String> notes = new ArrayList<>();
    Path server = null;
    String mcpDir = env.get("GLEITZEIT_MCP_DIR");
    if (mcpDir == null || mcpDir.isBlank()) {
      notes.add("The MCP servers are not installed (scripts/gleitzeit demo installs them with npm, which needs"
          + " Node.js): the demo runs on the built-in test provider instead of a real MCP filesystem server.");
    } else if (!Files.isRegularFile(Path.of(mcpDir).resolve(FILESYSTEM_SERVER))) {
      notes.add("No MCP filesystem server in " + mcpDir + " (run scripts/mcp/install): the demo runs on the"
          + " built-in test provider instead.");
    } else if (nodeVersion() == null) {
      notes.add("Node.js (node) is not on the PATH, so the MCP filesystem server cannot run: the demo runs on the"
          + " built-in test provider instead.");
    } else {
      server = Path.of(mcpDir).resolve(FILESYSTEM_SERVER).toAbsolutePath();
    }
    Llm llm = null;
    Path wc = null;
    if (server != null) {
      llm = llm(env, notes);
      if (llm == null) {
        wc = onPath("wc", env).orElse(null);
        if (wc == null) {
          notes.add("Neither an LLM nor wc is available for the analysis step: the demo runs on the built-in"
              + " test provider instead.");
          server = null;
        }
      }
    }
    DemoEnvironment found = new DemoEnvironment(server, server == null ? null : "node", llm, wc);
    found.notes.addAll(notes);
    return found;
  }

  boolean mcp() {
    return mcpServer != null;
  }

  private static Llm llm(Map<String, String> env, List<String> notes) {
    String url = env.getOrDefault("GLEITZEIT_LLM_URL", "").trim();
    String api = env.getOrDefault("GLEITZEIT_LLM_API", "ollama").trim().toLowerCase(java.util.Locale.ROOT);
    String model = env.getOrDefault("GLEITZEIT_LLM_MODEL", "llama3.2").trim();
    if (url.isEmpty()) {
      notes.add("No LLM is configured (set GLEITZEIT_LLM_URL, e.g. http://127.0.0.1:11434 for Ollama): the"
          + " analysis step counts lines, words and bytes of the MCP results with script/run wc instead.");
      return null;
    }
    while (url.endsWith("/")) {
      url = url.substring(0, url.length() - 1);
    }
    if (!api.equals("ollama") && !api.equals("openai")) {
      notes.add("GLEITZEIT_LLM_API must be ollama or openai, not '" + api + "': the analysis step uses script/run"
          + " wc instead of an LLM.");
      return null;
    }
    String probe = api.equals("ollama") ? url + "/api/tags" : url + "/v1/models";
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      http.send(HttpRequest.newBuilder(URI.create(probe)).timeout(Duration.ofSeconds(3)).GET().build(),
          HttpResponse.BodyHandlers.discarding());
    } catch (IOException | IllegalArgumentException e) {
      notes.add("No LLM answers at GLEITZEIT_LLM_URL=" + url + " (" + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "): the analysis step counts lines, words"
          + " and bytes of the MCP results with script/run wc instead.");
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
    notes.add("Using the LLM at " + url + " (" + api + ", model " + model + "; GLEITZEIT_LLM_MODEL changes it).");
    return new Llm(api, url, model);
  }

  /** The node providers the demo needs, as a configuration file's text. */
  String nodeConfig(Path sample) {
    List<Object> providers = new ArrayList<>();
    providers.add(provider("", "test", 100, Map.of()));
    if (mcp()) {
      providers.add(provider(MCP_PROVIDER, "mcp", 4, Map.of("command", node,
          "args", List.of(mcpServer.toString(), sample.toString()))));
      if (llm != null) {
        // Streamed: the answer's text shows up live, as task:progress events, while the model writes it.
        Map<String, Object> settings = new LinkedHashMap<>(Map.of("api", llm.api(), "base-url", llm.baseUrl(),
            "model", llm.model(), "timeout", "120s", "stream", true));
        if (llm.api().equals("openai") && System.getenv("OPENAI_API_KEY") != null) {
          settings.put("api-key-env", "OPENAI_API_KEY");
        }
        providers.add(provider("llm", "llm", 1, settings));
      } else if (wc != null) {
        providers.add(provider("tools", "script", 2, Map.of("commands", Map.of("wc", wc.toString()))));
      }
    }
    return "gleitzeit.providers.builtin = " + ConfigValueFactory.fromAnyRef(providers)
        .render(ConfigRenderOptions.concise()) + "\n";
  }

  private static Map<String, Object> provider(String id, String type, int concurrency, Map<String, Object> settings) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("id", id);
    p.put("type", type);
    p.put("max-concurrency", concurrency);
    if (!settings.isEmpty()) {
      p.put("settings", settings);
    }
    return p;
  }

  /** The workflow to submit: the MCP demo over {@code sample}, or the test-provider demo. */
  String workflow(Path sample) throws IOException {
    if (!mcp()) {
      return resource("demo-workflow.yaml");
    }
    String analyze = llm != null ? resource("analyze-llm.yaml") : resource("analyze-script.yaml");
    // Escaped for a double-quoted YAML string, and "${" for SPEC §2 ("$${" is a literal "${").
    String quotedPath = sample.toString().replace("\\", "\\\\").replace("\"", "\\\"").replace("${", "$${");
    return resource("mcp-demo-workflow.yaml").replace("@ANALYZE@\n", analyze)
        .replace("@ANALYSIS@", llm != null ? "response" : "stdout")
        .replace("@SAMPLE@", quotedPath);
  }

  /** Copies the sample project out of the jar into {@code dir}, so that the MCP server can serve it. */
  static Path copySample(Path dir) throws IOException {
    Path sample = dir.resolve("sample-project");
    for (String name : resource("sample-project.files").split("\n")) {
      if (name.isBlank()) {
        continue;
      }
      Path target = sample.resolve(name);
      Files.createDirectories(target.getParent());
      Files.writeString(target, resource("sample-project/" + name));
    }
    return sample;
  }

  static String resource(String name) throws IOException {
    try (InputStream in = DemoEnvironment.class.getResourceAsStream("/demo/" + name)) {
      if (in == null) {
        throw new IOException("the demo resource " + name + " is missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static String nodeVersion() {
    try {
      Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
      if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0) {
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      }
      p.destroyForcibly();
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return null;
  }

  private static Optional<Path> onPath(String program, Map<String, String> env) {
    for (String dir : env.getOrDefault("PATH", "/usr/bin:/bin").split(java.io.File.pathSeparator)) {
      Path candidate = Path.of(dir, program);
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }
}
