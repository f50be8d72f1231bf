package io.gleitzeit.domain;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/** One step of a path into a task result: {@code .key} or {@code [n]}. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
        @JsonSubTypes.Type(value = PathStep.Key.class, name = "key"),
        @JsonSubTypes.Type(value = PathStep.Index.class, name = "index")})
public sealed interface PathStep {

    /** The step as written: {@code .name} or {@code [0]}. */
    String render();

    record Key(String name) implements PathStep {
        @Override
        public String render() {
            return "." + name;
        }
    }

    record Index(int index) implements PathStep {
        public Index {
            if (index < 0) {
                throw new IllegalArgumentException("index must be >= 0, got " + index);
            }
        }

        @Override
        public String render() {
            return "[" + index + "]";
        }
    }
}
