package io.gleitzeit.domain;

import java.util.List;
import java.util.Objects;

/**
 * A well-formed {@code ${...}} reference to another task.
 *
 * @param text   the whole placeholder as written, e.g. {@code ${a.result.items[0]}} or {@code ${task_a_result}}
 * @param taskId the task it names
 * @param field  what it takes from that task
 * @param path   steps into the result; empty for the whole value and for every field but {@code result}
 */
public record Placeholder(String text, String taskId, PlaceholderField field, List<PathStep> path) {

    public Placeholder {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(taskId, "taskId");
        Objects.requireNonNull(field, "field");
        path = path != null ? List.copyOf(path) : List.of();
    }
}
