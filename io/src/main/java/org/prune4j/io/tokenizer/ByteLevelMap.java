package org.prune4j.io.tokenizer;

/**
 * GPT-2's reversible byte ↔ printable-character map (openai/gpt-2 encoder.py bytes_to_unicode): printable Latin-1
 * bytes map to themselves, the other 68 to U+0100 onwards, so any byte string becomes a string of vocabulary chars.
 */
final class ByteLevelMap {
    private ByteLevelMap() {}

    static final char[] BYTE_TO_CHAR = new char[256];
    /** char → byte, -1 for chars outside the map (indices up to U+0143). */
    static final int[] CHAR_TO_BYTE = new int[0x144];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + n++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    /** The UTF-8 bytes of s, each written as its map character. */
    static String encode(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch < 0x80) {
                sb.append(BYTE_TO_CHAR[ch]);
            } else {
                int cp = s.codePointAt(i);
                if (Character.isSupplementaryCodePoint(cp)) i++;
                if (cp < 0x800) {
                    sb.append(BYTE_TO_CHAR[0xC0 | cp >> 6]).append(BYTE_TO_CHAR[0x80 | cp & 0x3F]);
                } else if (cp < 0x10000) {
                    if (Character.isSurrogate((char) cp)) cp = 0xFFFD; // a lone surrogate is not text; encode U+FFFD
                    sb.append(BYTE_TO_CHAR[0xE0 | cp >> 12]).append(BYTE_TO_CHAR[0x80 | cp >> 6 & 0x3F]).append(BYTE_TO_CHAR[0x80 | cp & 0x3F]);
                } else {
                    sb.append(BYTE_TO_CHAR[0xF0 | cp >> 18]).append(BYTE_TO_CHAR[0x80 | cp >> 12 & 0x3F])
                            .append(BYTE_TO_CHAR[0x80 | cp >> 6 & 0x3F]).append(BYTE_TO_CHAR[0x80 | cp & 0x3F]);
                }
            }
        }
        return sb.toString();
    }

    /** Bytes of a token written in map characters, or null if a char is outside the map. */
    static byte[] decode(String token) {
        byte[] out = new byte[token.length()];
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b < 0) return null;
            out[i] = (byte) b;
        }
        return out;
    }
}
