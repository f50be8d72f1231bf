/**
 * The event store's outward face: journal events seen as SPEC §4 envelopes (a view, never a copy), their
 * stable ids and numbering, reading a workflow's history from the journal, and the live stream.
 * Depends on {@code workflow} and {@code domain}; must not depend on {@code api}.
 */
package io.gleitzeit.events;
