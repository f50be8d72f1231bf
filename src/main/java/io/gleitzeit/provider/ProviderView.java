package io.gleitzeit.provider;

import io.gleitzeit.domain.ProviderSpec;
import io.gleitzeit.serialization.JsonSerializable;
import java.time.Instant;
import java.util.List;

/** A provider as {@code GET /providers/{id}} shows it (SPEC §6). */
public record ProviderView(ProviderSpec spec, String status, double healthScore, int load, List<TaskKey> heldTasks,
                           Instant lastHeartbeat, Instant registeredAt, boolean connected, double successRate,
                           double averageLatencyMs, long lastSequence) implements JsonSerializable {}
