package io.gleitzeit.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import io.gleitzeit.domain.DefinitionParser;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A {@code gleitzeit.*} setting in a {@code --config} file that no default names is a mistake: HOCON would keep it
 * and nothing would read it ({@code limits.max-tasks-per-workflw = 1} left the limit at 10,000 without a word).
 * Free-form sections are left alone: a Pekko dispatcher's settings, and {@code local-cluster}
 * (conf/local-cluster.conf).
 */
final class UnknownSettings {

  private static final List<String> FREE_FORM = List.of("gleitzeit.event-index.query-dispatcher",
      "gleitzeit.local-cluster");

  private UnknownSettings() {}

  /** Throws a {@link NodeStartException} naming the first setting of {@code file} that {@code defaults} lacks. */
  static void check(Config file, Config defaults, Path source) {
    ConfigValue root = file.root().get("gleitzeit");
    if (root instanceof ConfigObject object) {
      walk(object, List.of("gleitzeit"), defaults, source);
    }
  }

  private static void walk(ConfigObject object, List<String> at, Config defaults, Path source) {
    for (Map.Entry<String, ConfigValue> e : object.entrySet()) {
      List<String> path = new ArrayList<>(at);
      path.add(e.getKey());
      String joined = ConfigUtil.joinPath(path);
      if (FREE_FORM.stream().anyMatch(f -> joined.equals(f) || joined.startsWith(f + "."))) {
        continue;
      }
      if (!defaults.hasPathOrNull(joined)) {
        String parent = ConfigUtil.joinPath(at);
        List<String> known = defaults.hasPath(parent) && defaults.getValue(parent) instanceof ConfigObject o
            ? new ArrayList<>(o.keySet()) : List.of();
        String suggestion = DefinitionParser.closest(e.getKey(), known);
        throw new NodeStartException("bad configuration: unknown setting '" + joined + "' in " + source
            + (suggestion != null ? " (did you mean '" + parent + "." + suggestion + "'?)"
            : known.isEmpty() ? "" : " (" + parent + " has: " + String.join(", ", known.stream().sorted().toList())
            + ")"), null);
      }
      if (e.getValue() instanceof ConfigObject child && defaults.getValue(joined) instanceof ConfigObject) {
        walk(child, path, defaults, source);
      }
    }
  }
}
