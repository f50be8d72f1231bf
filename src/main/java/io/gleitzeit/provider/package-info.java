/**
 * Providers: the sharded provider entities (registration, held attempts, heartbeat deadline, health), the
 * per-node assignment coordinator that matches ready tasks to providers, and the runtimes that execute
 * attempts — built-in ones on every node, and external workers over a WebSocket. A runtime reports
 * outcomes straight to the workflow entity through sharding, at least once; the workflow fences by attempt.
 * Depends on {@code domain}, {@code events} (envelopes) and {@code workflow} (its commands); not on {@code api}.
 */
package io.gleitzeit.provider;
