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
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The task state machine of SPEC §3. As in Temporal's state-machine tests, the class fails if an edge of the
 * table is never exercised here, so a new edge cannot slip in untested.
 */
class TaskTransitionsTest {

    /** Every edge, with why it exists: the test's own copy of SPEC §3. */
    static Stream<Arguments> allowedEdges() {
        return Stream.of(
                Arguments.of(PENDING, READY, "all dependencies completed"),
                Arguments.of(PENDING, SKIPPED, "an upstream task failed under error_strategy continue"),
                Arguments.of(PENDING, CANCELLED, "workflow cancelled or stopped"),
                Arguments.of(READY, ASSIGNED, "a provider was chosen"),
                Arguments.of(READY, FAILED, "schedule_to_start_timeout passed"),
                Arguments.of(READY, CANCELLED, "workflow cancelled or stopped"),
                Arguments.of(ASSIGNED, RUNNING, "the provider started it"),
                Arguments.of(ASSIGNED, READY, "reassigned after provider loss, new attempt"),
                Arguments.of(ASSIGNED, FAILED, "parameter resolution failed, or a non-retryable failure"),
                Arguments.of(ASSIGNED, RETRY_SCHEDULED, "timed out, will retry"),
                Arguments.of(ASSIGNED, CANCELLED, "workflow cancelled or stopped"),
                Arguments.of(RUNNING, COMPLETED, "result arrived"),
                Arguments.of(RUNNING, FAILED, "failed for good"),
                Arguments.of(RUNNING, RETRY_SCHEDULED, "failed or timed out, will retry"),
                Arguments.of(RUNNING, READY, "reassigned after provider loss, new attempt"),
                Arguments.of(RUNNING, CANCELLED, "workflow cancelled or stopped"),
                Arguments.of(RETRY_SCHEDULED, READY, "backoff elapsed"),
                Arguments.of(RETRY_SCHEDULED, CANCELLED, "workflow cancelled or stopped"),
                Arguments.of(FAILED, READY, "manual retry or requeue"),
                Arguments.of(CANCELLED, READY, "manual retry"),
                Arguments.of(CANCELLED, PENDING, "reopened as downstream of a retried task"),
                Arguments.of(SKIPPED, PENDING, "reopened as downstream of a retried task"));
    }

    private static final Set<Map.Entry<TaskState, TaskState>> EXERCISED = new LinkedHashSet<>();

    @ParameterizedTest(name = "{0} -> {1}: {2}")
    @MethodSource("allowedEdges")
    void shouldAllowEveryEdgeOfTheTable(TaskState from, TaskState to, String why) {
        assertTrue(TaskTransitions.allowed(from, to), why);
        assertTrue(TaskTransitions.targets(from).contains(to));
        assertTrue(TaskTransitions.sources(to).contains(from));
        assertDoesNotThrow(() -> TaskTransitions.require(from, to));
        EXERCISED.add(Map.entry(from, to));
    }

    @Test
    void shouldHaveExactlyTheEdgesListedHere() {
        Set<Map.Entry<TaskState, TaskState>> listed = new LinkedHashSet<>();
        allowedEdges().forEach(a -> listed.add(Map.entry((TaskState) a.get()[0], (TaskState) a.get()[1])));
        assertEquals(listed, TaskTransitions.all());
        assertEquals(22, TaskTransitions.all().size());
    }

    @AfterAll
    static void everyEdgeOfTheTableWasExercised() {
        // Only meaningful when the parameterized test ran in this JVM (it always does with the class).
        if (EXERCISED.isEmpty()) {
            return;
        }
        Set<Map.Entry<TaskState, TaskState>> missing = new LinkedHashSet<>(TaskTransitions.all());
        missing.removeAll(EXERCISED);
        assertEquals(Set.of(), missing, "edges of TaskTransitions never exercised by shouldAllowEveryEdgeOfTheTable");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "COMPLETED, RUNNING", "COMPLETED, READY", "COMPLETED, PENDING", "COMPLETED, FAILED",
            "PENDING, RUNNING", "PENDING, ASSIGNED", "PENDING, COMPLETED", "PENDING, FAILED",
            "READY, RUNNING", "READY, COMPLETED", "READY, RETRY_SCHEDULED", "READY, SKIPPED",
            "ASSIGNED, COMPLETED", "RUNNING, ASSIGNED", "RUNNING, SKIPPED",
            "RETRY_SCHEDULED, RUNNING", "RETRY_SCHEDULED, FAILED",
            "FAILED, RUNNING", "FAILED, PENDING", "FAILED, COMPLETED", "FAILED, CANCELLED",
            "CANCELLED, RUNNING", "CANCELLED, COMPLETED", "SKIPPED, READY", "SKIPPED, RUNNING"})
    void shouldRejectEdgesNotInTheTable(TaskState from, TaskState to) {
        assertFalse(TaskTransitions.allowed(from, to));
        assertThrows(IllegalStateException.class, () -> TaskTransitions.require(from, to));
    }

    @ParameterizedTest
    @EnumSource(TaskState.class)
    void shouldNeverAllowStayingInTheSameState(TaskState state) {
        assertFalse(TaskTransitions.allowed(state, state));
    }

    @Test
    void shouldNeverLeaveCompleted() {
        assertEquals(Set.of(), TaskTransitions.targets(COMPLETED));
    }

    @Test
    void shouldExplainARejectedTransition() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TaskTransitions.require(COMPLETED, RUNNING));
        assertEquals("Expected a task in one of [assigned] to become running, but it is completed", e.getMessage());
        IllegalStateException e2 = assertThrows(IllegalStateException.class,
                () -> TaskTransitions.require(PENDING, COMPLETED));
        assertEquals("Expected a task in one of [running] to become completed, but it is pending", e2.getMessage());
        IllegalStateException e3 = assertThrows(IllegalStateException.class,
                () -> TaskTransitions.require(COMPLETED, READY));
        assertEquals("Expected a task in one of [pending, assigned, running, failed, retry_scheduled, cancelled] to "
                + "become ready, but it is completed", e3.getMessage());
    }

    @Test
    void shouldAnswerTargetsInDeclarationOrder() {
        assertEquals(List.of(READY, RUNNING, FAILED, RETRY_SCHEDULED, CANCELLED),
                List.copyOf(TaskTransitions.targets(ASSIGNED)));
        assertEquals(List.of(PENDING, ASSIGNED, RUNNING, FAILED, RETRY_SCHEDULED, CANCELLED),
                List.copyOf(TaskTransitions.sources(READY)));
    }
}
