/**
 * Providers: the runtimes that execute tasks (built-in ones as actors on every node), their descriptors, and
 * the per-node assignment coordinator that matches ready tasks to providers. A runtime reports results
 * straight to the workflow entity through sharding, at least once; the workflow fences by attempt.
 */
package io.gleitzeit.provider;
