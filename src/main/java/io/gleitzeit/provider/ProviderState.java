package io.gleitzeit.provider;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.gleitzeit.domain.ProviderHealth;
import io.gleitzeit.domain.ProviderSpec;
import io.gleitzeit.provider.ProviderEvent.ProviderDeregistered;
import io.gleitzeit.provider.ProviderEvent.ProviderMarkedUnhealthy;
import io.gleitzeit.provider.ProviderEvent.ProviderRecovered;
import io.gleitzeit.provider.ProviderEvent.ProviderRegistered;
import io.gleitzeit.provider.ProviderEvent.TaskAcquired;
import io.gleitzeit.provider.ProviderEvent.TaskReleased;
import io.gleitzeit.serialization.JsonSerializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/** A provider's state, rebuilt from its events; {@link #apply} is pure (it also runs during replay). */
public final class ProviderState implements JsonSerializable {

  /** An attempt this provider holds. */
  public record HeldTask(TaskKey key, String method, Instant since) implements JsonSerializable {}

  public ProviderSpec spec;
  public Instant registeredAt;
  public boolean deregistered;
  public boolean unhealthy;
  public ProviderHealth health = ProviderHealth.fresh();
  /** Keyed by {@link TaskKey#toString()}, in acquisition order. */
  public final LinkedHashMap<String, HeldTask> held = new LinkedHashMap<>();
  /** The attempts handed back by the last unhealthy or deregistered transition, re-announced after a restart. */
  public List<TaskKey> handedBack = List.of();
  public long lastSequence;

  public static ProviderState empty() {
    return new ProviderState();
  }

  @JsonIgnore
  public boolean exists() {
    return spec != null;
  }

  public boolean holds(TaskKey key) {
    return held.containsKey(key.toString());
  }

  @JsonIgnore
  public int load() {
    return held.size();
  }

  @JsonIgnore
  public List<TaskKey> heldKeys() {
    List<TaskKey> keys = new ArrayList<>(held.size());
    held.values().forEach(h -> keys.add(h.key()));
    return keys;
  }

  /** SPEC §6: available, busy, unhealthy or deregistered. */
  @JsonIgnore
  public String status() {
    return statusWithLoad(held.size());
  }

  /** The status this provider has when it holds {@code load} attempts (its entity's decided, unwritten ones too). */
  public String statusWithLoad(int load) {
    if (deregistered) {
      return ProviderStatus.DEREGISTERED;
    }
    if (unhealthy) {
      return ProviderStatus.UNHEALTHY;
    }
    return load >= spec.maxConcurrency() ? ProviderStatus.BUSY : ProviderStatus.AVAILABLE;
  }

  public ProviderState apply(ProviderEvent event) {
    if (event instanceof ProviderRegistered e) {
      spec = e.spec();
      if (!e.update()) {
        registeredAt = e.at();
        deregistered = false;
        unhealthy = false;
        health = ProviderHealth.fresh();
      }
    } else if (event instanceof ProviderDeregistered e) {
      deregistered = true;
      handedBack = List.copyOf(e.handedBack());
      held.clear();
    } else if (event instanceof ProviderEvent.SlotsChanged e) {
      e.changes().forEach(this::apply);
    } else if (event instanceof TaskAcquired e) {
      held.put(e.key().toString(), new HeldTask(e.key(), e.method(), e.at()));
    } else if (event instanceof TaskReleased e) {
      held.remove(e.key().toString());
      if (!TaskReleased.RELEASED.equals(e.outcome()) && !TaskReleased.REFUSED.equals(e.outcome())) {
        health = health.record(TaskReleased.SUCCEEDED.equals(e.outcome()), e.latencyMs());
      }
    } else if (event instanceof ProviderMarkedUnhealthy e) {
      unhealthy = true;
      handedBack = List.copyOf(e.handedBack());
      held.clear();
    } else if (event instanceof ProviderRecovered) {
      unhealthy = false;
    } else if (!(event instanceof ProviderEvent.ReportUndeliverable)) {
      throw new IllegalArgumentException("unknown provider event " + event.getClass().getName());
    }
    lastSequence = event.lastSequence();
    return this;
  }
}
