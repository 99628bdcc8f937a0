package org.prune4j.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * Writes files and whole folders so that a crash or an error never leaves a half-written output: data goes to a
 * temporary sibling (same folder, so the final rename stays on one file system), is fsynced, and is then renamed
 * into place atomically. A folder is built the same way: everything is written into a temporary folder beside the
 * target, fsynced, and the folder is renamed; on failure the temporary folder is deleted and no output appears.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes a file's content into an open stream; may throw to abort the write. */
    @FunctionalInterface
    public interface StreamBody {
        void write(OutputStream out) throws IOException;
    }

    /** Fills a (temporary) folder with files; may throw to abort the build. */
    @FunctionalInterface
    public interface FolderBody {
        void build(Path folder) throws IOException;
    }

    /** Writes {@code target} atomically from what {@code body} writes to the stream. */
    public static void write(Path target, StreamBody body) throws IOException {
        Path tmp = tempSibling(target);
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
                 OutputStream out = Channels.newOutputStream(ch)) {
                body.write(out);
                out.flush();
                ch.force(true);
            }
            moveIntoPlace(tmp, target);
            done = true;
        } finally {
            if (!done) Files.deleteIfExists(tmp);
        }
    }

    /** Writes {@code bytes} to {@code target} atomically. */
    public static void writeBytes(Path target, byte[] bytes) throws IOException {
        write(target, out -> out.write(bytes));
    }

    /** Writes {@code text} as UTF-8 to {@code target} atomically. */
    public static void writeString(Path target, String text) throws IOException {
        writeBytes(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Creates an empty temporary file beside {@code target} (hidden name {@code .<name>.tmp-<random>}) for callers
     * that stream into a channel themselves; finish with {@link #commit} or delete it.
     */
    public static Path tempSibling(Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null) throw new IOException(target + ": cannot write a file at the file-system root");
        if (!Files.isDirectory(dir)) throw new IOException(target + ": folder " + dir + " does not exist");
        if (Files.isDirectory(abs)) throw new IOException(target + ": is a folder, expected a file path");
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + abs.getFileName() + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 4));
            try {
                return Files.createFile(tmp);
            } catch (FileAlreadyExistsException e) {
                if (attempt > 100) throw e;
            }
        }
    }

    /** Fsyncs {@code tmp} and renames it onto {@code target} atomically (replacing an existing file), then fsyncs the folder. */
    public static void commit(Path tmp, Path target) throws IOException {
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        moveIntoPlace(tmp, target);
    }

    private static void moveIntoPlace(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException(target + ": the file system cannot rename atomically (" + e.getMessage() + ")", e);
        }
        fsyncDir(target.toAbsolutePath().getParent());
    }

    /**
     * Builds the folder {@code target} atomically: {@code body} fills a fresh temporary folder beside it, every file
     * in it is fsynced, and it is renamed to {@code target}. If {@code body} throws, the temporary folder is deleted
     * and {@code target} is untouched. An existing {@code target} is an error unless {@code replace} is true; then the
     * old folder is moved aside, the new one renamed into place, and the old one deleted (an existing path is never
     * half-written, though for an instant between the two renames it is absent).
     */
    public static void buildFolder(Path target, boolean replace, FolderBody body) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        if (parent == null) throw new IOException(target + ": cannot build the file-system root");
        Files.createDirectories(parent);
        boolean exists = Files.exists(abs, LinkOption.NOFOLLOW_LINKS);
        if (exists && !replace)
            throw new FileAlreadyExistsException(target.toString(), null, "output folder already exists (choose another path or allow overwriting)");
        if (exists && !Files.isDirectory(abs, LinkOption.NOFOLLOW_LINKS))
            throw new IOException(target + ": exists and is not a folder; refusing to replace it");
        Path tmp = uniqueSibling(abs, ".tmp-");
        Files.createDirectory(tmp);
        boolean done = false;
        try {
            body.build(tmp);
            fsyncTree(tmp);
            if (exists) {
                Path old = uniqueSibling(abs, ".old-");
                Files.move(abs, old, StandardCopyOption.ATOMIC_MOVE);
                try {
                    Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    Files.move(old, abs, StandardCopyOption.ATOMIC_MOVE); // put the old folder back
                    throw e;
                }
                fsyncDir(parent);
                deleteTree(old);
            } else {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
                fsyncDir(parent);
            }
            done = true;
        } finally {
            if (!done) deleteTree(tmp);
        }
    }

    private static Path uniqueSibling(Path abs, String tag) {
        return abs.resolveSibling("." + abs.getFileName() + tag + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 4));
    }

    /** Fsyncs every regular file under {@code root} and every folder, deepest first. */
    private static void fsyncTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s.sorted((a, b) -> b.getNameCount() - a.getNameCount())::iterator) {
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                        ch.force(true);
                    }
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    fsyncDir(p);
                }
            }
        }
    }

    /** Fsyncs a folder so a rename inside it is durable; file systems that cannot do this are skipped silently. */
    static void fsyncDir(Path dir) {
        if (dir == null) return;
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // some platforms cannot open or sync a directory; the rename itself is still atomic
        }
    }

    /** Deletes a folder and everything below it (symbolic links are removed, not followed). */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) return;
        if (Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
                for (Path p : ds) deleteTree(p);
            }
        }
        Files.deleteIfExists(root);
    }
}
