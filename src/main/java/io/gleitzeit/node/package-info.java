/**
 * A Gleitzeit node: settings read once from configuration, start-up (journal schema, cluster, sharding,
 * coordinator, built-in providers, HTTP), readiness, and the process entry point.
 */
package io.gleitzeit.node;
