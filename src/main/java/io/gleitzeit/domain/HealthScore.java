package io.gleitzeit.domain;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** A provider's health score (SPEC §6, in [0, 1]) and the choice of provider for a task by score and load. */
public final class HealthScore {

    /** The average latency at which the latency factor halves: 30 s, beyond any normal quick call. */
    public static final double LATENCY_HALF_MS = 30_000;

    private HealthScore() {}

    /**
     * {@code score = success × latency × heartbeat}, clamped to [0, 1], where over the outcomes of the window
     * ({@code s} successes of {@code n}):
     * <ul>
     *   <li>{@code success = (s + 1) / (n + 1)}: the success rate, smoothed so that a fresh provider scores 1
     *       and a run of failures lowers the score without ever reaching 0. Task failures may be the task's own
     *       fault ({@code test/fail} always fails), so they rank a provider lower but never exclude it;</li>
     *   <li>{@code latency = 1 / (1 + averageLatencyMs / 30000)}: 1 when instant, 1/2 at an average of 30 s;</li>
     *   <li>{@code heartbeat = max(0, 1 − missed / unhealthyAfterMissed)}: each missed heartbeat takes an equal
     *       share, and the score is 0 once {@code unhealthyAfterMissed} are missed (the provider is unhealthy).</li>
     * </ul>
     *
     * @param unhealthyAfterMissed missed heartbeats that make a provider unhealthy (SPEC §6: 3), at least 1
     */
    public static double of(ProviderHealth health, int unhealthyAfterMissed) {
        Objects.requireNonNull(health, "health");
        if (unhealthyAfterMissed < 1) {
            throw new IllegalArgumentException("unhealthyAfterMissed must be >= 1, got " + unhealthyAfterMissed);
        }
        double success = (health.successes() + 1.0) / (health.recent().size() + 1.0);
        double latency = 1.0 / (1.0 + health.averageLatencyMs() / LATENCY_HALF_MS);
        double heartbeat = Math.max(0.0, 1.0 - (double) health.missedHeartbeats() / unhealthyAfterMissed);
        return Math.min(1.0, Math.max(0.0, success * latency * heartbeat));
    }

    /**
     * A provider that could take a task.
     *
     * @param value          what the caller gets back when this one is picked, not null
     * @param id             the provider id, the last tie-breaker
     * @param score          its health score, see {@link #of}
     * @param load           tasks it holds now, at least 0
     * @param maxConcurrency tasks it may hold, at least 1
     */
    public record Candidate<T>(T value, String id, double score, int load, int maxConcurrency) {
        public Candidate {
            Objects.requireNonNull(value, "value");
            Objects.requireNonNull(id, "id");
            if (load < 0) {
                throw new IllegalArgumentException("load must be >= 0, got " + load);
            }
            if (maxConcurrency < 1) {
                throw new IllegalArgumentException("maxConcurrency must be >= 1, got " + maxConcurrency);
            }
        }

        /** Its score times the fraction of its slots that are free: how much good capacity it offers. */
        public double weight() {
            return score * (maxConcurrency - load) / maxConcurrency;
        }

        boolean pickable() {
            // A NaN score fails "> 0" too: an unknown health is not a health.
            return load < maxConcurrency && score > 0;
        }
    }

    // Highest weight first, then the least loaded, then the smallest id, so that the choice never depends on
    // the order in which candidates were listed (unless they are identical in all three).
    private static final Comparator<Candidate<?>> PREFERENCE = Comparator
            .<Candidate<?>>comparingDouble(Candidate::weight).reversed()
            .thenComparingInt(Candidate::load)
            .thenComparing(Candidate::id);

    /**
     * The candidate with the highest {@code score × free slots / maxConcurrency}; ties go to the lower load, then
     * to the smaller id. A candidate with no free slot or a score of 0 is never picked; empty when none is left.
     */
    public static <T> Optional<T> best(List<Candidate<T>> candidates) {
        Candidate<T> best = null;
        for (Candidate<T> c : candidates) {
            if (c.pickable() && (best == null || PREFERENCE.compare(c, best) < 0)) {
                best = c;
            }
        }
        return best == null ? Optional.empty() : Optional.of(best.value());
    }
}
