package io.gleitzeit.node;

import io.gleitzeit.cli.GleitzeitCli;

/** The process entry point: everything goes through the command line (SPEC §8). */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    // Initialise logging before any other thread logs, so SLF4J has nothing to replay (and says nothing).
    org.slf4j.LoggerFactory.getILoggerFactory();
    System.exit(GleitzeitCli.run(args));
  }
}
