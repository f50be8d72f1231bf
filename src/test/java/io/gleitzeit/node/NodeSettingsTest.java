package io.gleitzeit.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Settings out of their range are refused at start-up, naming the setting, before anything runs on them. */
class NodeSettingsTest {

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource(delimiter = '|', textBlock = """
      providers.heartbeat-interval    | 0s   | must be longer than 0, got 0s
      providers.unhealthy-after-missed | 0   | must be at least 1, got 0
      limits.max-tasks-per-workflow   | -5   | must be at least 1, got -5
      limits.max-params-bytes-per-task | 0   | must be at least 1, got 0
      engine.report-attempts          | 0    | must be at least 1, got 0
      engine.slot-write-delay         | -1ms | must not be negative, got -1ms
      http.ask-timeout                | 0s   | must be longer than 0, got 0s
      http.port                       | 70000 | must be from 0 to 65535, got 70000
      """)
  void shouldRefuseASettingOutOfItsRangeNamingIt(String path, String value, String problem) {
    var config = ConfigFactory.parseString("gleitzeit." + path + " = " + value)
        .withFallback(NodeConfig.load(0, 0, java.nio.file.Path.of("target/settings-test"), null));
    ConfigException e = assertThrows(ConfigException.BadValue.class, () -> NodeSettings.from(config));
    assertEquals("Invalid value at 'gleitzeit." + path + "': " + problem, e.getMessage());
  }

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource(delimiter = '|', textBlock = """
      engine.slot-write-delay | 0s
      limits.audit-value-bytes | 0
      engine.max-reassignments | 0
      """)
  void shouldAcceptTheBoundsOfARange(String path, String value) {
    var config = ConfigFactory.parseString("gleitzeit." + path + " = " + value)
        .withFallback(NodeConfig.load(0, 0, java.nio.file.Path.of("target/settings-test"), null));
    NodeSettings settings = NodeSettings.from(config);
    assertEquals(Duration.ofSeconds(5), settings.heartbeatInterval());
  }
}
