package io.gleitzeit.domain;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiPredicate;

/**
 * The dependency graph of a validated workflow, indexed both ways. Every list it answers is in definition
 * order, so that what a workflow does next never depends on hash order.
 */
public final class Dag {

    private final List<String> order;
    private final Map<String, Integer> position;
    private final Map<String, List<String>> dependencies;
    private final Map<String, List<String>> dependents;

    private Dag(List<String> order, Map<String, List<String>> dependencies, Map<String, List<String>> dependents) {
        this.order = order;
        this.dependencies = dependencies;
        this.dependents = dependents;
        this.position = new HashMap<>();
        for (int i = 0; i < order.size(); i++) {
            position.put(order.get(i), i);
        }
    }

    /** Indexes validated tasks: ids unique, dependencies known, no cycle. */
    public static Dag of(List<TaskDefinition> tasks) {
        List<String> order = new ArrayList<>(tasks.size());
        Map<String, List<String>> dependencies = new HashMap<>();
        Map<String, List<String>> dependents = new HashMap<>();
        for (TaskDefinition t : tasks) {
            order.add(t.id());
            dependencies.put(t.id(), List.copyOf(new LinkedHashSet<>(t.dependencies())));
            dependents.put(t.id(), new ArrayList<>());
        }
        // Walking tasks in definition order appends each dependent in definition order.
        for (TaskDefinition t : tasks) {
            for (String d : dependencies.get(t.id())) {
                List<String> list = dependents.get(d);
                if (list == null) {
                    throw new IllegalArgumentException("task " + t.id() + " depends on unknown task " + d);
                }
                list.add(t.id());
            }
        }
        dependents.replaceAll((id, list) -> List.copyOf(list));
        return new Dag(List.copyOf(order), dependencies, dependents);
    }

    /** Every task id, in definition order. */
    public List<String> taskIds() {
        return order;
    }

    public boolean contains(String taskId) {
        return position.containsKey(taskId);
    }

    /** Tasks with no dependencies, in definition order: they are ready as soon as the workflow starts. */
    public List<String> roots() {
        return order.stream().filter(id -> dependencies.get(id).isEmpty()).toList();
    }

    /** Direct dependents, in definition order. */
    public List<String> dependentsOf(String taskId) {
        return dependents.get(known(taskId));
    }

    /** Direct dependencies, as written. */
    public List<String> dependenciesOf(String taskId) {
        return dependencies.get(known(taskId));
    }

    /** Transitive dependencies: every task that must complete before this one can run. */
    public Set<String> ancestorsOf(String taskId) {
        return Collections.unmodifiableSet(reach(known(taskId), dependencies));
    }

    /** Transitive dependents, in definition order: what a failure of this task skips. */
    public List<String> downstreamOf(String taskId) {
        Set<String> reached = reach(known(taskId), dependents);
        return order.stream().filter(reached::contains).toList();
    }

    /**
     * The dependents of {@code completed} whose dependencies are now all met, in definition order: {@code isMet} is
     * asked with the dependent and each of its other dependencies ({@code completed} is met whatever it says).
     */
    public List<String> newlyReady(String completed, BiPredicate<String, String> isMet) {
        List<String> ready = new ArrayList<>();
        for (String dependent : dependentsOf(completed)) {
            boolean all = true;
            for (String d : dependencies.get(dependent)) {
                if (!d.equals(completed) && !isMet.test(dependent, d)) {
                    all = false;
                    break;
                }
            }
            if (all) {
                ready.add(dependent);
            }
        }
        return ready;
    }

    private String known(String taskId) {
        if (!position.containsKey(taskId)) {
            throw new IllegalArgumentException("unknown task '" + taskId + "'");
        }
        return taskId;
    }

    /** Iterative (a 10,000-task chain must not overflow the stack), breadth first. */
    private static Set<String> reach(String start, Map<String, List<String>> edges) {
        Set<String> seen = new LinkedHashSet<>();
        Deque<String> queue = new ArrayDeque<>(edges.get(start));
        while (!queue.isEmpty()) {
            String next = queue.poll();
            if (seen.add(next)) {
                queue.addAll(edges.get(next));
            }
        }
        return seen;
    }
}
