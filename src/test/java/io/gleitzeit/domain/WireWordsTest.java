package io.gleitzeit.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The lower-case words of the enums, both ways. */
class WireWordsTest {

    static Stream<Arguments> words() {
        return Stream.of(
                Arguments.of(Priority.LOW, "low"), Arguments.of(Priority.NORMAL, "normal"),
                Arguments.of(Priority.HIGH, "high"), Arguments.of(Priority.URGENT, "urgent"),
                Arguments.of(ErrorStrategy.STOP, "stop"), Arguments.of(ErrorStrategy.CONTINUE, "continue"),
                Arguments.of(Backoff.FIXED, "fixed"), Arguments.of(Backoff.LINEAR, "linear"),
                Arguments.of(Backoff.EXPONENTIAL, "exponential"),
                Arguments.of(TaskState.RETRY_SCHEDULED, "retry_scheduled"), Arguments.of(TaskState.PENDING, "pending"),
                Arguments.of(WorkflowStatus.RUNNING, "running"), Arguments.of(WorkflowStatus.CANCELLED, "cancelled"),
                Arguments.of(PlaceholderField.PROVIDER_ID, "provider_id"),
                Arguments.of(PlaceholderField.DURATION_MS, "duration_ms"));
    }

    @ParameterizedTest(name = "{0} <-> {1}")
    @MethodSource("words")
    void shouldMapEachConstantToItsWordAndBack(Enum<?> constant, String word) {
        Optional<?> back;
        String wire;
        if (constant instanceof Priority p) {
            wire = p.wire();
            back = Priority.fromWire(word);
        } else if (constant instanceof ErrorStrategy e) {
            wire = e.wire();
            back = ErrorStrategy.fromWire(word);
        } else if (constant instanceof Backoff b) {
            wire = b.wire();
            back = Backoff.fromWire(word);
        } else if (constant instanceof TaskState s) {
            wire = s.wire();
            back = TaskState.fromWire(word);
        } else if (constant instanceof WorkflowStatus w) {
            wire = w.wire();
            back = WorkflowStatus.fromWire(word);
        } else {
            PlaceholderField f = (PlaceholderField) constant;
            wire = f.wire();
            back = PlaceholderField.fromWire(word);
        }
        assertEquals(word, wire);
        assertEquals(Optional.of(constant), back);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "HIGH", "High", " high", "highest"})
    void shouldRejectWordsThatAreNotExact(String word) {
        assertEquals(Optional.empty(), Priority.fromWire(word));
        assertEquals(Optional.empty(), ErrorStrategy.fromWire(word));
        assertEquals(Optional.empty(), Backoff.fromWire(word));
    }

    @ParameterizedTest
    @CsvSource({"PENDING,false", "READY,false", "ASSIGNED,false", "RUNNING,false", "RETRY_SCHEDULED,false",
            "COMPLETED,true", "FAILED,true", "CANCELLED,true", "SKIPPED,true"})
    void shouldKnowWhichTaskStatesAreTerminal(TaskState state, boolean terminal) {
        assertEquals(terminal, state.terminal());
    }

    @ParameterizedTest
    @EnumSource(WorkflowStatus.class)
    void shouldTreatEveryWorkflowStatusButRunningAsTerminal(WorkflowStatus status) {
        assertEquals(status != WorkflowStatus.RUNNING, status.terminal());
        assertTrue(WorkflowStatus.fromWire(status.wire()).isPresent());
    }
}
