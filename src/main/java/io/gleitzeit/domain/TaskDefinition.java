package io.gleitzeit.domain;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * One task of a validated workflow, with every default already applied.
 *
 * @param name         optional display name, may be null
 * @param params       the parameters as written (placeholders unresolved); never null, empty when absent
 * @param dependencies ids of tasks of the same workflow, in the order written
 * @param priority     the task's own priority, else the workflow's
 * @param timeout      the task's timeout, else {@code defaults.timeout}, else null (no timeout)
 * @param retry        the effective policy: task's partial retry, then {@code defaults.retry}, then SPEC §7
 * @param provider     optional provider id the task is pinned to, may be null
 */
public record TaskDefinition(String id, String name, String method, ObjectNode params, List<String> dependencies,
                             Priority priority, Duration timeout, RetryPolicy retry, String provider) {

    public TaskDefinition {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(method, "method");
        params = params != null ? params : JsonNodeFactory.instance.objectNode();
        dependencies = dependencies != null ? List.copyOf(dependencies) : List.of();
        priority = priority != null ? priority : Priority.NORMAL;
        retry = retry != null ? retry : RetryPolicy.DEFAULT;
    }
}
