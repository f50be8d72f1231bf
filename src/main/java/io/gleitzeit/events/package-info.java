/**
 * The event store's outward face: journal events seen as SPEC §4 envelopes (a view, never a copy), their
 * stable ids and numbering, reading a workflow's history from the journal, the live stream, and the query
 * side — projections of the tagged journal into indexed tables ({@code EventIndex}: {@code GET /events},
 * the workflow list). Depends on {@code workflow}, {@code provider} and {@code domain}; must not depend on
 * {@code api}.
 */
package io.gleitzeit.events;
