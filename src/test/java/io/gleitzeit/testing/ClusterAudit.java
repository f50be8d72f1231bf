package io.gleitzeit.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * What a cluster test checks after the faults: that every accepted workflow ended, and what its journal says
 * (SPEC §3, §4): completed; every task completed exactly once (a {@code task:completed} envelope is an accepted
 * completion; a refused late one is {@code assignment:rejected}); sequence numbers 1..n without a gap. It also
 * collects the reassignments and completions, for failover figures.
 */
public final class ClusterAudit {

  /** A {@code task:completed} envelope. */
  public record Completion(String workflowId, String taskId, int attempt, String providerId, Instant at) {}

  /** A {@code task:reassigned} envelope: the attempt {@code previousAttempt} was lost with {@code fromProvider}. */
  public record Reassignment(String workflowId, String taskId, int previousAttempt, String fromProvider, Instant at) {}

  /** The outcome of an audit: problems (empty when all is well), reassignments and completions. */
  public record Report(List<String> problems, List<Reassignment> reassignments, List<Completion> completions) {
    /**
     * The first completion of a task that {@code provider} lost (by its reassignment), or null when there is none:
     * the end of a failover.
     */
    public Completion firstCompletionAfterLoss(String provider) {
      Completion first = null;
      for (Reassignment r : reassignments) {
        if (!r.fromProvider().equals(provider)) {
          continue;
        }
        for (Completion c : completions) {
          if (c.workflowId().equals(r.workflowId()) && c.taskId().equals(r.taskId()) && c.attempt() > r.previousAttempt()
              && (first == null || c.at().isBefore(first.at()))) {
            first = c;
          }
        }
      }
      return first;
    }

    public long completedBy(String provider, Instant after) {
      return completions.stream().filter(c -> c.providerId().equals(provider) && c.at().isAfter(after)).count();
    }
  }

  private ClusterAudit() {}

  /**
   * Waits until every workflow has ended, following each one's event stream (its history, then live) on the first
   * node of {@code nodes} that answers, and on the next one when a stream breaks or stays silent for a while (live
   * events cross nodes at most once). Returns each workflow's end ({@code completed}, {@code failed},
   * {@code cancelled}); workflows missing from the answer did not end before {@code timeout}.
   */
  public static Map<String, String> awaitEnds(List<String> nodes, List<String> workflowIds, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<String, String> ends = new LinkedHashMap<>();
    List<ApiTestClient> clients = nodes.stream().map(ApiTestClient::new).toList();
    try {
      int turn = 0;
      for (String id : workflowIds) {
        while (System.nanoTime() < deadline) {
          ApiTestClient api = clients.get(Math.floorMod(turn, clients.size()));
          long window = Math.min(TimeUnit.SECONDS.toNanos(20), deadline - System.nanoTime());
          try {
            ends.put(id, api.followToEnd(id, Duration.ofNanos(Math.max(1, window))).get().status());
            break;
          } catch (ExecutionException e) {
            turn++; // that node is gone, or its stream said nothing for a while: ask the next one
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ends;
          }
        }
      }
    } finally {
      clients.forEach(ApiTestClient::close);
    }
    return ends;
  }

  /** Reads every workflow's journal ({@code GET /workflows/{id}/events} on {@code node}) and checks it. */
  public static Report audit(String node, List<String> workflowIds, Set<String> expectedTasks) {
    List<String> problems = new ArrayList<>();
    List<Reassignment> reassignments = new ArrayList<>();
    List<Completion> completions = new ArrayList<>();
    try (ApiTestClient api = new ApiTestClient(node)) {
      for (String id : workflowIds) {
        List<JsonNode> events = api.events(id);
        Map<String, Integer> completedTimes = new TreeMap<>();
        long expectedSequence = 1;
        for (JsonNode e : events) {
          long sequence = e.path("sequence_number").asLong();
          if (sequence != expectedSequence) {
            problems.add(id + ": envelope " + sequence + " where " + expectedSequence + " was due");
            expectedSequence = sequence;
          }
          expectedSequence++;
          String type = e.path("event_type").asText();
          String task = e.path("task_id").asText(null);
          Instant at = Instant.parse(e.path("timestamp").asText());
          if ("task:completed".equals(type)) {
            completedTimes.merge(task, 1, Integer::sum);
            completions.add(new Completion(id, task, e.path("payload").path("attempt").asInt(),
                e.path("provider_id").asText(), at));
          } else if ("task:reassigned".equals(type)) {
            reassignments.add(new Reassignment(id, task, e.path("payload").path("previous_attempt").asInt(),
                e.path("provider_id").asText(), at));
          }
        }
        String last = events.isEmpty() ? "(no events)" : events.get(events.size() - 1).path("event_type").asText();
        if (!"workflow:completed".equals(last)) {
          problems.add(id + ": the last event is " + last + ", not workflow:completed");
        }
        for (String task : expectedTasks) {
          int times = completedTimes.getOrDefault(task, 0);
          if (times != 1) {
            problems.add(id + ": task " + task + " has " + times + " accepted task:completed");
          }
        }
      }
    }
    return new Report(problems, reassignments, completions);
  }
}
