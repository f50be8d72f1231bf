package io.gleitzeit.provider;

import io.gleitzeit.domain.ProviderSpec;
import io.gleitzeit.serialization.JsonSerializable;

/**
 * What coordinators know of a provider, published by its entity on every change: registration, health,
 * load and whether a runtime is attached. Coordinators keep only these; they rebuild them by asking.
 */
public record ProviderStatus(ProviderSpec spec, String status, double healthScore, int load, boolean connected,
                             long version) implements JsonSerializable {

  public static final String AVAILABLE = "available";
  public static final String BUSY = "busy";
  public static final String UNHEALTHY = "unhealthy";
  public static final String DEREGISTERED = "deregistered";

  public String id() {
    return spec.id();
  }

  /** Registered and heartbeating: available or busy, not unhealthy or deregistered. */
  public boolean healthy() {
    return AVAILABLE.equals(status) || BUSY.equals(status);
  }

  /** Can be offered work now. */
  public boolean accepting() {
    return connected && healthy() && load < spec.maxConcurrency();
  }
}
