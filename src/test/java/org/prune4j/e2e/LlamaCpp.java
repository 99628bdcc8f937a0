package org.prune4j.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.prune4j.io.json.Json;

/**
 * llama.cpp, as node-llama-cpp 3.21.1 ships it prebuilt, installed with npm under a cache folder outside the repository
 * ($PRUNE4J_NODE_CACHE, else ~/.cache/prune4j/node-llama-cpp-3.21.1), and the checker script
 * bench/gguf/llama-cpp-check.mjs run in it. {@link #find()} is empty, with {@link #why()} saying why, where node or
 * npm is missing or the registry is unreachable.
 */
final class LlamaCpp {
    static final String VERSION = "3.21.1", GGUF_JS = "0.4.2";
    private static String why = "";
    private static Optional<LlamaCpp> found;

    final Path dir;

    private LlamaCpp(Path dir) { this.dir = dir; }

    static String why() { return why; }

    static synchronized Optional<LlamaCpp> find() {
        if (found != null) return found;
        found = Optional.empty();
        try {
            String env = System.getenv("PRUNE4J_NODE_CACHE");
            Path dir = env != null ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "prune4j", "node-llama-cpp-" + VERSION);
            if (run(List.of("node", "--version"), Path.of("."), 30) == null) {
                why = "node is not installed (apt-get install nodejs npm); skipping the llama.cpp checks";
                return found;
            }
            Path pkg = dir.resolve("node_modules/node-llama-cpp/package.json");
            boolean ok = Files.isRegularFile(pkg) && Files.readString(pkg).contains("\"version\": \"" + VERSION + "\"")
                    && Files.isDirectory(dir.resolve("node_modules/@huggingface/gguf"));
            if (!ok) {
                Files.createDirectories(dir);
                Files.writeString(dir.resolve("package.json"), "{\"private\": true, \"type\": \"module\"}\n");
                System.err.println("llama.cpp check: installing node-llama-cpp@" + VERSION + " under " + dir + " (~20 s, 730 MB)");
                if (run(List.of("npm", "i", "-E", "--no-audit", "--no-fund", "node-llama-cpp@" + VERSION, "@huggingface/gguf@" + GGUF_JS), dir, 600) == null) {
                    why = "npm could not install node-llama-cpp@" + VERSION + " under " + dir + " (no npm, or the registry is unreachable); skipping the llama.cpp checks";
                    return found;
                }
            }
            Path script = Path.of(System.getProperty("prune4j.repo", "../..")).resolve("bench/gguf/llama-cpp-check.mjs");
            Files.copy(script, dir.resolve("llama-cpp-check.mjs"), StandardCopyOption.REPLACE_EXISTING);
            found = Optional.of(new LlamaCpp(dir));
        } catch (IOException e) {
            why = "could not prepare node-llama-cpp: " + e.getMessage() + "; skipping the llama.cpp checks";
        }
        return found;
    }

    /** Runs the checker on {@code gguf} with {@code spec} (prompt, steps, score, text) and returns its JSON result. */
    @SuppressWarnings("unchecked")
    Map<String, Object> check(Path gguf, Map<String, Object> spec) throws IOException {
        String out = run(List.of("node", "llama-cpp-check.mjs", gguf.toAbsolutePath().toString(), Json.write(spec)), dir, 300);
        if (out == null) throw new IOException("llama-cpp-check.mjs failed on " + gguf + " (its output is above)");
        String[] lines = out.strip().split("\n");
        return (Map<String, Object>) Json.parse(lines[lines.length - 1]);
    }

    /** stdout of the command, or null when it could not start or exited non-zero (its output then goes to stderr). */
    private static String run(List<String> cmd, Path dir, int timeoutS) {
        try {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(false).start();
            byte[][] err = new byte[1][];
            Thread t = Thread.ofVirtual().start(() -> { try { err[0] = p.getErrorStream().readAllBytes(); } catch (IOException ignored) { } });
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) { p.destroyForcibly(); return null; }
            t.join();
            if (p.exitValue() != 0) {
                System.err.println(String.join(" ", cmd) + " exited " + p.exitValue() + ":\n" + out + (err[0] == null ? "" : new String(err[0], StandardCharsets.UTF_8)));
                return null;
            }
            return out;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
