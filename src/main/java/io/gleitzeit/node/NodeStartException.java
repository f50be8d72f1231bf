package io.gleitzeit.node;

/** A node could not start; the message says why in words a user can act on. */
public final class NodeStartException extends RuntimeException {
  public NodeStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
