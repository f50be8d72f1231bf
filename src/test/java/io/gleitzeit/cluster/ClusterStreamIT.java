package io.gleitzeit.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.testing.ApiTestClient;
import io.gleitzeit.testing.ClusterScript;
import io.gleitzeit.testing.EventWatch;
import io.gleitzeit.testing.Resources;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * SPEC §5: an event stream has no gap, whichever node serves it. Workflows are submitted on node 1 and their
 * streams opened on node 2 at once, while their tasks run (on whichever node sharding put them); a stream is then
 * resumed with {@code Last-Event-ID} on node 1, where no stream was open. Each stream must hold every sequence
 * number of its workflow once, in order. (Before each node kept its topic known to the others, the first stream
 * opened on a node missed what the others published in the second or two before they learned of it.)
 */
@Tag("cluster")
@Tag("integration")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ClusterStreamIT {

  private static final Duration END = Duration.ofSeconds(60);
  private static final int WORKFLOWS = 6;
  private static final int STEPS = 8;

  @Test
  void streamsOpenedOrResumedOnAnotherNodeMissNothing() throws Exception {
    Path dir = ClusterRuns.dataDir("cluster-stream");
    try (ClusterScript cluster = ClusterScript.builder(dir).nodes(2).start()) {
      String node1 = cluster.node(1).baseUrl();
      String node2 = cluster.node(2).baseUrl();
      ApiTestClient submitter = new ApiTestClient(node1);
      try {
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < WORKFLOWS; i++) {
          String id = "xstream-" + i;
          assertEquals(202, submitter.submit(chain(id)).status());
          try (EventWatch watch = EventWatch.open(node2, "workflow_id=" + id)) {
            watch.await("workflow:completed of " + id, EventWatch.type("workflow:completed"), END);
            check(problems, "stream on node 2 of " + id, sequences(watch.received()), 1);
          }
        }

        // Resumed on node 1 after the fifth event of a running workflow, read on node 2.
        String id = "xstream-resumed";
        assertEquals(202, submitter.submit(chain(id)).status());
        String fifth;
        try (EventWatch first = EventWatch.open(node2, "workflow_id=" + id)) {
          first.await("the fifth event of " + id, e -> e.path("sequence_number").asLong() == 5, END);
          fifth = first.received().get(4).path("event_id").asText();
        }
        try (EventWatch resumed = EventWatch.open(node1, "", fifth)) {
          resumed.await("workflow:completed of " + id, e -> "workflow:completed".equals(e.path("event_type").asText())
              && id.equals(e.path("workflow_id").asText()), END);
          List<JsonNode> ofIt = resumed.received().stream().filter(e -> id.equals(e.path("workflow_id").asText()))
              .toList();
          check(problems, "resumed stream on node 1 of " + id, sequences(ofIt), 6);
        }
        assertEquals(List.of(), problems, "every stream holds each of its workflow's events once, in order");
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError(e.getMessage() + "\n(cluster data and logs: " + dir + ")" + cluster.logTails(40), e);
      } finally {
        Resources.closeAll(submitter);
      }
    }
  }

  /** A chain of {@value #STEPS} short sleeps: its events keep coming for about a second. */
  private static String chain(String id) {
    StringBuilder tasks = new StringBuilder();
    for (int s = 0; s < STEPS; s++) {
      tasks.append(s == 0 ? "" : ",").append("{\"id\": \"s").append(s)
          .append("\", \"method\": \"test/sleep\", \"params\": {\"ms\": 100}")
          .append(s == 0 ? "" : ", \"dependencies\": [\"s" + (s - 1) + "\"]").append('}');
    }
    return "{\"id\": \"" + id + "\", \"tasks\": [" + tasks + "]}";
  }

  private static List<Long> sequences(List<JsonNode> envelopes) {
    return envelopes.stream().map(e -> e.path("sequence_number").asLong()).toList();
  }

  /** The sequence numbers must run from {@code from} to the last without a gap or a repeat. */
  private static void check(List<String> problems, String what, List<Long> got, long from) {
    long last = got.isEmpty() ? from - 1 : got.get(got.size() - 1);
    List<Long> expected = LongStream.rangeClosed(from, last).boxed().toList();
    if (!got.equals(expected)) {
      problems.add(what + ": " + got);
    }
  }
}
