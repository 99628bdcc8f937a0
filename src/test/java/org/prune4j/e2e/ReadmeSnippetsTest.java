package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's library snippets are copies of examples/ (each block follows a {@code <!-- from FILE -->} line): every
 * line of the block must appear in FILE, in order, so an example that changes without its snippet fails the build.
 */
class ReadmeSnippetsTest {
    static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent())
            if (Files.isRegularFile(p.resolve("README.md")) && Files.isDirectory(p.resolve("examples"))) return p;
        throw new IllegalStateException("no README.md beside examples/ above " + Path.of("").toAbsolutePath());
    }

    @Test
    void everyMarkedSnippetIsInItsExampleInOrder() throws Exception {
        Path root = root();
        String readme = Files.readString(root.resolve("README.md"));
        Matcher m = Pattern.compile("<!-- from (\\S+) -->\\n```\\w*\\n(.*?)\\n```", Pattern.DOTALL).matcher(readme);
        int blocks = 0;
        while (m.find()) {
            blocks++;
            Path file = root.resolve(m.group(1));
            assertTrue(Files.isRegularFile(file), "README names " + m.group(1) + ", which does not exist");
            List<String> source = new ArrayList<>();
            for (String l : Files.readAllLines(file)) if (!l.isBlank()) source.add(l.strip());
            int at = 0;
            for (String l : m.group(2).split("\n")) {
                if (l.isBlank()) continue;
                while (at < source.size() && !source.get(at).equals(l.strip())) at++;
                assertTrue(at < source.size(), "README snippet line not in " + m.group(1) + " (in order): " + l.strip());
                at++;
            }
        }
        assertTrue(blocks >= 2, "the library and testkit snippets are marked; found " + blocks);
    }
}
