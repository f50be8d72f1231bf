package io.gleitzeit.domain;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** The outcome of {@link ParameterResolver#resolve}. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
        @JsonSubTypes.Type(value = Resolution.Resolved.class, name = "resolved"),
        @JsonSubTypes.Type(value = Resolution.Failed.class, name = "failed")})
public sealed interface Resolution {

    /** The parameters to send, and one audit entry per substituted placeholder (empty when there were none). */
    record Resolved(ObjectNode params, List<Substitution> audit) implements Resolution {
        public Resolved {
            java.util.Objects.requireNonNull(params, "params");
            audit = List.copyOf(audit);
        }
    }

    /**
     * The first placeholder that could not be resolved; the task fails at once, without retry.
     *
     * @param reason e.g. "key 'x' not found in result of task a", "index 3 out of range (size 2) in ..."
     */
    record Failed(String placeholder, String parameterPath, String reason) implements Resolution {}
}
