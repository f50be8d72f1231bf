package io.gleitzeit.domain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;

/**
 * What placeholders can read from a task that has run (SPEC §2).
 *
 * @param result     the task's result, any JSON value; JSON null and Java null both mean null
 * @param status     the task's state as a wire word, e.g. "completed"; may be null
 * @param providerId the provider that ran it; may be null
 * @param durationMs how long the attempt ran; may be null
 */
public record TaskOutcome(JsonNode result, String status, String providerId, Long durationMs) {

    public TaskOutcome {
        // Jackson reads a null JsonNode back as NullNode: normalize now so that a round trip keeps equality.
        result = result == null || result.isMissingNode() ? NullNode.getInstance() : result;
    }
}
