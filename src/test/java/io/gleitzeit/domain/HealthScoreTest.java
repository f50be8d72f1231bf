package io.gleitzeit.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.gleitzeit.domain.HealthScore.Candidate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class HealthScoreTest {

    private static final double EXACT = 1e-12;

    private static ProviderHealth outcomes(int successes, int failures, long latencyMs) {
        ProviderHealth h = ProviderHealth.fresh();
        for (int i = 0; i < successes; i++) {
            h = h.record(true, latencyMs);
        }
        for (int i = 0; i < failures; i++) {
            h = h.record(false, latencyMs);
        }
        return h;
    }

    @Test
    void shouldScoreAFreshProviderOne() {
        assertEquals(1.0, HealthScore.of(ProviderHealth.fresh(), 3));
        assertEquals(1.0, HealthScore.of(ProviderHealth.fresh(), 1));
    }

    @ParameterizedTest(name = "{0} successes, {1} failures, {2} ms, {3} missed of {4} -> {5}")
    @CsvSource({
            // success term alone: (s + 1) / (n + 1)
            "5,  0, 0,     0, 3, 1.0",
            "20, 0, 0,     0, 3, 1.0",
            "3,  1, 0,     0, 3, 0.8",
            "1,  1, 0,     0, 3, 0.6666666666666666",
            "0,  1, 0,     0, 3, 0.5",
            "0,  20, 0,    0, 3, 0.047619047619047616",
            "19, 1, 0,     0, 3, 0.9523809523809523",
            // latency term alone: 1 / (1 + ms / 30000)
            "4,  0, 30000, 0, 3, 0.5",
            "4,  0, 10000, 0, 3, 0.75",
            "4,  0, 90000, 0, 3, 0.25",
            "4,  0, 300,   0, 3, 0.9900990099009901",
            // heartbeat term alone: max(0, 1 - missed / limit)
            "0,  0, 0,     1, 3, 0.6666666666666667",
            "0,  0, 0,     2, 3, 0.33333333333333337",
            "0,  0, 0,     3, 3, 0.0",
            "0,  0, 0,     7, 3, 0.0",
            "0,  0, 0,     1, 1, 0.0",
            "0,  0, 0,     1, 5, 0.8",
            // all three: 0.8 * 0.5 * 0.75
            "3,  1, 30000, 1, 4, 0.3",
            "3,  1, 30000, 4, 4, 0.0"})
    void shouldMultiplySuccessLatencyAndHeartbeatTerms(int successes, int failures, long latencyMs, int missed,
                                                       int limit, double expected) {
        ProviderHealth h = outcomes(successes, failures, latencyMs).withMissedHeartbeats(missed);
        assertEquals(expected, HealthScore.of(h, limit), EXACT);
    }

    @Test
    void shouldLowerTheScoreWithEveryFailureUntilTheWindowIsFull() {
        ProviderHealth h = ProviderHealth.fresh();
        double previous = HealthScore.of(h, 3);
        for (int k = 1; k <= 30; k++) {
            h = h.record(false, 0);
            double score = HealthScore.of(h, 3);
            assertEquals(1.0 / (Math.min(k, ProviderHealth.WINDOW) + 1), score, EXACT, "after " + k + " failures");
            if (k <= ProviderHealth.WINDOW) {
                assertTrue(score < previous, "failure " + k + ": " + score + " < " + previous);
            } else {
                assertEquals(previous, score, "a full window of failures stays where it is");
            }
            assertTrue(score > 0, "failures alone never exclude a provider");
            previous = score;
        }
    }

    @Test
    void shouldLowerTheScoreOfAGoodProviderWithEachFailureInItsWindow() {
        ProviderHealth h = outcomes(20, 0, 0);
        double previous = HealthScore.of(h, 3);
        for (int k = 1; k <= 20; k++) {
            h = h.record(false, 0);
            double score = HealthScore.of(h, 3);
            assertEquals((20.0 - k + 1) / 21, score, EXACT, "after " + k + " failures");
            assertTrue(score < previous);
            previous = score;
        }
    }

    @Test
    void shouldScoreASlowProviderBelowAFastOneWithTheSameSuccessRate() {
        double fast = HealthScore.of(outcomes(9, 1, 100), 3);
        double slow = HealthScore.of(outcomes(9, 1, 5000), 3);
        assertEquals(10.0 / 11 * 300 / 301, fast, EXACT);
        assertEquals(10.0 / 11 * 6 / 7, slow, EXACT);
        assertTrue(slow < fast);
    }

    @Test
    void shouldLowerTheScoreWithEachMissedHeartbeatAndReachZeroAtTheLimit() {
        ProviderHealth h = outcomes(10, 0, 0);
        assertEquals(List.of(1.0, 0.75, 0.5, 0.25, 0.0, 0.0), Stream.of(0, 1, 2, 3, 4, 5)
                .map(missed -> HealthScore.of(h.withMissedHeartbeats(missed), 4)).toList());
    }

    @Test
    void shouldRecoverOnceOldOutcomesLeaveTheWindow() {
        ProviderHealth h = outcomes(0, 20, 60_000);
        assertEquals(1.0 / 21 / 3, HealthScore.of(h, 3), EXACT);
        for (int i = 0; i < ProviderHealth.WINDOW; i++) {
            h = h.record(true, 0);
        }
        assertEquals(1.0, HealthScore.of(h, 3));
    }

    @Test
    void shouldRejectALimitBelowOne() {
        assertEquals("unhealthyAfterMissed must be >= 1, got 0", assertThrows(IllegalArgumentException.class,
                () -> HealthScore.of(ProviderHealth.fresh(), 0)).getMessage());
    }

    // ---- best ----

    /** Candidates written "id score load max"; the value is the id. */
    private static List<Candidate<String>> candidates(String... specs) {
        List<Candidate<String>> out = new ArrayList<>();
        for (String spec : specs) {
            String[] p = spec.split(" ");
            out.add(new Candidate<>(p[0], p[0], Double.parseDouble(p[1]), Integer.parseInt(p[2]),
                    Integer.parseInt(p[3])));
        }
        return out;
    }

    static Stream<Arguments> choices() {
        return Stream.of(
                arguments(List.of(), null),
                arguments(List.of("a 1.0 0 1"), "a"),
                // free capacity: a offers 1.0 * 1/4, b offers 0.5 * 4/4
                arguments(List.of("a 1.0 3 4", "b 0.5 0 4"), "b"),
                // higher score at the same load
                arguments(List.of("a 0.6 0 2", "b 0.9 0 2"), "b"),
                arguments(List.of("a 0.9 1 2", "b 0.6 1 2"), "a"),
                // a larger provider with the same load has more free capacity
                arguments(List.of("a 1.0 2 4", "b 1.0 2 8"), "b"),
                // never a full provider, however healthy
                arguments(List.of("a 1.0 2 2", "b 0.01 0 1"), "b"),
                arguments(List.of("a 1.0 2 2", "b 1.0 1 1"), null),
                arguments(List.of("a 1.0 5 2"), null),
                // never a provider scoring 0 (unhealthy), however idle
                arguments(List.of("a 0.0 0 10", "b 0.1 9 10"), "b"),
                arguments(List.of("a 0.0 0 10"), null),
                arguments(List.of("a NaN 0 10", "b 0.2 0 1"), "b"),
                arguments(List.of("a NaN 0 10"), null),
                arguments(List.of("a -0.5 0 10"), null),
                // equal weight (0.5): the lower load wins
                arguments(List.of("a 1.0 1 2", "b 0.5 0 2"), "b"),
                arguments(List.of("b 0.5 0 2", "a 1.0 1 2"), "b"),
                // equal weight and load: the smaller id wins, whatever the order
                arguments(List.of("b 0.8 1 4", "a 0.8 1 4", "c 0.8 1 4"), "a"),
                arguments(List.of("c 0.8 1 4", "b 0.8 1 4", "a 0.8 1 4"), "a"),
                arguments(List.of("p-10 0.7 0 3", "p-9 0.7 0 3"), "p-10"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("choices")
    void shouldPickTheBestCandidate(List<String> specs, String expected) {
        assertEquals(Optional.ofNullable(expected), HealthScore.best(candidates(specs.toArray(String[]::new))));
    }

    @Test
    void shouldPickTheSameCandidateInEveryOrder() {
        List<Candidate<String>> all = candidates("a 0.9 3 4", "b 0.5 1 2", "c 0.25 0 1", "d 0.75 2 3",
                "e 1.0 4 4", "f 0.0 0 8", "g 0.5 2 4");
        // weights: a 0.225, b 0.25, c 0.25, d 0.25, g 0.25; b, c, d and g tie, c has the lowest load (0)
        for (int seed = 0; seed < 50; seed++) {
            List<Candidate<String>> shuffled = new ArrayList<>(all);
            Collections.shuffle(shuffled, new java.util.Random(seed));
            assertEquals(Optional.of("c"), HealthScore.best(shuffled), shuffled::toString);
        }
    }

    @ParameterizedTest
    @CsvSource({"1.0, 0, 4, 1.0", "1.0, 3, 4, 0.25", "0.5, 1, 2, 0.25", "0.8, 4, 4, 0.0", "0.9, 0, 1, 0.9"})
    void shouldWeighScoreByFreeCapacity(double score, int load, int max, double weight) {
        assertEquals(weight, new Candidate<>("v", "p", score, load, max).weight(), EXACT);
    }

    @Test
    void shouldRejectImpossibleCandidates() {
        assertEquals("load must be >= 0, got -1", assertThrows(IllegalArgumentException.class,
                () -> new Candidate<>("v", "p", 1.0, -1, 1)).getMessage());
        assertEquals("maxConcurrency must be >= 1, got 0", assertThrows(IllegalArgumentException.class,
                () -> new Candidate<>("v", "p", 1.0, 0, 0)).getMessage());
        assertThrows(NullPointerException.class, () -> new Candidate<>(null, "p", 1.0, 0, 1));
        assertThrows(NullPointerException.class, () -> new Candidate<>("v", null, 1.0, 0, 1));
    }
}
