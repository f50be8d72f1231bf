package io.gleitzeit.workflow;

import io.gleitzeit.domain.WorkflowStatus;
import java.util.List;

/**
 * What one task's outcome causes elsewhere in the workflow, decided together with it and persisted in the
 * same journal event: dependents that became ready, tasks for which a provider is now requested, tasks
 * skipped or cancelled, and the workflow's final status when it ends ({@code null} while it runs on).
 */
public record Consequences(
    List<String> readied,
    List<String> requested,
    List<String> skipped,
    List<String> cancelled,
    WorkflowStatus outcome) {

  public static final Consequences NONE = new Consequences(List.of(), List.of(), List.of(), List.of(), null);

  public Consequences {
    readied = List.copyOf(readied);
    requested = List.copyOf(requested);
    skipped = List.copyOf(skipped);
    cancelled = List.copyOf(cancelled);
  }

  /** How many envelopes these consequences add to the event that carries them. */
  public int envelopeCount() {
    return readied.size() + requested.size() + skipped.size() + cancelled.size() + (outcome == null ? 0 : 2);
  }
}
