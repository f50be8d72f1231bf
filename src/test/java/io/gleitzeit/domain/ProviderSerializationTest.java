package io.gleitzeit.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.fasterxml.jackson.module.paramnames.ParameterNamesModule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Provider registrations and health travel inside persisted events: they must survive a round trip through a
 * plain mapper and through one configured like pekko-serialization-jackson (every field visible, unknown
 * properties ignored), and must write only their record components.
 */
class ProviderSerializationTest {

    static Stream<ObjectMapper> mappers() {
        ObjectMapper plain = new ObjectMapper()
                .registerModule(new ParameterNamesModule()).registerModule(new Jdk8Module())
                .registerModule(new JavaTimeModule());
        ObjectMapper pekkoLike = new ObjectMapper()
                .registerModule(new ParameterNamesModule()).registerModule(new Jdk8Module())
                .registerModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .setVisibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.ANY);
        return Stream.of(plain, pekkoLike);
    }

    private static ProviderSpec full() {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("zone", "eu");
        labels.put("gpu", "a100");
        labels.put("arch", "x86");
        return new ProviderSpec("gpu-1", "llm", List.of("llm/generate", "mcp/tool.*"), 8, labels);
    }

    private static ProviderHealth busy() {
        ProviderHealth h = ProviderHealth.fresh();
        for (int i = 0; i < 25; i++) {
            h = h.record(i % 4 != 0, 100L * i);
        }
        return h.withMissedHeartbeats(2);
    }

    static Stream<Arguments> values() {
        return mappers().flatMap(mapper -> Stream.of(
                Arguments.of(mapper, full(), ProviderSpec.class),
                Arguments.of(mapper, new ProviderSpec("t", "test", List.of("test/*"), 1, Map.of()), ProviderSpec.class),
                Arguments.of(mapper, ProviderHealth.fresh(), ProviderHealth.class),
                Arguments.of(mapper, busy(), ProviderHealth.class),
                Arguments.of(mapper, new ProviderHealth.Outcome(false, Long.MAX_VALUE), ProviderHealth.Outcome.class),
                Arguments.of(mapper, new ProviderSpecResult.Valid(full()), ProviderSpecResult.class),
                Arguments.of(mapper, new ProviderSpecResult.Invalid(List.of(new Problem("methods[1]", "bad"))),
                        ProviderSpecResult.class)));
    }

    @ParameterizedTest(name = "[{index}] {2}")
    @MethodSource("values")
    void shouldRoundTripThroughAMapper(ObjectMapper mapper, Object value, Class<?> type) throws Exception {
        String written = mapper.writeValueAsString(value);
        assertEquals(value, mapper.readValue(written, type), written);
    }

    @ParameterizedTest
    @MethodSource("mappers")
    void shouldWriteOnlyTheRecordComponents(ObjectMapper mapper) throws Exception {
        assertEquals(List.of("id", "type", "methods", "maxConcurrency", "labels"), fields(mapper, full()));
        assertEquals(List.of("recent", "missedHeartbeats"), fields(mapper, busy()));
        assertEquals(List.of("success", "latencyMs"), fields(mapper, new ProviderHealth.Outcome(true, 1)));
        assertEquals("{\"recent\":[{\"success\":true,\"latencyMs\":5}],\"missedHeartbeats\":1}",
                mapper.writeValueAsString(ProviderHealth.fresh().record(true, 5).withMissedHeartbeats(1)));
    }

    @ParameterizedTest
    @MethodSource("mappers")
    void shouldKeepTheLabelOrderThroughARoundTrip(ObjectMapper mapper) throws Exception {
        ProviderSpec back = mapper.readValue(mapper.writeValueAsString(full()), ProviderSpec.class);
        assertEquals(List.of("zone", "gpu", "arch"), List.copyOf(back.labels().keySet()));
    }

    private static List<String> fields(ObjectMapper mapper, Object value) throws Exception {
        List<String> out = new ArrayList<>();
        mapper.readTree(mapper.writeValueAsString(value)).fieldNames().forEachRemaining(out::add);
        return out;
    }
}
