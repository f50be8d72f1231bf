package io.gleitzeit.domain;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@link BatchFiles} on this machine's file system. A pattern without a slash and without a double star
 * matches the files directly in the directory; otherwise the tree is walked (not following links), and a
 * pattern starting with a double star and a slash also matches files at the top level, as users of globs expect.
 */
final class LocalBatchFiles implements BatchFiles {

    static final int MAX_DEPTH = 32;
    /** Entries looked at, at most: a pattern over a huge tree is refused rather than left to run. */
    static final int MAX_VISITED = 200_000;

    @Override
    public Listing list(String directory, String pattern, int atMost) {
        Path dir;
        try {
            dir = Path.of(directory).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            return new Unavailable("directory", "'" + directory + "' is not a valid path: " + e.getReason());
        }
        if (!Files.exists(dir)) {
            return new Unavailable("directory", "directory '" + dir + "' does not exist (on the node that received"
                    + " the workflow; relative paths start from its working directory)");
        }
        if (!Files.isDirectory(dir)) {
            return new Unavailable("directory", "'" + dir + "' is not a directory");
        }
        PathMatcher matcher;
        PathMatcher topLevel = null;
        try {
            matcher = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
            if (pattern.startsWith("**/")) {
                topLevel = FileSystems.getDefault().getPathMatcher("glob:" + pattern.substring(3));
            }
        } catch (IllegalArgumentException e) {
            return new Unavailable("pattern", "invalid glob pattern '" + pattern + "': "
                    + e.getMessage().lines().findFirst().orElse(""));
        }
        boolean deep = pattern.contains("/") || pattern.contains("**");
        List<String> names = new ArrayList<>();
        int visited = 0;
        try (Stream<Path> walk = Files.walk(dir, deep ? MAX_DEPTH : 1)) {
            Iterator<Path> it = walk.iterator();
            while (it.hasNext() && names.size() <= atMost) {
                Path p = it.next();
                if (++visited > MAX_VISITED) {
                    return new Unavailable("pattern", "more than " + MAX_VISITED + " entries under '" + dir
                            + "' to look at: choose a narrower directory or pattern");
                }
                if (p.equals(dir) || !Files.isRegularFile(p)) {
                    continue;
                }
                Path relative = dir.relativize(p);
                if (matcher.matches(relative) || (topLevel != null && relative.getNameCount() == 1
                        && topLevel.matches(relative))) {
                    names.add(relative.toString().replace('\\', '/'));
                }
            }
        } catch (IOException | UncheckedIOException e) {
            return new Unavailable("directory", "cannot list '" + dir + "': " + e.getMessage());
        }
        names.sort(null);
        return new Found(dir, names);
    }
}
