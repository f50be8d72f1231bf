package io.gleitzeit.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gleitzeit.domain.ProviderHealth.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProviderHealthTest {

    @Test
    void shouldStartWithNoOutcomesAndNoMissedHeartbeat() {
        ProviderHealth fresh = ProviderHealth.fresh();
        assertEquals(new ProviderHealth(List.of(), 0), fresh);
        assertEquals(1.0, fresh.successRate());
        assertEquals(0.0, fresh.averageLatencyMs());
    }

    @Test
    void shouldAppendOutcomesWithoutChangingTheOriginal() {
        ProviderHealth fresh = ProviderHealth.fresh();
        ProviderHealth one = fresh.record(true, 10);
        ProviderHealth two = one.record(false, 31);
        assertEquals(List.of(), fresh.recent());
        assertEquals(List.of(new Outcome(true, 10)), one.recent());
        assertEquals(List.of(new Outcome(true, 10), new Outcome(false, 31)), two.recent());
        assertEquals(0.5, two.successRate());
        assertEquals(20.5, two.averageLatencyMs());
        assertEquals(1, two.successes());
    }

    @ParameterizedTest(name = "{0} outcomes, every third a failure -> rate {1}, mean latency {2}")
    @CsvSource({
            "1,  1.0,  1.0",
            "3,  0.6666666666666666, 2.0",
            "20, 0.7, 10.5",
            // outcomes 6..25 remain: failures at 6, 9, ..., 24 (7 of them); latencies 6..25
            "25, 0.65, 15.5",
            // outcomes 81..100 remain: failures at 81, 84, ..., 99 (7 of them)
            "100, 0.65, 90.5"})
    void shouldCountOnlyTheLastWindowOfOutcomes(int n, double rate, double latency) {
        ProviderHealth h = ProviderHealth.fresh();
        for (int i = 1; i <= n; i++) {
            h = h.record(i % 3 != 0, i);
        }
        assertEquals(Math.min(n, ProviderHealth.WINDOW), h.recent().size());
        assertEquals(Math.max(1, n - ProviderHealth.WINDOW + 1), h.recent().get(0).latencyMs());
        assertEquals(n, h.recent().get(h.recent().size() - 1).latencyMs());
        assertEquals(rate, h.successRate());
        assertEquals(latency, h.averageLatencyMs());
    }

    @Test
    void shouldForgetOldFailuresOnceAWindowOfSuccessesFollows() {
        ProviderHealth h = ProviderHealth.fresh();
        for (int i = 0; i < 20; i++) {
            h = h.record(false, 5000);
        }
        assertEquals(0.0, h.successRate());
        for (int i = 0; i < 20; i++) {
            h = h.record(true, 0);
        }
        assertEquals(1.0, h.successRate());
        assertEquals(0.0, h.averageLatencyMs());
    }

    @Test
    void shouldKeepTheLastWindowWhenBuiltFromALongerList() {
        List<Outcome> outcomes = new ArrayList<>();
        IntStream.rangeClosed(1, 23).forEach(i -> outcomes.add(new Outcome(true, i)));
        ProviderHealth h = new ProviderHealth(outcomes, 1);
        assertEquals(IntStream.rangeClosed(4, 23).mapToObj(i -> new Outcome(true, i)).toList(), h.recent());
        outcomes.clear();
        assertEquals(20, h.recent().size());
    }

    @Test
    void shouldReadANegativeLatencyAsZero() {
        assertEquals(new Outcome(true, 0), new Outcome(true, -40));
        assertEquals(0.0, ProviderHealth.fresh().record(true, -40).averageLatencyMs());
    }

    @Test
    void shouldReplaceMissedHeartbeatsAndKeepOutcomes() {
        ProviderHealth h = ProviderHealth.fresh().record(false, 7).withMissedHeartbeats(2);
        assertEquals(new ProviderHealth(List.of(new Outcome(false, 7)), 2), h);
        assertEquals(new ProviderHealth(List.of(new Outcome(false, 7)), 0), h.withMissedHeartbeats(0));
        assertEquals(2, h.record(true, 1).missedHeartbeats());
    }

    @Test
    void shouldRejectImpossibleValues() {
        assertEquals("missedHeartbeats must be >= 0, got -1", assertThrows(IllegalArgumentException.class,
                () -> ProviderHealth.fresh().withMissedHeartbeats(-1)).getMessage());
        assertThrows(NullPointerException.class, () -> new ProviderHealth(null, 0));
    }
}
