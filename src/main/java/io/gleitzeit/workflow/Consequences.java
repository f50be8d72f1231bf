package io.gleitzeit.workflow;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.gleitzeit.domain.WorkflowStatus;
import java.util.List;
import java.util.Map;

/**
 * What one task's outcome causes elsewhere in the workflow, decided together with it and persisted in the
 * same journal event: dependents that became ready, tasks for which a provider is now requested, tasks
 * skipped or cancelled, and the workflow's final status when it ends ({@code null} while it runs on).
 * {@code attempts} names the attempt of each readied or requested task whose attempt is not 1 (a task a manual
 * retry reopened, a retry held back by {@code max_parallel}), so that their envelopes say which attempt they
 * are about; events written before it existed read as all attempts 1, which is what they were.
 * {@code cancelledOn} names the provider of each cancelled task that had an attempt on one (assigned or running),
 * the {@code provider_id} of its {@code task:cancelled}; events written before it existed read as none.
 */
public record Consequences(
    List<String> readied,
    List<String> requested,
    List<String> skipped,
    List<String> cancelled,
    WorkflowStatus outcome,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, Integer> attempts,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, String> cancelledOn) {

  public static final Consequences NONE = new Consequences(List.of(), List.of(), List.of(), List.of(), null);

  public Consequences {
    readied = List.copyOf(readied);
    requested = List.copyOf(requested);
    skipped = List.copyOf(skipped);
    cancelled = List.copyOf(cancelled);
    attempts = attempts == null ? Map.of() : Map.copyOf(attempts);
    cancelledOn = cancelledOn == null ? Map.of() : Map.copyOf(cancelledOn);
  }

  public Consequences(List<String> readied, List<String> requested, List<String> skipped, List<String> cancelled,
                      WorkflowStatus outcome, Map<String, Integer> attempts) {
    this(readied, requested, skipped, cancelled, outcome, attempts, Map.of());
  }

  /** Consequences that ready or request only first attempts. */
  public Consequences(List<String> readied, List<String> requested, List<String> skipped, List<String> cancelled,
                      WorkflowStatus outcome) {
    this(readied, requested, skipped, cancelled, outcome, Map.of(), Map.of());
  }

  /** The attempt a readied or requested task is at. */
  public int attemptOf(String taskId) {
    return attempts.getOrDefault(taskId, 1);
  }

  /** How many envelopes these consequences add to the event that carries them. */
  public int envelopeCount() {
    return readied.size() + requested.size() + skipped.size() + cancelled.size() + (outcome == null ? 0 : 2);
  }
}
