package io.gleitzeit.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Finding a task by id, which the engine does for every grant, outcome and timeout of a workflow. */
class WorkflowDefinitionTest {

    private static WorkflowDefinition wide(int tasks) {
        StringBuilder yaml = new StringBuilder("tasks:\n");
        for (int i = 0; i < tasks; i++) {
            yaml.append("  - {id: t").append(i).append(", method: test/echo}\n");
        }
        return Fixtures.valid(yaml.toString(), SourceFormat.YAML);
    }

    @Test
    void findsEveryTaskByItsIdAndNothingElse() {
        WorkflowDefinition definition = wide(2_000);
        for (TaskDefinition t : definition.tasks()) {
            assertSame(t, definition.task(t.id()));
        }
        assertNull(definition.task("t2000"));
        assertNull(definition.task(null));
    }

    @Test
    void keepsDefinitionOrderAndIsImmutable() {
        List<TaskDefinition> given = new ArrayList<>(wide(3).tasks());
        WorkflowDefinition definition = new WorkflowDefinition("w", null, null, null, null, null, null, null, given);
        given.clear();
        assertEquals(List.of("t0", "t1", "t2"), definition.tasks().stream().map(TaskDefinition::id).toList());
        assertThrows(UnsupportedOperationException.class, () -> definition.tasks().remove(0));
        assertThrows(UnsupportedOperationException.class, () -> definition.tasks().add(definition.tasks().get(0)));
        assertTrue(definition.tasks().equals(List.copyOf(definition.tasks())));
    }

    @Test
    void aDefinitionBuiltFromAnothersTasksFindsThemToo() {
        WorkflowDefinition first = wide(5);
        WorkflowDefinition copy = new WorkflowDefinition("copy", "n", null, null, null, 2, null, null, first.tasks());
        assertSame(first.tasks().get(4), copy.task("t4"));
        assertEquals(first.tasks(), copy.tasks());
    }

    @Test
    void repeatedIdsFindTheFirstAsAScanWould() {
        TaskDefinition one = wide(1).tasks().get(0);
        TaskDefinition other = Fixtures.valid("tasks: [{id: t0, method: test/sleep}]", SourceFormat.YAML).tasks().get(0);
        WorkflowDefinition definition = new WorkflowDefinition("w", null, null, null, null, null, null, null,
                List.of(one, other));
        assertSame(one, definition.task("t0"));
    }

    @Test
    void travelsAsAPlainJsonArray() throws Exception {
        WorkflowDefinition definition = wide(3);
        String json = Json.MAPPER.writeValueAsString(definition);
        WorkflowDefinition back = Json.MAPPER.readValue(json, WorkflowDefinition.class);
        assertEquals(definition, back);
        assertSame(back.tasks().get(1), back.task("t1"));
        assertTrue(Json.MAPPER.readTree(json).get("tasks").isArray());
    }
}
