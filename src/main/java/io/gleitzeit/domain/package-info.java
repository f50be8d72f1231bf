/**
 * The pure core of Gleitzeit: workflow definitions and their validation, the task DAG and ready-task
 * calculation, parameter substitution, the retry/backoff policy and the task state-transition table.
 *
 * <p>This package must not depend on Pekko or on any other part of Gleitzeit, and it does no I/O besides
 * parsing the bytes it is handed. Everything here is deterministic given its inputs (randomness and ids
 * are injected), so actors can call it from event handlers and tests can call it without a system.
 *
 * <p>Every model type is a record, an enum or a sealed interface of records, built only from values that
 * Jackson serializes as plain data, because these types travel inside persisted events.
 */
package io.gleitzeit.domain;
