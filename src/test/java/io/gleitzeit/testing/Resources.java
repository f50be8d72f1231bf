package io.gleitzeit.testing;

/** Closing what a test started, in order, whatever was started before a set-up failed. */
public final class Resources {

  private Resources() {}

  /**
   * Closes every resource that is not null, in the given order (a client before the node it talks to), each
   * even if an earlier one failed; the first failure is thrown after all were tried.
   */
  public static void closeAll(AutoCloseable... resources) {
    RuntimeException failure = null;
    for (AutoCloseable resource : resources) {
      if (resource == null) {
        continue;
      }
      try {
        resource.close();
      } catch (Exception e) {
        if (failure == null) {
          failure = new IllegalStateException("closing " + resource + " failed", e);
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
