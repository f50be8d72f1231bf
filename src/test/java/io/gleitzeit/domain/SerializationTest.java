package io.gleitzeit.domain;

import static io.gleitzeit.domain.Fixtures.json;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.fasterxml.jackson.module.paramnames.ParameterNamesModule;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The model travels inside persisted events (pekko-serialization-jackson with these modules): every type must
 * survive a round trip through a plain mapper, with durations written either as numbers or as ISO text.
 */
class SerializationTest {

    static Stream<ObjectMapper> mappers() {
        ObjectMapper numeric = new ObjectMapper()
                .registerModule(new ParameterNamesModule()).registerModule(new Jdk8Module())
                .registerModule(new JavaTimeModule());
        ObjectMapper iso = new ObjectMapper()
                .registerModule(new ParameterNamesModule()).registerModule(new Jdk8Module())
                .registerModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
        return Stream.of(numeric, iso);
    }

    static Stream<Arguments> values() {
        WorkflowDefinition full = Fixtures.valid(Fixtures.SPEC_EXAMPLE_YAML, SourceFormat.YAML);
        WorkflowDefinition sparse = Fixtures.valid("tasks: [{id: a, method: t/x, params: {n: [1, 2.5, null, {}]}}]",
                SourceFormat.YAML);
        Placeholder placeholder = new Placeholder("${a.result.items[0]}", "a", PlaceholderField.RESULT,
                List.of(new PathStep.Key("items"), new PathStep.Index(0)));
        return mappers().flatMap(mapper -> Stream.of(
                Arguments.of(mapper, full, WorkflowDefinition.class),
                Arguments.of(mapper, sparse, WorkflowDefinition.class),
                Arguments.of(mapper, full.tasks().get(0), TaskDefinition.class),
                Arguments.of(mapper, new RetryPolicy(4, Backoff.LINEAR, Duration.ofMillis(1500),
                        Duration.ofMillis(2), false), RetryPolicy.class),
                Arguments.of(mapper, new ParseResult.Valid(full), ParseResult.class),
                Arguments.of(mapper, new ParseResult.Invalid(List.of(new Problem("tasks[0].id", "bad"))),
                        ParseResult.class),
                Arguments.of(mapper, placeholder, Placeholder.class),
                Arguments.of(mapper, new PathStep.Index(3), PathStep.class),
                Arguments.of(mapper, new TaskOutcome(json("{\"a\": [1]}"), "completed", "p-1", 12L),
                        TaskOutcome.class),
                Arguments.of(mapper, new TaskOutcome(null, null, null, null), TaskOutcome.class),
                Arguments.of(mapper, new Substitution("$.v", "${a.result}", NullNode.getInstance(), false),
                        Substitution.class),
                Arguments.of(mapper, new Resolution.Resolved(Fixtures.object("{\"v\": 1}"),
                        List.of(new Substitution("$.v", "${a.result}", json("1"), true))), Resolution.class),
                Arguments.of(mapper, new Resolution.Failed("${a.result.x}", "$.v", "key 'x' not found"),
                        Resolution.class),
                Arguments.of(mapper, Limits.DEFAULT, Limits.class),
                Arguments.of(mapper, TaskState.RETRY_SCHEDULED, TaskState.class),
                Arguments.of(mapper, WorkflowStatus.FAILED, WorkflowStatus.class)));
    }

    @ParameterizedTest(name = "[{index}] {2}")
    @MethodSource("values")
    void shouldRoundTripThroughAPlainMapper(ObjectMapper mapper, Object value, Class<?> type) throws Exception {
        String written = mapper.writeValueAsString(value);
        assertEquals(value, mapper.readValue(written, type), written);
    }

    @ParameterizedTest
    @MethodSource("mappers")
    void shouldWriteOnlyTheRecordComponents(ObjectMapper mapper) throws Exception {
        WorkflowDefinition wf = Fixtures.valid(Fixtures.SPEC_EXAMPLE_YAML, SourceFormat.YAML);
        List<String> fields = List.copyOf(iterable(mapper.readTree(mapper.writeValueAsString(wf)).fieldNames()));
        assertEquals(List.of("id", "name", "description", "priority", "errorStrategy", "maxParallel",
                "scheduleToStartTimeout", "metadata", "tasks"), fields);
        List<String> retryFields = List.copyOf(iterable(
                mapper.readTree(mapper.writeValueAsString(RetryPolicy.DEFAULT)).fieldNames()));
        assertEquals(List.of("maxAttempts", "backoff", "baseDelay", "maxDelay", "jitter"), retryFields);
    }

    private static <T> List<T> iterable(java.util.Iterator<T> it) {
        List<T> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
