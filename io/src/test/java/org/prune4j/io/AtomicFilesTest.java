package org.prune4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Atomic files and folders: the result appears whole or not at all, and no temporary file is left behind. */
class AtomicFilesTest {
    @TempDir Path dir;

    private List<String> names(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesAndReplacesFiles() throws IOException {
        Path f = dir.resolve("a.txt");
        AtomicFiles.writeString(f, "one");
        AtomicFiles.writeString(f, "two");
        assertEquals("two", Files.readString(f));
        assertEquals(List.of("a.txt"), names(dir));
    }

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTemporary() throws IOException {
        Path f = dir.resolve("a.txt");
        AtomicFiles.writeString(f, "old");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(f, out -> {
            out.write("partial".getBytes());
            throw new IOException("disk on fire");
        }));
        assertEquals("disk on fire", e.getMessage());
        assertEquals("old", Files.readString(f));
        assertEquals(List.of("a.txt"), names(dir));
    }

    @Test
    void buildsFoldersAtomically() throws IOException {
        Path out = dir.resolve("model-out");
        AtomicFiles.buildFolder(out, false, tmp -> {
            assertFalse(Files.exists(out)); // nothing visible while building
            Files.writeString(tmp.resolve("config.json"), "{}");
            Files.createDirectories(tmp.resolve("sub"));
            Files.writeString(tmp.resolve("sub/x"), "x");
        });
        assertEquals(List.of("config.json", "sub"), names(out));
        assertEquals(List.of("model-out"), names(dir));

        // failure: the temporary folder vanishes and the target is untouched
        Path other = dir.resolve("other");
        assertThrows(IOException.class, () -> AtomicFiles.buildFolder(other, false, tmp -> {
            Files.writeString(tmp.resolve("half"), "h");
            throw new IOException("failed midway");
        }));
        assertEquals(List.of("model-out"), names(dir));

        // an existing folder is refused unless replacing
        assertThrows(FileAlreadyExistsException.class, () -> AtomicFiles.buildFolder(out, false, tmp -> {}));
        AtomicFiles.buildFolder(out, true, tmp -> Files.writeString(tmp.resolve("new.json"), "{}"));
        assertEquals(List.of("new.json"), names(out));
        assertEquals(List.of("model-out"), names(dir));
        // a failed replacement keeps the old folder
        assertThrows(IOException.class, () -> AtomicFiles.buildFolder(out, true, tmp -> {
            throw new IOException("no");
        }));
        assertEquals(List.of("new.json"), names(out));
        assertEquals(List.of("model-out"), names(dir));
        Files.writeString(dir.resolve("file"), "f");
        assertTrue(assertThrows(IOException.class, () -> AtomicFiles.buildFolder(dir.resolve("file"), true, tmp -> {}))
                .getMessage().contains("not a folder"));
    }
}
