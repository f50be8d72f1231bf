package io.gleitzeit.domain;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A validated workflow definition (SPEC §1). Only {@link DefinitionParser} should build one from user
 * input: the record itself checks nulls, not the rules of §1.
 *
 * @param id                     as given, or generated ("wf-" + UUID) when absent
 * @param name                   optional, may be null
 * @param description            optional, may be null
 * @param maxParallel            optional cap on running tasks, may be null (no cap)
 * @param scheduleToStartTimeout how long a ready task may wait for a provider, may be null (no limit)
 * @param metadata               free JSON object kept and returned; never null
 * @param tasks                  in definition order (held as an immutable {@link TaskList})
 */
public record WorkflowDefinition(String id, String name, String description, Priority priority,
                                 ErrorStrategy errorStrategy, Integer maxParallel, Duration scheduleToStartTimeout,
                                 ObjectNode metadata, List<TaskDefinition> tasks) {

    public WorkflowDefinition {
        Objects.requireNonNull(id, "id");
        priority = priority != null ? priority : Priority.NORMAL;
        errorStrategy = errorStrategy != null ? errorStrategy : ErrorStrategy.STOP;
        metadata = metadata != null ? metadata : JsonNodeFactory.instance.objectNode();
        tasks = TaskList.of(tasks != null ? tasks : List.of());
    }

    /** The task with this id, or null; constant time ({@link TaskList}). */
    public TaskDefinition task(String id) {
        return ((TaskList) tasks).byId(id);
    }
}
