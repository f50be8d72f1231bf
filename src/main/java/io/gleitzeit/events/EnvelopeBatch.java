package io.gleitzeit.events;

import io.gleitzeit.serialization.JsonSerializable;
import java.util.List;

/** The envelopes of one journal event, published together on the live stream, in order. */
public record EnvelopeBatch(List<EventEnvelope> envelopes) implements JsonSerializable {}
