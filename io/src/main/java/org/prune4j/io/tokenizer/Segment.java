package org.prune4j.io.tokenizer;

/**
 * A piece [start, end) of a string on its way through normalizers and pre-tokenizers (a range, so splitting copies
 * nothing); {@code atOrigin} says whether it starts at offset 0 of the original text (Metaspace's prepend_scheme
 * "first" prepends only there).
 */
record Segment(String src, int start, int end, boolean atOrigin) {
    Segment(String text, boolean atOrigin) {
        this(text, 0, text.length(), atOrigin);
    }

    String text() {
        return start == 0 && end == src.length() ? src : src.substring(start, end);
    }

    int length() {
        return end - start;
    }

    boolean isEmpty() {
        return end == start;
    }
}
