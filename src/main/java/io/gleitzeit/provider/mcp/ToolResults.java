package io.gleitzeit.provider.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.Json;
import io.gleitzeit.provider.TaskFailure;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A tool call's answer as a task result: {@code {content, text, structured}}, where {@code content} is the
 * list of content items as the server sent them, {@code text} the text items joined by newlines (so that
 * {@code ${t.result.text}} reads naturally), and {@code structured} the structured content or null. An answer
 * flagged {@code isError} is the tool saying it failed: a task failure carrying its text, not retried.
 */
final class ToolResults {

  private ToolResults() {}

  static JsonNode of(String tool, McpSchema.CallToolResult answer, McpJsonMapper json) {
    String text = text(answer.content());
    if (Boolean.TRUE.equals(answer.isError())) {
      throw new TaskFailure("MCP tool " + tool + " failed: " + (text.isEmpty() ? "(no text)" : text), false);
    }
    // The whole answer is written, not its parts: content items keep their "type" only when written as the
    // declared List<Content> of the answer.
    JsonNode wire = tree(answer, json);
    ObjectNode result = Json.MAPPER.createObjectNode();
    JsonNode content = wire.path("content");
    result.set("content", content.isArray() ? content : Json.MAPPER.createArrayNode());
    result.put("text", text);
    JsonNode structured = wire.path("structuredContent");
    result.set("structured", structured.isMissingNode() ? null : structured);
    return result;
  }

  static String text(List<McpSchema.Content> content) {
    List<String> parts = new ArrayList<>();
    if (content != null) {
      for (McpSchema.Content c : content) {
        if (c instanceof McpSchema.TextContent t && t.text() != null) {
          parts.add(t.text());
        }
      }
    }
    return String.join("\n", parts);
  }

  /** Written by the SDK's own mapper, so that content items keep their wire form ({@code type} and all). */
  private static JsonNode tree(Object value, McpJsonMapper json) {
    try {
      return Json.MAPPER.readTree(json.writeValueAsString(value));
    } catch (IOException e) {
      throw new TaskFailure("the answer of an MCP tool could not be read as JSON: " + e.getMessage(), false);
    }
  }
}
