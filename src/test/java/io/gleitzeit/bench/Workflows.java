package io.gleitzeit.bench;

/** The workflow definitions of the workloads, as JSON text (built by hand: the bench submits many). */
final class Workflows {
  private Workflows() {}

  /** W1: three sequential test/echo tasks, each taking the previous one's result. */
  static String chain(String id) {
    return "{\"id\":\"" + id + "\",\"tasks\":["
        + "{\"id\":\"a\",\"method\":\"test/echo\",\"params\":{\"v\":1,\"who\":\"" + id + "\"}},"
        + "{\"id\":\"b\",\"method\":\"test/echo\",\"dependencies\":[\"a\"],\"params\":{\"v\":\"${a.result.v}\"}},"
        + "{\"id\":\"c\",\"method\":\"test/echo\",\"dependencies\":[\"b\"],\"params\":{\"v\":\"${b.result.v}\"}}]}";
  }

  static final int CHAIN_TASKS = 3;

  /** W2: one task, ten parallel tasks reading its result, one join reading all ten results. */
  static String fanOutIn(String id) {
    StringBuilder sb = new StringBuilder("{\"id\":\"").append(id).append("\",\"tasks\":[")
        .append("{\"id\":\"root\",\"method\":\"test/echo\",\"params\":{\"v\":1}}");
    StringBuilder joinDeps = new StringBuilder();
    StringBuilder joinParams = new StringBuilder();
    for (int i = 0; i < FAN_WIDTH; i++) {
      sb.append(",{\"id\":\"p").append(i).append("\",\"method\":\"test/echo\",\"dependencies\":[\"root\"],")
          .append("\"params\":{\"v\":\"${root.result.v}\",\"k\":").append(i).append("}}");
      joinDeps.append(i == 0 ? "" : ",").append("\"p").append(i).append('"');
      joinParams.append(i == 0 ? "" : ",").append("\"${p").append(i).append(".result.k}\"");
    }
    sb.append(",{\"id\":\"join\",\"method\":\"test/echo\",\"dependencies\":[").append(joinDeps)
        .append("],\"params\":{\"all\":[").append(joinParams).append("]}}]}");
    return sb.toString();
  }

  static final int FAN_WIDTH = 10;
  static final int FAN_TASKS = FAN_WIDTH + 2;

  /**
   * W3: {@code size - 1} independent test/echo tasks and one join over a sample of {@code sample} of them
   * ({@code size} tasks in all, so that 10,000 stays within the default limit of tasks per workflow).
   */
  static String wide(String id, int size, int sample) {
    int independent = size - 1;
    StringBuilder sb = new StringBuilder(size * 64).append("{\"id\":\"").append(id).append("\",\"tasks\":[");
    for (int i = 0; i < independent; i++) {
      sb.append(i == 0 ? "" : ",").append("{\"id\":\"t").append(i)
          .append("\",\"method\":\"test/echo\",\"params\":{\"i\":").append(i).append("}}");
    }
    StringBuilder deps = new StringBuilder();
    StringBuilder params = new StringBuilder();
    int step = Math.max(1, independent / sample);
    int taken = 0;
    for (int i = 0; i < independent && taken < sample; i += step, taken++) {
      deps.append(taken == 0 ? "" : ",").append("\"t").append(i).append('"');
      params.append(taken == 0 ? "" : ",").append("\"${t").append(i).append(".result.i}\"");
    }
    sb.append(",{\"id\":\"join\",\"method\":\"test/echo\",\"dependencies\":[").append(deps)
        .append("],\"params\":{\"sample\":[").append(params).append("]}}]}");
    return sb.toString();
  }

  /** W4: a test/sleep task, then a test/echo task taking its result. */
  static String sleeper(String id, int sleepMs) {
    return "{\"id\":\"" + id + "\",\"tasks\":["
        + "{\"id\":\"nap\",\"method\":\"test/sleep\",\"params\":{\"ms\":" + sleepMs + "}},"
        + "{\"id\":\"after\",\"method\":\"test/echo\",\"dependencies\":[\"nap\"],\"params\":{\"slept\":\"${nap.result}\"}}]}";
  }

  static final int SLEEPER_TASKS = 2;

  /** W5: the smallest complete workflow, one test/echo task. */
  static String single(String id) {
    return "{\"id\":\"" + id + "\",\"tasks\":[{\"id\":\"a\",\"method\":\"test/echo\",\"params\":{\"v\":1}}]}";
  }
}
