package io.gleitzeit.node;

import io.gleitzeit.cli.GleitzeitCli;

/** The process entry point: everything goes through the command line (SPEC §8). */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(GleitzeitCli.run(args));
  }
}
