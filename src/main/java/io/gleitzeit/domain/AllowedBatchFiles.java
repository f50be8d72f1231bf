package io.gleitzeit.domain;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;

/**
 * {@link BatchFiles} limited to directories under configured roots ({@code gleitzeit.limits.batch-roots}): a node
 * that accepts workflows from a network lists only the folders meant for batches, not its whole file system.
 */
public final class AllowedBatchFiles implements BatchFiles {

    private final List<Path> roots;
    private final BatchFiles files;

    /** {@code roots} empty: every directory the node can read, as {@code files} itself. */
    public static BatchFiles under(List<String> roots, BatchFiles files) {
        return roots.isEmpty() ? files : new AllowedBatchFiles(roots, files);
    }

    private AllowedBatchFiles(List<String> roots, BatchFiles files) {
        this.roots = roots.stream().map(r -> real(Path.of(r))).toList();
        this.files = files;
    }

    @Override
    public Listing list(String directory, String pattern, int atMost) {
        Path dir;
        try {
            dir = real(Path.of(directory));
        } catch (InvalidPathException e) {
            return new Unavailable("directory", "'" + directory + "' is not a valid path: " + e.getReason());
        }
        if (roots.stream().noneMatch(dir::startsWith)) {
            return new Unavailable("directory", "directory '" + dir + "' is not under a batch root of this node ("
                    + String.join(", ", roots.stream().map(Path::toString).toList())
                    + "; gleitzeit.limits.batch-roots)");
        }
        return files.list(directory, pattern, atMost);
    }

    /** The path with its links resolved where it exists, so that a link under a root cannot lead out of it. */
    private static Path real(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        try {
            return absolute.toRealPath();
        } catch (java.io.IOException e) {
            return absolute; // does not exist: the listing says so
        }
    }
}
