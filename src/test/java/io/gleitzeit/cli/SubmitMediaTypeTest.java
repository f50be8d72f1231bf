package io.gleitzeit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code submit} names a definition's format by its file's extension, else by what the text is. */
class SubmitMediaTypeTest {

  private static String typeOf(String fileName, String text) {
    return SubmitCommand.mediaType(fileName, text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void theExtensionDecidesWhenThereIsOne() {
    assertEquals("application/yaml", typeOf("flow.yml", "{\"tasks\": []}"));
    assertEquals("application/json", typeOf("flow.JSON", "tasks: []"));
  }

  @Test
  void withoutOneJsonIsJsonAndAnythingElseYaml() {
    assertEquals("application/json", typeOf("", "  \n{\"tasks\": [{\"id\": \"a\", \"method\": \"test/echo\"}]}"));
    assertEquals("application/yaml", typeOf("", "tasks:\n  - {id: a, method: test/echo}\n"));
  }

  @Test
  void aFlowMappingThatIsNotJsonIsYaml() {
    assertEquals("application/yaml", typeOf("", "{id: a, tasks: [{id: t, method: test/echo}]}"));
  }

  @Test
  void braceTextThatIsNeitherGoesAsJsonSoTheErrorSpeaksOfJson() {
    assertEquals("application/json", typeOf("", "{\"tasks\": [}"));
  }
}
