package io.gleitzeit.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReportGroupTest {

  private static WorkflowEvent started(String taskId, long sequence) {
    return new WorkflowEvent.TaskStarted("wf", taskId, 1, "p", Instant.EPOCH, sequence);
  }

  @Test
  void drainsEventsAndEffectsInTheOrderTheyWereAddedAndStartsEmptyAgain() {
    ReportGroup group = new ReportGroup();
    List<String> ran = new ArrayList<>();
    assertTrue(group.isEmpty());
    group.add(started("a", 1), s -> ran.add("a"));
    group.add(started("b", 2), s -> ran.add("b"));
    assertFalse(group.isEmpty());

    ReportGroup.Write write = group.drain();
    assertEquals(List.of(started("a", 1), started("b", 2)), write.events());
    write.effects().forEach(e -> e.accept(null));
    assertEquals(List.of("a", "b"), ran);
    assertTrue(group.isEmpty());
  }

  @Test
  void theLastAwaitedAnswerOfAGatheredWriteLetsItGo() {
    ReportGroup group = new ReportGroup();
    group.add(started("a", 1), s -> { });
    group.requestedEarly("b");
    group.requestedEarly("c");
    assertTrue(group.awaitsAnswers());
    assertFalse(group.answered("b"), "c is still awaited");
    assertFalse(group.answered("x"), "not awaited");
    assertTrue(group.answered("c"));
    assertFalse(group.awaitsAnswers());
    assertFalse(group.answered("c"), "only once");
  }

  @Test
  void answersThatComeAfterTheWriteAreNotAwaitedButEarlyRequestsAreStillSkippedOnce() {
    ReportGroup group = new ReportGroup();
    group.add(started("a", 1), s -> { });
    group.requestedEarly("b");
    group.drain(); // written when the hold ran out
    assertFalse(group.awaitsAnswers());
    assertFalse(group.answered("b"));
    assertTrue(group.takeRequestedEarly("b"), "the write's effect does not ask for b again");
    assertFalse(group.takeRequestedEarly("b"), "a later request (a retry) does");
  }
}
