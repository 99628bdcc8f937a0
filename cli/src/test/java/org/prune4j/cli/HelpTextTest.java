package org.prune4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every command's {@code --help} renders without picocli format warnings (a bare '%' in a description is read as a
 * format specifier and the text is printed raw) and with a one-line summary that ends a sentence.
 */
class HelpTextTest {

    @Test
    void everyCommandsHelpRendersCleanly() {
        List<CommandLine> all = new ArrayList<>();
        collect(new CommandLine(new Main()), all);
        assertTrue(all.size() > 10, "commands found: " + all.size());
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            for (CommandLine c : all) {
                String help = c.getUsageMessage();
                assertFalse(help.isBlank(), c.getCommandName());
                String[] summary = c.getCommandSpec().usageMessage().description();
                if (!c.getCommandName().equals("help"))
                    assertTrue(summary.length > 0 && summary[0].strip().endsWith("."), "summary line of '" + c.getCommandName() + "' must end a sentence: " + String.join(" ", summary));
            }
        } finally {
            System.setErr(oldErr);
        }
        assertEquals("", err.toString(StandardCharsets.UTF_8), "picocli warnings while rendering help");
    }

    private static void collect(CommandLine c, List<CommandLine> out) {
        out.add(c);
        for (CommandLine sub : c.getSubcommands().values()) collect(sub, out);
    }
}
