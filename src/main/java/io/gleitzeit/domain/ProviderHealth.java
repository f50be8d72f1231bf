package io.gleitzeit.domain;

import java.util.ArrayList;
import java.util.List;

/**
 * Recent behaviour of a provider, from which {@link HealthScore} computes its health score. Immutable:
 * {@link #record} and {@link #withMissedHeartbeats} return a new value.
 *
 * @param recent           the last outcomes, oldest first, at most {@link #WINDOW} of them
 * @param missedHeartbeats heartbeat intervals that have passed in a row without a heartbeat, at least 0
 */
public record ProviderHealth(List<Outcome> recent, int missedHeartbeats) {

    /** Only the last WINDOW outcomes count, so that a provider that was fixed recovers within a few tasks. */
    public static final int WINDOW = 20;

    /**
     * How one task attempt on the provider ended.
     *
     * @param latencyMs from dispatch to result, at least 0
     */
    public record Outcome(boolean success, long latencyMs) {
        public Outcome {
            // Measured from wall clocks: a step backwards must not make a provider look faster than instant.
            latencyMs = Math.max(0, latencyMs);
        }
    }

    public ProviderHealth {
        List<Outcome> all = List.copyOf(recent);
        // Copy the tail rather than keep a view, so that the dropped outcomes are not retained.
        recent = all.size() > WINDOW ? List.copyOf(all.subList(all.size() - WINDOW, all.size())) : all;
        if (missedHeartbeats < 0) {
            throw new IllegalArgumentException("missedHeartbeats must be >= 0, got " + missedHeartbeats);
        }
    }

    /** No outcomes and no missed heartbeat: a provider that has just registered. */
    public static ProviderHealth fresh() {
        return new ProviderHealth(List.of(), 0);
    }

    /** This health with one more outcome; the oldest falls out once there are more than {@link #WINDOW}. */
    public ProviderHealth record(boolean success, long latencyMs) {
        List<Outcome> next = new ArrayList<>(recent.size() + 1);
        next.addAll(recent);
        next.add(new Outcome(success, latencyMs));
        return new ProviderHealth(next, missedHeartbeats);
    }

    public ProviderHealth withMissedHeartbeats(int missed) {
        return new ProviderHealth(recent, missed);
    }

    /** Successes over outcomes in the window; 1.0 with none, since nothing has gone wrong yet. */
    public double successRate() {
        if (recent.isEmpty()) {
            return 1.0;
        }
        return (double) successes() / recent.size();
    }

    /** The mean latency over the window; 0 with no outcomes. */
    public double averageLatencyMs() {
        if (recent.isEmpty()) {
            return 0.0;
        }
        double sum = 0;
        for (Outcome o : recent) {
            sum += o.latencyMs();
        }
        return sum / recent.size();
    }

    /** Successful outcomes in the window. */
    int successes() {
        int n = 0;
        for (Outcome o : recent) {
            if (o.success()) {
                n++;
            }
        }
        return n;
    }
}
