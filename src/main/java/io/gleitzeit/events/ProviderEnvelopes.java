package io.gleitzeit.events;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleitzeit.domain.ProviderSpec;
import io.gleitzeit.provider.ProviderEntity;
import io.gleitzeit.provider.ProviderEvent;
import io.gleitzeit.provider.ProviderEvent.ProviderDeregistered;
import io.gleitzeit.provider.ProviderEvent.ProviderMarkedUnhealthy;
import io.gleitzeit.provider.ProviderEvent.ProviderRecovered;
import io.gleitzeit.provider.ProviderEvent.ProviderRegistered;
import io.gleitzeit.provider.ProviderEvent.TaskAcquired;
import io.gleitzeit.provider.ProviderEvent.TaskReleased;
import io.gleitzeit.provider.ProviderStatus;
import io.gleitzeit.provider.TaskKey;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Maps a persisted provider event to the {@code provider:*} envelopes of the provider's stream (SPEC §4),
 * numbered from the event's first sequence number; and makes the live-only {@code provider:heartbeat}.
 */
public final class ProviderEnvelopes {

  static final String SUPERVISOR = "provider_supervisor";
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private ProviderEnvelopes() {}

  /** The id ({@link EventIds}) of envelope {@code sequence}, yielded by a journal event written at {@code at}. */
  public static String eventId(String providerId, long sequence, Instant at) {
    return EventIds.of(ProviderEntity.persistenceIdOf(providerId).id(), sequence, at);
  }

  public static List<EventEnvelope> of(ProviderEvent event) {
    if (event instanceof ProviderEvent.SlotsChanged e) {
      return e.changes().stream().flatMap(change -> of(change).stream()).toList();
    }
    List<EventEnvelope> out = new ArrayList<>(event.envelopeCount());
    if (event instanceof ProviderRegistered e) {
      add(out, event, "provider:registered", "info", spec(e.spec()).put("update", e.update()));
      if (!e.update()) {
        add(out, event, "provider:available", "info", obj().put("load", 0));
      } else if (ProviderStatus.BUSY.equals(e.turned())) {
        add(out, event, "provider:busy", "warning", obj().put("max_concurrency", e.spec().maxConcurrency()));
      } else if (ProviderStatus.AVAILABLE.equals(e.turned())) {
        add(out, event, "provider:available", "info", obj().put("max_concurrency", e.spec().maxConcurrency()));
      }
    } else if (event instanceof ProviderDeregistered e) {
      add(out, event, "provider:deregistered", "info", handedBack(obj(), e.handedBack()));
    } else if (event instanceof TaskAcquired e && e.nowBusy()) {
      add(out, event, "provider:busy", "warning", obj().put("workflow_id", e.key().workflowId())
          .put("task_id", e.key().taskId()).put("attempt", e.key().attempt()));
    } else if (event instanceof TaskReleased e && e.nowAvailable()) {
      add(out, event, "provider:available", "info", obj().put("outcome", e.outcome()));
    } else if (event instanceof ProviderMarkedUnhealthy e) {
      add(out, event, "provider:unhealthy", "error",
          handedBack(obj().put("missed_heartbeats", e.missedHeartbeats()), e.handedBack()));
    } else if (event instanceof ProviderEvent.ReportUndeliverable e) {
      deadLetter(out, e);
    } else if (event instanceof ProviderRecovered) {
      add(out, event, "provider:recovered", "info", obj());
      add(out, event, "provider:available", "info", obj());
    }
    if (out.size() != event.envelopeCount()) {
      throw new IllegalStateException(event.getClass().getSimpleName() + " yields " + out.size()
          + " envelopes but declares " + event.envelopeCount());
    }
    return out;
  }

  /** Live only (SPEC §4): no sequence number, a fresh id. */
  public static EventEnvelope heartbeat(String providerId, Instant at, String status, int load) {
    return new EventEnvelope(UUID.randomUUID().toString(), "provider:heartbeat", Timestamps.format(at), null,
        SUPERVISOR, providerId, null, null, providerId, "debug", obj().put("status", status).put("load", load), obj());
  }

  private static void add(List<EventEnvelope> out, ProviderEvent event, String type, String severity,
                          ObjectNode payload) {
    long seq = event.firstSequence() + out.size();
    String id = event.providerId();
    out.add(new EventEnvelope(eventId(id, seq, event.at()), type, Timestamps.format(event.at()), seq, SUPERVISOR, id,
        null, null, id, severity, payload, obj()));
  }

  /** The id of a report dead letter: stable, derived from the provider event that recorded it. */
  public static String deadLetterId(String providerId, long sequence) {
    String name = "dead-letter:report:" + ProviderEntity.persistenceIdOf(providerId).id() + "#" + sequence;
    return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
  }

  /**
   * SPEC §7: a report that could not be delivered. It lies in the provider's stream (correlation_id is the
   * provider) and names the attempt's workflow and task, so that the dead letter queue lists it with them.
   */
  private static void deadLetter(List<EventEnvelope> out, ProviderEvent.ReportUndeliverable e) {
    long seq = e.firstSequence() + out.size();
    TaskKey k = e.key();
    ObjectNode payload = obj().put("dead_letter_id", deadLetterId(e.providerId(), seq)).put("kind", "report")
        .put("attempt", k.attempt()).put("reason", e.reason()).put("error_type", "report_undeliverable");
    out.add(new EventEnvelope(eventId(e.providerId(), seq, e.at()), "dead_letter:added", Timestamps.format(e.at()), seq,
        SUPERVISOR, e.providerId(), k.workflowId(), k.taskId(), e.providerId(), "error", payload, obj()));
  }

  private static ObjectNode spec(ProviderSpec spec) {
    ObjectNode o = obj().put("type", spec.type()).put("max_concurrency", spec.maxConcurrency());
    ArrayNode methods = o.putArray("methods");
    spec.methods().forEach(methods::add);
    ObjectNode labels = o.putObject("labels");
    spec.labels().forEach(labels::put);
    return o;
  }

  private static ObjectNode handedBack(ObjectNode o, List<TaskKey> keys) {
    ArrayNode list = o.putArray("handed_back");
    for (TaskKey k : keys) {
      list.addObject().put("workflow_id", k.workflowId()).put("task_id", k.taskId()).put("attempt", k.attempt());
    }
    return o;
  }

  private static ObjectNode obj() {
    return NODES.objectNode();
  }
}
