package io.gleitzeit.domain;

import java.nio.file.Path;
import java.util.List;

/**
 * Where a batch workflow's files come from: the files under a directory whose path relative to it matches a
 * glob. {@link #LOCAL} reads the file system of the node that received the workflow; tests may use another.
 */
public interface BatchFiles {

    BatchFiles LOCAL = new LocalBatchFiles();

    /**
     * The matching files' paths relative to {@code directory} ({@code /}-separated), sorted; at most
     * {@code atMost + 1} of them, so that a caller can tell there are too many.
     */
    Listing list(String directory, String pattern, int atMost);

    /** What a listing found. */
    sealed interface Listing permits Found, Unavailable {}

    /** {@code directory} is the absolute, normalized directory; {@code names} may be empty. */
    record Found(Path directory, List<String> names) implements Listing {
        public Found {
            names = List.copyOf(names);
        }
    }

    /** Nothing could be listed; {@code field} ({@code directory} or {@code pattern}) is the one at fault. */
    record Unavailable(String field, String message) implements Listing {}
}
