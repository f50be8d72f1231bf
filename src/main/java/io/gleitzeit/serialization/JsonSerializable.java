package io.gleitzeit.serialization;

/**
 * Marker for every message and event that crosses a node boundary or is written to the journal.
 * Bound to Pekko's Jackson JSON serializer in {@code conf/serialization.conf}.
 */
public interface JsonSerializable {}
