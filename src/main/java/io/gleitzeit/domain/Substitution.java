package io.gleitzeit.domain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;

/**
 * One audited substitution, carried by {@code parameters:resolved}.
 *
 * @param parameterPath JSON-path style location in params: {@code $.prompt}, {@code $.items[0].name}
 * @param placeholder   the placeholder as written
 * @param value         the inserted value, or when it is too large a text of its first characters + "…"
 * @param truncated     whether {@code value} was cut
 */
public record Substitution(String parameterPath, String placeholder, JsonNode value, boolean truncated) {

    public Substitution {
        // Jackson reads a null JsonNode back as NullNode: normalize now so that a round trip keeps equality.
        value = value == null || value.isMissingNode() ? NullNode.getInstance() : value;
    }
}
