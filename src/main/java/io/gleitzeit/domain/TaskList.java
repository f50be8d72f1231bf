package io.gleitzeit.domain;

import java.util.AbstractList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.RandomAccess;

/**
 * The tasks of a {@link WorkflowDefinition}: an immutable list in definition order that also finds a task by id
 * in constant time. The engine looks tasks up by id for every grant, outcome and timeout; a scan of the list made
 * a workflow of 10,000 tasks do 10,000 × 10,000 comparisons. Serialised as the plain list it is.
 */
final class TaskList extends AbstractList<TaskDefinition> implements RandomAccess {

    private final List<TaskDefinition> tasks;
    private final Map<String, TaskDefinition> byId;

    private TaskList(List<TaskDefinition> tasks) {
        this.tasks = List.copyOf(tasks);
        this.byId = new HashMap<>(this.tasks.size() * 2);
        for (TaskDefinition t : this.tasks) {
            byId.putIfAbsent(t.id(), t); // the first of repeated ids, as a scan finds (only parser input repeats)
        }
    }

    static TaskList of(List<TaskDefinition> tasks) {
        return tasks instanceof TaskList list ? list : new TaskList(tasks);
    }

    /** The first task with this id, or null. */
    TaskDefinition byId(String id) {
        return byId.get(id);
    }

    @Override
    public TaskDefinition get(int index) {
        return tasks.get(index);
    }

    @Override
    public int size() {
        return tasks.size();
    }
}
