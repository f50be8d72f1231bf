package io.gleitzeit.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gleitzeit.domain.Json;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link EventEnvelope#toTree} is what Jackson makes of an envelope, for every envelope any event yields. */
class EventEnvelopeTreeTest {

  @Test
  void shouldBuildTheSameTreeAsJacksonForEveryEnvelopeOfEverySampleEvent() {
    List<EventEnvelope> envelopes = new ArrayList<>();
    SampleEvents.all().values().forEach(e -> envelopes.addAll(WorkflowEnvelopes.of(e)));
    SampleProviderEvents.all().values().forEach(e -> envelopes.addAll(ProviderEnvelopes.of(e)));
    assertTrue(envelopes.size() > 40, "every kind of envelope: " + envelopes.size());
    for (EventEnvelope e : envelopes) {
      assertEquals(Json.MAPPER.valueToTree(e), e.toTree(), e.eventType());
      assertEquals(Json.compact(Json.MAPPER.valueToTree(e)), Json.compact(e.toTree()), e.eventType());
    }
  }

  @Test
  void shouldWriteAbsentFieldsAsNulls() {
    EventEnvelope bare = new EventEnvelope("id", "provider:heartbeat", "2026-11-26T10:30:00.123Z", null, "provider",
        null, null, null, null, "debug", null, null);
    assertEquals(Json.MAPPER.valueToTree(bare), bare.toTree());
    assertEquals(12, bare.toTree().size());
  }
}
