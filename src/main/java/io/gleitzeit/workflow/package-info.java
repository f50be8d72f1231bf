/**
 * The workflow entity: a sharded, event-sourced actor per workflow whose journal is the workflow's event
 * store. It owns the DAG, every task's state and attempt, results, dependency propagation, parameter
 * substitution and the timers of its tasks. Decisions are taken by {@link io.gleitzeit.workflow.WorkflowDecisions}
 * (plain Java over the state); the actor only persists, replies and sends messages.
 * Depends on {@code domain}; must not depend on {@code api}.
 */
package io.gleitzeit.workflow;
