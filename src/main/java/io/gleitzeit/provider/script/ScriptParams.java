package io.gleitzeit.provider.script;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.provider.TaskFailure;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The params of one {@code script/run}, checked: {@code {command, args [text...], stdin (text), timeout_ms,
 * env {NAME: text}}}. The command must be on the allow-list and every {@code env} name on the whitelist; every
 * problem is a non-retryable {@link TaskFailure}. Arguments go to the program as they are, never to a shell.
 */
public record ScriptParams(String name, Path program, List<String> args, String stdin, Duration timeout,
                           Map<String, String> env) {

  /** A process's arguments and environment are C strings: a NUL cannot be passed, it would end the text. */
  private static final String NUL = "'%s' contains a NUL character (\\u0000), which no process argument or "
      + "environment variable can hold";
  private static final Set<String> KEYS = Set.of("command", "args", "stdin", "timeout_ms", "env");

  public static ScriptParams parse(ObjectNode params, ScriptSettings settings) {
    List<String> problems = new ArrayList<>();
    for (Iterator<String> it = params.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!KEYS.contains(key)) {
        problems.add("unknown param '" + key + "' (known: command, args, stdin, timeout_ms, env)");
      }
    }
    String name = null;
    Path program = null;
    JsonNode c = params.get("command");
    if (c == null || !c.isTextual() || c.asText().isEmpty()) {
      problems.add("'command' is required: the configured name of an allow-listed command");
    } else {
      name = c.asText();
      program = settings.commands().get(name);
      if (program == null) {
        problems.add("command '" + name + "' is not allowed by this provider (allowed: "
            + (settings.commands().isEmpty() ? "none configured" : new TreeSet<>(settings.commands().keySet())) + ")");
      }
    }
    List<String> args = new ArrayList<>();
    JsonNode a = params.get("args");
    if (a != null && !a.isNull()) {
      if (!a.isArray()) {
        problems.add("'args' must be a list of text, got " + a.getNodeType());
      } else {
        for (int i = 0; i < a.size(); i++) {
          JsonNode arg = a.get(i);
          if (!(arg.isTextual() || arg.isNumber() || arg.isBoolean())) {
            problems.add("'args[" + i + "]' must be text, got " + arg.getNodeType());
          } else if (arg.asText().indexOf('\0') >= 0) {
            problems.add(NUL.formatted("args[" + i + "]"));
          } else {
            args.add(arg.asText());
          }
        }
      }
    }
    String stdin = null;
    JsonNode s = params.get("stdin");
    if (s != null && !s.isNull()) {
      if (!(s.isTextual() || s.isNumber() || s.isBoolean())) {
        problems.add("'stdin' must be text, got " + s.getNodeType());
      } else {
        stdin = s.asText();
      }
    }
    Duration timeout = settings.defaultTimeout();
    JsonNode t = params.get("timeout_ms");
    if (t != null && !t.isNull()) {
      if (!t.isIntegralNumber() || !t.canConvertToLong() || t.asLong() <= 0) {
        problems.add("'timeout_ms' must be a whole number of milliseconds > 0, got " + t);
      } else {
        timeout = Duration.ofMillis(t.asLong());
      }
    }
    Map<String, String> env = new LinkedHashMap<>();
    JsonNode e = params.get("env");
    if (e != null && !e.isNull()) {
      if (!e.isObject()) {
        problems.add("'env' must be an object of NAME -> text, got " + e.getNodeType());
      } else {
        e.fields().forEachRemaining(v -> {
          if (!settings.envWhitelist().contains(v.getKey())) {
            problems.add("environment variable '" + v.getKey() + "' is not on this provider's env-whitelist "
                + new TreeSet<>(settings.envWhitelist()));
          } else if (!v.getValue().isValueNode() || v.getValue().isNull()) {
            problems.add("'env." + v.getKey() + "' must be text, got " + v.getValue().getNodeType());
          } else if (v.getValue().asText().indexOf('\0') >= 0) {
            problems.add(NUL.formatted("env." + v.getKey()));
          } else {
            env.put(v.getKey(), v.getValue().asText());
          }
        });
      }
    }
    if (!problems.isEmpty()) {
      throw new TaskFailure("script/run: " + String.join("; ", problems), false);
    }
    return new ScriptParams(name, program, List.copyOf(args), stdin, timeout, Map.copyOf(env));
  }

  /** The command line: the program, then the arguments as given. */
  public List<String> commandLine() {
    List<String> line = new ArrayList<>(args.size() + 1);
    line.add(program.toString());
    line.addAll(args);
    return line;
  }

  /**
   * The process environment: only whitelisted variables, from {@code node} (the node's environment) unless
   * the task sets them.
   */
  public Map<String, String> environment(Set<String> whitelist, Map<String, String> node) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String nameOnList : whitelist) {
      String v = node.get(nameOnList);
      if (v != null) {
        out.put(nameOnList, v);
      }
    }
    out.putAll(env);
    return out;
  }
}
