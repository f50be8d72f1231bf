package io.gleitzeit.domain;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;
import java.util.Objects;

/** The outcome of {@link ProviderSpecParser#parse}: a valid registration, or every problem found. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
        @JsonSubTypes.Type(value = ProviderSpecResult.Valid.class, name = "valid"),
        @JsonSubTypes.Type(value = ProviderSpecResult.Invalid.class, name = "invalid")})
public sealed interface ProviderSpecResult {

    record Valid(ProviderSpec spec) implements ProviderSpecResult {
        public Valid {
            Objects.requireNonNull(spec, "spec");
        }
    }

    /** Never empty: a registration with no problems is {@link Valid}. */
    record Invalid(List<Problem> problems) implements ProviderSpecResult {
        public Invalid {
            problems = List.copyOf(problems);
            if (problems.isEmpty()) {
                throw new IllegalArgumentException("an invalid registration has at least one problem");
            }
        }
    }
}
