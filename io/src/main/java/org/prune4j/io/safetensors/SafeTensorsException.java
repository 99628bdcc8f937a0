package org.prune4j.io.safetensors;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A safetensors file (or sharded index) that breaks a rule of the format, or a request the checkpoint cannot
 * answer. The message always names the file, the tensor when one is involved, and the rule, so that the command
 * line can print it as its single error line.
 */
public class SafeTensorsException extends IOException {
    private final transient Path file;
    private final String tensor;
    private final String rule;

    /** {@code tensor} may be null when the problem is not about one tensor. */
    public SafeTensorsException(Path file, String tensor, String rule) {
        super(format(file, tensor, rule));
        this.file = file;
        this.tensor = tensor;
        this.rule = rule;
    }

    public SafeTensorsException(Path file, String tensor, String rule, Throwable cause) {
        this(file, tensor, rule);
        initCause(cause);
    }

    private static String format(Path file, String tensor, String rule) {
        StringBuilder sb = new StringBuilder();
        sb.append(file == null ? "<safetensors>" : file.toString()).append(": ");
        if (tensor != null) sb.append("tensor '").append(printable(tensor)).append("': ");
        sb.append(rule);
        return sb.toString();
    }

    /** Tensor names come from hostile files: keep messages one readable line of bounded length. */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        int n = Math.min(s.length(), 200);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        if (s.length() > n) sb.append("...(").append(s.length()).append(" chars)");
        return sb.toString();
    }

    /** The file that broke the rule (null when unknown). */
    public Path file() { return file; }

    /** The tensor involved, or null. */
    public String tensor() { return tensor; }

    /** The rule that was broken, in words. */
    public String rule() { return rule; }
}
