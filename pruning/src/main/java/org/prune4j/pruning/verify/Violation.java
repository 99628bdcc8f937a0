package org.prune4j.pruning.verify;

/**
 * One broken rule of a checked checkpoint, with where it broke: the file or tensor, the row and column (-1 when the
 * rule is about a whole tensor or file), the rule's name and what was found.
 */
public record Violation(String tensor, long row, long col, String rule, String detail) {
    /** "model.layers.0.mlp.up_proj.weight[3, 17]: nm: ..." — the line verify prints. */
    @Override public String toString() {
        String at = row < 0 ? "" : col < 0 ? "[" + row + "]" : "[" + row + ", " + col + "]";
        return tensor + at + ": " + rule + ": " + detail;
    }
}
