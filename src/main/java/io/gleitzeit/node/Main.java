package io.gleitzeit.node;

import io.gleitzeit.cli.GleitzeitCli;

/** The process entry point: everything goes through the command line (SPEC §8). */
public final class Main {
  /** The JDK's setting, read once when {@code CompletableFuture} is first loaded. */
  static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

  private Main() {}

  public static void main(String[] args) {
    useTheCommonPoolForAsyncStages();
    ProjectionStopLines.dropFromStandardOutput();
    // Initialise logging before any other thread logs, so SLF4J has nothing to replay (and says nothing).
    org.slf4j.LoggerFactory.getILoggerFactory();
    System.exit(GleitzeitCli.run(args));
  }

  /**
   * Every Pekko javadsl ask answers through Scala's Future-to-CompletionStage converter, which runs even a plain
   * {@code handle} or {@code thenApply} as an async stage on {@code CompletableFuture}'s default executor. That
   * executor is the common ForkJoinPool only when the pool's parallelism is above 1; on one or two cores it is
   * 1, and the JDK then starts a new thread for every stage: two threads per task on this project's 2-core
   * machines (measured with JFR: 280 threads/s at 150 tasks/s). A parallelism of 2 keeps those stages on the
   * pool's threads. Set before anything loads {@code CompletableFuture}; an explicit setting is kept.
   */
  static void useTheCommonPoolForAsyncStages() {
    if (System.getProperty(COMMON_POOL_PARALLELISM) == null && Runtime.getRuntime().availableProcessors() <= 2) {
      System.setProperty(COMMON_POOL_PARALLELISM, "2");
    }
  }
}
