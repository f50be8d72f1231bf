/**
 * Metrics in Prometheus text format through Micrometer (SPEC §5 {@code GET /metrics}): task durations by
 * method and provider, task outcomes, workflows by status, provider health and load, events written.
 * Each node exposes its own; Prometheus scrapes every node.
 */
package io.gleitzeit.metrics;
