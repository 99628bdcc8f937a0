package org.prune4j.io;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Locates the optional {@code ../shared} folder of models and texts that tests and benchmarks use
 * (system property {@code prune4j.shared}, else {@code ../shared} from the working directory or its parents).
 * A user's fresh clone has none: callers skip with {@link #MISSING} as the reason.
 */
public final class SharedData {
    private SharedData() {}

    /** The message a test skips with when the folder is absent. */
    public static final String MISSING = "../shared (models and texts for tests) not found beside the repository; skipping";

    /** The shared folder, when present. */
    public static Optional<Path> root() {
        String p = System.getProperty("prune4j.shared");
        if (p != null && Files.isDirectory(Path.of(p))) return Optional.of(Path.of(p).toAbsolutePath().normalize());
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path s = d.resolveSibling("shared");
            if (Files.isDirectory(s.resolve("models"))) return Optional.of(s.normalize());
        }
        return Optional.empty();
    }

    /** {@code root().resolve(relative)} when the folder and that path exist. */
    public static Optional<Path> resolve(String relative) {
        return root().map(r -> r.resolve(relative)).filter(Files::exists);
    }
}
