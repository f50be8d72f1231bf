package io.gleitzeit.events;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Creating the tables at start-up, from several nodes starting at once. Neither H2 nor PostgreSQL makes
 * {@code CREATE ... IF NOT EXISTS} atomic: two sessions can both find an object missing, and the slower one then fails
 * with "already exists" (H2: {@code object already exists}; PostgreSQL: {@code duplicate key value violates unique
 * constraint "pg_class_relname_nsp_index"} or {@code "pg_type_typname_nsp_index"}) although what it wanted to create is
 * there. Every statement of a creation is idempotent, so a creation that lost such a race is run again, after a short
 * random pause; any other failure (an unreachable database, say) is not retried.
 */
public final class SchemaCreation {

  /** A creation of tables; may be run more than once. */
  @FunctionalInterface
  public interface Step {
    void run() throws Exception;
  }

  static final int ATTEMPTS = 5;

  private SchemaCreation() {}

  /** Runs {@code step}, again after a lost race (at most {@value #ATTEMPTS} times in all). */
  public static void run(Step step) throws Exception {
    for (int attempt = 1; ; attempt++) {
      try {
        step.run();
        return;
      } catch (Exception e) {
        if (attempt >= ATTEMPTS || !lostRace(e)) {
          throw e;
        }
        Thread.sleep(ThreadLocalRandom.current().nextLong(50, 250) * attempt);
      }
    }
  }

  /** Whether a failure is another session having created the same object first. */
  static boolean lostRace(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String message = t.getMessage();
      if (message != null && (message.contains("already exists") || message.contains("duplicate key value"))) {
        return true;
      }
    }
    return false;
  }
}
