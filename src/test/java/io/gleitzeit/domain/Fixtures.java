package io.gleitzeit.domain;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Shared helpers for the domain tests. */
final class Fixtures {

    /** The example of SPEC §1, verbatim. */
    static final String SPEC_EXAMPLE_YAML = """
            id: nightly-report          # optional; [A-Za-z0-9_.-]{1,128}; generated ("wf-" + UUID) when absent
            name: Nightly report        # optional
            description: ...            # optional
            priority: normal            # low | normal | high | urgent (default normal)
            error_strategy: stop        # stop | continue (default stop)
            max_parallel: 16            # optional cap on tasks of this workflow running at once
            schedule_to_start_timeout: 300  # optional, seconds a ready task may wait for a provider (default: no limit)
            defaults: {timeout: 60, retry: {max_attempts: 5}}   # optional defaults for every task
            metadata: {team: data}      # optional, free JSON object, kept and returned
            tasks:
              - id: list_files          # required, unique in the workflow, [A-Za-z0-9_-]{1,64}
                name: Get file list     # optional
                method: mcp/tool.list_directory   # "<protocol>/<operation>": the routing key for providers
                params: {path: /data}   # optional JSON object; "parameters" is an alias (not both)
                dependencies: []        # ids of tasks in this workflow
                priority: high          # optional, as above
                timeout: 30             # optional, seconds from dispatch to the provider until its result
                retry: {max_attempts: 3, backoff: exponential, base_delay: 1.0, max_delay: 60, jitter: true}
                provider: ollama-1      # optional: pin to one provider id
              - id: analyze
                method: llm/generate
                params:
                  prompt: "Analyze: ${list_files.result}"
                  max_tokens: 200
                dependencies: [list_files]
            """;

    /** The same workflow as JSON. */
    static final String SPEC_EXAMPLE_JSON = """
            {"id": "nightly-report", "name": "Nightly report", "description": "...", "priority": "normal",
             "error_strategy": "stop", "max_parallel": 16, "schedule_to_start_timeout": 300,
             "defaults": {"timeout": 60, "retry": {"max_attempts": 5}}, "metadata": {"team": "data"},
             "tasks": [
               {"id": "list_files", "name": "Get file list", "method": "mcp/tool.list_directory",
                "params": {"path": "/data"}, "dependencies": [], "priority": "high", "timeout": 30,
                "retry": {"max_attempts": 3, "backoff": "exponential", "base_delay": 1.0, "max_delay": 60,
                          "jitter": true},
                "provider": "ollama-1"},
               {"id": "analyze", "method": "llm/generate",
                "params": {"prompt": "Analyze: ${list_files.result}", "max_tokens": 200},
                "dependencies": ["list_files"]}]}
            """;

    private Fixtures() {}

    static DefinitionParser parser() {
        return new DefinitionParser(Limits.DEFAULT, () -> "wf-generated");
    }

    static ParseResult parse(String text, SourceFormat format) {
        return parser().parse(text.getBytes(StandardCharsets.UTF_8), format);
    }

    static WorkflowDefinition valid(String text, SourceFormat format) {
        ParseResult result = parse(text, format);
        return assertInstanceOf(ParseResult.Valid.class, result, () -> "expected valid, got " + result).definition();
    }

    static List<Problem> problems(String text, SourceFormat format) {
        ParseResult result = parse(text, format);
        return assertInstanceOf(ParseResult.Invalid.class, result, () -> "expected invalid, got " + result).problems();
    }

    static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new AssertionError("bad test JSON: " + text, e);
        }
    }

    static ObjectNode object(String text) {
        return (ObjectNode) json(text);
    }
}
