package org.prune4j.io.tokenizer;

/**
 * UTF-8 decoding with the replacement rules of the two reference libraries, which differ on malformed bytes:
 * sentencepiece replaces each bad byte, Rust's from_utf8_lossy each maximal bad subsequence.
 */
final class Utf8 {
    private Utf8() {}

    static final char REPLACEMENT = '\uFFFD';

    /** Length of the valid sequence at i (1–4), or -k where k ≥ 1 is the length of the maximal invalid subpart. */
    static int sequence(byte[] b, int i, int end) {
        int c = b[i] & 0xff;
        if (c < 0x80) return 1;
        int need;
        int lo = 0x80, hi = 0xBF; // allowed range of the first continuation byte
        if (c >= 0xC2 && c <= 0xDF) need = 1;
        else if (c == 0xE0) { need = 2; lo = 0xA0; }
        else if (c >= 0xE1 && c <= 0xEC || c == 0xEE || c == 0xEF) need = 2;
        else if (c == 0xED) { need = 2; hi = 0x9F; }
        else if (c == 0xF0) { need = 3; lo = 0x90; }
        else if (c >= 0xF1 && c <= 0xF3) need = 3;
        else if (c == 0xF4) { need = 3; hi = 0x8F; }
        else return -1;
        for (int k = 1; k <= need; k++) {
            if (i + k >= end) return -k;
            int d = b[i + k] & 0xff;
            if (k == 1 ? (d < lo || d > hi) : (d < 0x80 || d > 0xBF)) return -k;
        }
        return need + 1;
    }

    /** Rust's String::from_utf8_lossy: one U+FFFD per maximal invalid subpart. */
    static void decodeLossy(byte[] b, StringBuilder out) {
        int i = 0;
        while (i < b.length) {
            int n = sequence(b, i, b.length);
            if (n > 0) {
                appendCodePoint(b, i, n, out);
                i += n;
            } else {
                out.append(REPLACEMENT);
                i += -n;
            }
        }
    }

    /** sentencepiece's byte-piece decoding: one U+FFFD for each byte that does not start a valid sequence. */
    static void decodePerByte(byte[] b, StringBuilder out) {
        int i = 0;
        while (i < b.length) {
            int n = sequence(b, i, b.length);
            if (n > 0) {
                appendCodePoint(b, i, n, out);
                i += n;
            } else {
                out.append(REPLACEMENT);
                i += 1;
            }
        }
    }

    /** Whether all bytes form valid UTF-8. */
    static boolean isValid(byte[] b) {
        for (int i = 0; i < b.length; ) {
            int n = sequence(b, i, b.length);
            if (n < 0) return false;
            i += n;
        }
        return true;
    }

    private static void appendCodePoint(byte[] b, int i, int n, StringBuilder out) {
        int c = b[i] & 0xff;
        int cp = switch (n) {
            case 1 -> c;
            case 2 -> (c & 0x1F) << 6 | (b[i + 1] & 0x3F);
            case 3 -> (c & 0x0F) << 12 | (b[i + 1] & 0x3F) << 6 | (b[i + 2] & 0x3F);
            default -> (c & 0x07) << 18 | (b[i + 1] & 0x3F) << 12 | (b[i + 2] & 0x3F) << 6 | (b[i + 3] & 0x3F);
        };
        out.appendCodePoint(cp);
    }
}
