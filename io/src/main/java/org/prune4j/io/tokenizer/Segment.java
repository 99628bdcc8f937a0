package org.prune4j.io.tokenizer;

/**
 * A piece of the text on its way through normalizers and pre-tokenizers; {@code atOrigin} says whether it starts at
 * offset 0 of the original text (Metaspace's prepend_scheme "first" prepends only there).
 */
record Segment(String text, boolean atOrigin) {}
