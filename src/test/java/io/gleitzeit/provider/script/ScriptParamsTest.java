package io.gleitzeit.provider.script;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import io.gleitzeit.domain.Json;
import io.gleitzeit.provider.TaskFailure;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** script/run params and the provider's settings: allow-list, env whitelist, validation, output capping. */
class ScriptParamsTest {

  private static final ScriptSettings SETTINGS = ScriptSettings.from(ConfigFactory.parseString(
      "commands { echo = \"/bin/echo\", \"my.tool\" = \"/opt/tool\" }, env-whitelist = [LANG, TOKEN],"
          + " max-output-bytes = 64, default-timeout = 3s"));

  private static ObjectNode params(String json) {
    try {
      return (ObjectNode) Json.MAPPER.readTree(json.replace('\'', '"'));
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  @Test
  void shouldReadCommandsAsAMapOrAListOfAbsolutePaths() {
    assertEquals(Map.of("echo", Path.of("/bin/echo"), "my.tool", Path.of("/opt/tool")), SETTINGS.commands());
    assertEquals(64, SETTINGS.maxOutputBytes());
    assertEquals(Duration.ofSeconds(3), SETTINGS.defaultTimeout());
    ScriptSettings list = ScriptSettings.from(ConfigFactory.parseString("commands = [\"/bin/cat\"]"));
    assertEquals(Map.of("/bin/cat", Path.of("/bin/cat")), list.commands());
    assertEquals(1024 * 1024, list.maxOutputBytes());
    assertThrows(IllegalArgumentException.class,
        () -> ScriptSettings.from(ConfigFactory.parseString("commands { echo = \"echo\" }")));
    assertThrows(IllegalArgumentException.class,
        () -> ScriptSettings.from(ConfigFactory.parseString("command = [\"/bin/cat\"]")));
  }

  @Test
  void shouldResolveAnAllowListedCommandAndKeepArgsAsGiven() {
    ScriptParams p = ScriptParams.parse(params("{'command': 'echo', 'args': ['$HOME', 'a b', '; rm -rf /', 3],"
        + " 'stdin': 'in', 'timeout_ms': 500, 'env': {'LANG': 'C'}}"), SETTINGS);
    assertEquals(List.of("/bin/echo", "$HOME", "a b", "; rm -rf /", "3"), p.commandLine());
    assertEquals("in", p.stdin());
    assertEquals(Duration.ofMillis(500), p.timeout());
    assertEquals(Map.of("LANG", "C", "TOKEN", "node-token"),
        p.environment(Set.of("LANG", "TOKEN"), Map.of("LANG", "en", "TOKEN", "node-token", "SECRET", "s")));
    ScriptParams dotted = ScriptParams.parse(params("{'command': 'my.tool'}"), SETTINGS);
    assertEquals(Path.of("/opt/tool"), dotted.program());
    assertNull(dotted.stdin());
    assertEquals(Duration.ofSeconds(3), dotted.timeout());
  }

  @Test
  void shouldRefuseACommandThatIsNotAllowListedEvenByItsPath() {
    TaskFailure byName = assertThrows(TaskFailure.class,
        () -> ScriptParams.parse(params("{'command': 'sh'}"), SETTINGS));
    assertFalse(byName.retryable());
    assertTrue(byName.getMessage().contains("command 'sh' is not allowed"), byName.getMessage());
    assertThrows(TaskFailure.class, () -> ScriptParams.parse(params("{'command': '/bin/echo'}"), SETTINGS));
  }

  @Test
  void shouldRefuseEnvironmentVariablesOffTheWhitelistAndMalformedParams() {
    TaskFailure f = assertThrows(TaskFailure.class, () -> ScriptParams.parse(params("{'command': 'echo',"
        + " 'env': {'LD_PRELOAD': '/x.so'}, 'args': 'not a list', 'stdin': [1], 'timeout_ms': 0, 'shell': true}"),
        SETTINGS));
    assertFalse(f.retryable());
    for (String expected : List.of("'LD_PRELOAD' is not on this provider's env-whitelist", "'args' must be a list",
        "'stdin' must be text", "'timeout_ms'", "unknown param 'shell'")) {
      assertTrue(f.getMessage().contains(expected), () -> expected + " missing from " + f.getMessage());
    }
  }

  @Test
  void shouldPassNumbersAndBooleansAsTheirTextAsAWholeValuePlaceholderGivesThem() {
    ScriptParams p = ScriptParams.parse(params("{'command': 'echo', 'args': [3, true], 'stdin': 1.5,"
        + " 'env': {'LANG': 7}}"), SETTINGS);
    assertEquals(List.of("/bin/echo", "3", "true"), p.commandLine());
    assertEquals("1.5", p.stdin());
    assertEquals(Map.of("LANG", "7"), p.env());
  }

  @Test
  void shouldRefuseANulInAnArgumentOrAnEnvironmentValueForGood() {
    TaskFailure f = assertThrows(TaskFailure.class, () -> ScriptParams.parse(params("{'command': 'echo',"
        + " 'args': ['ok', 'a\\u0000b'], 'env': {'LANG': 'C\\u0000'}}"), SETTINGS));
    assertFalse(f.retryable());
    for (String expected : List.of("'args[1]' contains a NUL character", "'env.LANG' contains a NUL character")) {
      assertTrue(f.getMessage().contains(expected), () -> expected + " missing from " + f.getMessage());
    }
  }

  @Test
  void shouldKeepTheHeadOfStdoutAndTheTailOfStderrWithinTheLimit() {
    BoundedOutput head = new BoundedOutput(4, false);
    BoundedOutput tail = new BoundedOutput(4, true);
    for (String chunk : List.of("abc", "defgh", "ijklmnopqrstuvwxyz")) {
      byte[] bytes = chunk.getBytes(StandardCharsets.UTF_8);
      head.add(bytes, bytes.length);
      tail.add(bytes, bytes.length);
    }
    assertEquals("abcd", head.text());
    assertEquals("wxyz", tail.text());
    assertTrue(head.truncated() && tail.truncated());
    BoundedOutput small = new BoundedOutput(4, true);
    small.add("ab".getBytes(StandardCharsets.UTF_8), 2);
    assertFalse(small.truncated());
    assertEquals("ab", small.text());
  }

  @Test
  void shouldParseStdoutAsJsonOnlyWhenItIsOneJsonDocument() {
    assertEquals(2, ScriptExecutor.json(" {\"a\": 2}\n").get("a").asInt());
    assertEquals(3, ScriptExecutor.json("[1,2,3]").size());
    assertNull(ScriptExecutor.json("hello"));
    assertNull(ScriptExecutor.json("{\"a\": 1} trailing"));
    assertNull(ScriptExecutor.json(""));
  }
}
