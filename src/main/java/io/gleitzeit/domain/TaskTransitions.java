package io.gleitzeit.domain;

import static io.gleitzeit.domain.TaskState.ASSIGNED;
import static io.gleitzeit.domain.TaskState.CANCELLED;
import static io.gleitzeit.domain.TaskState.COMPLETED;
import static io.gleitzeit.domain.TaskState.FAILED;
import static io.gleitzeit.domain.TaskState.PENDING;
import static io.gleitzeit.domain.TaskState.READY;
import static io.gleitzeit.domain.TaskState.RETRY_SCHEDULED;
import static io.gleitzeit.domain.TaskState.RUNNING;
import static io.gleitzeit.domain.TaskState.SKIPPED;

import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The task state machine of SPEC §3 as one explicit table, so that every move a workflow makes can be
 * checked against it and a test can prove that every edge is exercised.
 */
public final class TaskTransitions {

    private static final Map<TaskState, Set<TaskState>> TABLE = new EnumMap<>(TaskState.class);

    static {
        edges(PENDING, READY, SKIPPED, CANCELLED);
        edges(READY, ASSIGNED, FAILED, CANCELLED);
        // assigned -> ready: reassigned as a new attempt; -> failed: parameter resolution failed or not
        // retryable; -> retry_scheduled: timed out before the provider started it.
        edges(ASSIGNED, RUNNING, READY, FAILED, RETRY_SCHEDULED, CANCELLED);
        edges(RUNNING, COMPLETED, FAILED, RETRY_SCHEDULED, READY, CANCELLED);
        edges(RETRY_SCHEDULED, READY, CANCELLED);
        edges(COMPLETED);
        // A manual retry or requeue reopens a failed or cancelled task; reopening downstream tasks sends
        // cancelled and skipped ones back to pending.
        edges(FAILED, READY);
        edges(CANCELLED, READY, PENDING);
        edges(SKIPPED, PENDING);
    }

    private TaskTransitions() {}

    private static void edges(TaskState from, TaskState... to) {
        Set<TaskState> targets = EnumSet.noneOf(TaskState.class);
        Collections.addAll(targets, to);
        TABLE.put(from, Collections.unmodifiableSet(targets));
    }

    public static boolean allowed(TaskState from, TaskState to) {
        return TABLE.get(from).contains(to);
    }

    /** The states {@code from} may move to, in declaration order. */
    public static Set<TaskState> targets(TaskState from) {
        return TABLE.get(from);
    }

    /** The states from which {@code to} can be reached in one move, in declaration order. */
    public static Set<TaskState> sources(TaskState to) {
        Set<TaskState> sources = EnumSet.noneOf(TaskState.class);
        TABLE.forEach((from, targets) -> {
            if (targets.contains(to)) {
                sources.add(from);
            }
        });
        return Collections.unmodifiableSet(sources);
    }

    /** Throws {@link IllegalStateException} "Expected a task in one of [..] to become X, but it is Y". */
    public static void require(TaskState from, TaskState to) {
        if (!allowed(from, to)) {
            String expected = sources(to).stream().map(TaskState::wire).collect(Collectors.joining(", "));
            throw new IllegalStateException("Expected a task in one of [" + expected + "] to become " + to.wire()
                    + ", but it is " + from.wire());
        }
    }

    /** Every allowed edge, grouped by source state in declaration order. */
    public static Set<Map.Entry<TaskState, TaskState>> all() {
        Set<Map.Entry<TaskState, TaskState>> all = new LinkedHashSet<>();
        TABLE.forEach((from, targets) -> targets.forEach(to -> all.add(Map.entry(from, to))));
        return Collections.unmodifiableSet(all);
    }
}
