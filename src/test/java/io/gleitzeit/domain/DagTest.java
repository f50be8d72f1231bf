package io.gleitzeit.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DagTest {

    /**
     * <pre>
     *   a ──► c ──► e ──► g
     *   b ──► d ──┘       ▲
     *   b ──────────► f ──┘      h (alone)
     * </pre>
     * written with dependents before some of their dependencies to prove definition order wins.
     */
    private static final Dag DAG = Dag.of(List.of(
            task("e", "c", "d"),
            task("a"),
            task("c", "a"),
            task("b"),
            task("g", "e", "f"),
            task("d", "b"),
            task("f", "b"),
            task("h")));

    private static TaskDefinition task(String id, String... dependencies) {
        return new TaskDefinition(id, null, "t/x", null, List.of(dependencies), Priority.NORMAL, null,
                RetryPolicy.DEFAULT, null);
    }

    private static List<String> list(String csv) {
        return csv.isBlank() ? List.of() : Arrays.asList(csv.trim().split(" "));
    }

    @Test
    void shouldListRootsInDefinitionOrder() {
        assertEquals(List.of("a", "b", "h"), DAG.roots());
        assertEquals(List.of("e", "a", "c", "b", "g", "d", "f", "h"), DAG.taskIds());
    }

    @ParameterizedTest(name = "{0}: dependents [{1}], dependencies [{2}]")
    @CsvSource(delimiter = '|', textBlock = """
            a | c     | ''
            b | d f   | ''
            c | e     | a
            d | e     | b
            e | g     | c d
            f | g     | b
            g | ''    | e f
            h | ''    | ''
            """)
    void shouldListDirectNeighbours(String id, String dependents, String dependencies) {
        assertEquals(list(dependents), DAG.dependentsOf(id));
        assertEquals(list(dependencies), DAG.dependenciesOf(id));
    }

    @ParameterizedTest(name = "{0}: ancestors [{1}], downstream [{2}]")
    @CsvSource(delimiter = '|', textBlock = """
            a | ''          | e c g
            b | ''          | e g d f
            c | a           | e g
            e | a b c d     | g
            g | a b c d e f | ''
            f | b           | g
            h | ''          | ''
            """)
    void shouldFollowEdgesTransitively(String id, String ancestors, String downstream) {
        assertEquals(Set.copyOf(list(ancestors)), DAG.ancestorsOf(id));
        assertEquals(list(downstream), DAG.downstreamOf(id));
    }

    @ParameterizedTest(name = "{0} completes with [{1}] done -> [{2}]")
    @CsvSource(delimiter = '|', textBlock = """
            a | ''      | c
            c | ''      | ''
            c | b d     | e
            d | a c     | e
            b | ''      | d f
            e | ''      | ''
            e | f       | g
            f | c d e   | g
            h | a b c   | ''
            """)
    void shouldReleaseOnlyDependentsWhoseDependenciesAreAllDone(String completed, String done, String ready) {
        Set<String> doneSet = list(done).stream().collect(Collectors.toSet());
        assertEquals(list(ready), DAG.newlyReady(completed, (dependent, d) -> doneSet.contains(d)));
    }

    @Test
    void shouldCountTheCompletedTaskAsDoneEvenIfThePredicateDoesNot() {
        assertEquals(List.of("d", "f"), DAG.newlyReady("b", (dependent, d) -> false));
    }

    @Test
    void shouldFanInOnlyWhenTheLastDependencyCompletes() {
        Dag fanIn = Dag.of(List.of(task("x"), task("y"), task("z"), task("join", "x", "y", "z")));
        Set<String> done = new java.util.HashSet<>();
        done.add("x");
        assertEquals(List.of(), fanIn.newlyReady("x", (dependent, d) -> done.contains(d)));
        done.add("z");
        assertEquals(List.of(), fanIn.newlyReady("z", (dependent, d) -> done.contains(d)));
        done.add("y");
        assertEquals(List.of("join"), fanIn.newlyReady("y", (dependent, d) -> done.contains(d)));
    }

    @Test
    void shouldHandleALongChainWithoutRecursion() {
        List<TaskDefinition> tasks = new java.util.ArrayList<>();
        tasks.add(task("t0"));
        for (int i = 1; i < 20_000; i++) {
            tasks.add(task("t" + i, "t" + (i - 1)));
        }
        Dag chain = Dag.of(tasks);
        assertEquals(19_999, chain.ancestorsOf("t19999").size());
        assertEquals(19_999, chain.downstreamOf("t0").size());
        assertEquals("t1", chain.downstreamOf("t0").get(0));
    }

    @Test
    void shouldRejectUnknownTaskIds() {
        assertThrows(IllegalArgumentException.class, () -> DAG.dependentsOf("nope"));
        assertThrows(IllegalArgumentException.class, () -> Dag.of(List.of(task("a", "ghost"))));
    }
}
