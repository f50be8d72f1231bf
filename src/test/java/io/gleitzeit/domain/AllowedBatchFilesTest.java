package io.gleitzeit.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Batch directories limited to the node's configured roots (gleitzeit.limits.batch-roots). */
class AllowedBatchFilesTest {

    @TempDir
    Path tmp;

    @Test
    void shouldListOnlyUnderARootAndSayWhichRootsThereAre() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("batches"));
        Path inside = Files.createDirectories(root.resolve("run-1"));
        Files.writeString(inside.resolve("a.txt"), "a");
        Path outside = Files.createDirectories(tmp.resolve("private"));
        Files.writeString(outside.resolve("secret.txt"), "s");
        BatchFiles files = AllowedBatchFiles.under(List.of(root.toString()), BatchFiles.LOCAL);

        BatchFiles.Found found = assertInstanceOf(BatchFiles.Found.class, files.list(inside.toString(), "*.txt", 10));
        assertEquals(List.of("a.txt"), found.names());

        for (String refused : List.of(outside.toString(), root + "/../private", tmp.toString())) {
            BatchFiles.Unavailable u = assertInstanceOf(BatchFiles.Unavailable.class, files.list(refused, "*", 10));
            assertEquals("directory", u.field());
            assertTrue(u.message().contains("is not under a batch root") && u.message().contains(root.toRealPath()
                .toString()), u.message());
        }
    }

    @Test
    void shouldNotLetALinkUnderARootLeadOutOfIt() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("batches"));
        Path outside = Files.createDirectories(tmp.resolve("private"));
        Files.createSymbolicLink(root.resolve("escape"), outside);
        BatchFiles files = AllowedBatchFiles.under(List.of(root.toString()), BatchFiles.LOCAL);

        assertInstanceOf(BatchFiles.Unavailable.class, files.list(root.resolve("escape").toString(), "*", 10));
    }

    @Test
    void shouldListAnyDirectoryWithoutRoots() {
        assertSame(BatchFiles.LOCAL, AllowedBatchFiles.under(List.of(), BatchFiles.LOCAL));
    }
}
