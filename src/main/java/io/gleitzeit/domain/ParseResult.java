package io.gleitzeit.domain;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;
import java.util.Objects;

/** The outcome of {@link DefinitionParser#parse}: a valid definition, or every problem found. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
        @JsonSubTypes.Type(value = ParseResult.Valid.class, name = "valid"),
        @JsonSubTypes.Type(value = ParseResult.Invalid.class, name = "invalid")})
public sealed interface ParseResult {

    record Valid(WorkflowDefinition definition) implements ParseResult {
        public Valid {
            Objects.requireNonNull(definition, "definition");
        }
    }

    /** Never empty: a definition with no problems is {@link Valid}. */
    record Invalid(List<Problem> problems) implements ParseResult {
        public Invalid {
            problems = List.copyOf(problems);
            if (problems.isEmpty()) {
                throw new IllegalArgumentException("an invalid definition has at least one problem");
            }
        }
    }
}
