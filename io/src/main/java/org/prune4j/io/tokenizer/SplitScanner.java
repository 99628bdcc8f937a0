package org.prune4j.io.tokenizer;

/**
 * Hand-written matchers for the three split regexes nearly every byte-level tokenizer ships (GPT-2's, Llama-3's and
 * Qwen2's), giving exactly the matches java.util.regex gives for them (property-tested against it) at a fraction of
 * the cost, which matters most in a cold JVM. Each pattern's alternatives cover every character, so matches are
 * contiguous: {@link #end} returns where the match starting at i ends.
 */
abstract class SplitScanner {
    /** GPT-2's pattern (the ByteLevel pre-tokenizer's built-in one). */
    static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    /** Llama-3's Split pattern (tiktoken cl100k-style). */
    static final String LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** Qwen2's Split pattern: Llama-3's with single digits. */
    static final String QWEN2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** A scanner for one of the known patterns, or null. */
    static SplitScanner forPattern(String regex) {
        if (regex.equals(GPT2)) return new Gpt2();
        if (regex.equals(LLAMA3)) return new Llama3(3);
        if (regex.equals(QWEN2)) return new Llama3(1);
        return null;
    }

    /** End of the match that starts at i (i < end); the text is s[.., end). */
    abstract int end(String s, int i, int end);

    /**
     * Whether a text may be cut before index p with no change to its matches, for all three patterns: scanning
     * s[.., p) and then s[p, ..) gives the matches of scanning s whole. True when s[p - 1] is an ASCII letter and s[p]
     * a space. The match holding s[p - 1] is then a contraction or a letter run (behind at most one prefix char), the
     * only alternatives that take letters, and it ends at p whether or not the text goes on: none of them takes a
     * space after a letter, and no earlier alternative can match where they do. Matches before it end, and look
     * ahead (\s+(?!\S) peeks one char), before p; and no alternative looks behind its start, so the scan restarts
     * at p exactly where the whole scan has a match start.
     */
    static boolean isSafeCut(String s, int p) {
        if (p <= 0 || p >= s.length() || s.charAt(p) != ' ') return false;
        char c = s.charAt(p - 1);
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    // ------------------------------------------------------------------ character classes (as java.util.regex with UNICODE_CHARACTER_CLASS)

    /** The four classes the patterns distinguish: \s, \p{L}, \p{N}, and everything else. */
    static final int SPACE = 0, LETTER = 1, NUMBER = 2, OTHER = 3;
    private static final byte[] ASCII = new byte[128];

    static {
        for (int c = 0; c < 128; c++) {
            ASCII[c] = (byte) (Normalizers.isWhitespace(c) ? SPACE : Character.isLetter(c) ? LETTER : Character.isDigit(c) ? NUMBER : OTHER);
        }
    }

    /** Class of a code point as java.util.regex sees it with UNICODE_CHARACTER_CLASS (\s = White_Space). */
    static int kind(int c) {
        if (c < 128) return ASCII[c];
        if (Normalizers.isWhitespace(c)) return SPACE;
        return switch (Character.getType(c)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            default -> OTHER;
        };
    }

    static boolean space(int c) {
        return kind(c) == SPACE;
    }

    static boolean letter(int c) {
        return kind(c) == LETTER;
    }

    static boolean number(int c) {
        return kind(c) == NUMBER;
    }

    /** [^\s\p{L}\p{N}]. */
    static boolean other(int c) {
        return kind(c) == OTHER;
    }

    static int cp(String s, int i) {
        char c = s.charAt(i);
        return Character.isSurrogate(c) ? s.codePointAt(i) : c;
    }

    static int next(String s, int i) {
        return Character.isHighSurrogate(s.charAt(i)) ? i + Character.charCount(s.codePointAt(i)) : i + 1;
    }

    /** The first index at or after i whose code point is not of class {@code k}. */
    static int run(String s, int i, int end, int k) {
        while (i < end) {
            char c = s.charAt(i);
            if (c < 128) {
                if (ASCII[c] != k) break;
                i++;
            } else {
                int cp = cp(s, i);
                if (kind(cp) != k) break;
                i += Character.charCount(cp);
            }
        }
        return i;
    }

    /** \s+(?!\S)|\s+ from a whitespace char at i: the run, less its last char when a non-space follows it. */
    static int spaces(String s, int i, int end) {
        int j = run(s, i, end, SPACE);
        if (j == end) return j;
        int last = s.offsetByCodePoints(j, -1);
        return last > i ? last : j;
    }

    /** '(s|t|re|ve|m|ll|d) at i, case-sensitive or with Java's Unicode case folding; the end, or -1. */
    static int contraction(String s, int i, int end, boolean ignoreCase) {
        if (s.charAt(i) != '\'' || i + 1 >= end) return -1;
        int a = cp(s, i + 1);
        int ia = i + 1 + Character.charCount(a);
        if (eq(a, 's', ignoreCase) || eq(a, 't', ignoreCase) || eq(a, 'm', ignoreCase) || eq(a, 'd', ignoreCase)) {
            // 's, 't, 'm, 'd come before 're, 've, 'll in the alternation but cannot conflict with them
            return ia;
        }
        if (ia < end) {
            int b = cp(s, ia);
            int ib = ia + Character.charCount(b);
            if (eq(a, 'r', ignoreCase) && eq(b, 'e', ignoreCase)) return ib;
            if (eq(a, 'v', ignoreCase) && eq(b, 'e', ignoreCase)) return ib;
            if (eq(a, 'l', ignoreCase) && eq(b, 'l', ignoreCase)) return ib;
        }
        return -1;
    }

    /** A pattern letter (lower case) against a text char; case-insensitively as java.util.regex's UNICODE_CASE does. */
    private static boolean eq(int c, int lower, boolean ignoreCase) {
        if (c == lower) return true;
        return ignoreCase && (Character.toLowerCase(Character.toUpperCase(c)) == lower || Character.toLowerCase(c) == lower);
    }

    /** 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
    static final class Gpt2 extends SplitScanner {
        @Override
        int end(String s, int i, int end) {
            int k = contraction(s, i, end, false);
            if (k >= 0) return k;
            int c = cp(s, i);
            int j = i;
            if (c == ' ' && i + 1 < end) { // optional space before a letter, number or other run
                int d = cp(s, i + 1);
                if (letter(d) || number(d) || other(d)) {
                    j = i + 1;
                    c = d;
                }
            }
            if (letter(c)) return run(s, j, end, LETTER);
            if (number(c)) return run(s, j, end, NUMBER);
            if (other(c)) return run(s, j, end, OTHER);
            return spaces(s, i, end);
        }
    }

    /**
     * (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
     */
    static final class Llama3 extends SplitScanner {
        private final int maxDigits;

        Llama3(int maxDigits) {
            this.maxDigits = maxDigits;
        }

        @Override
        int end(String s, int i, int end) {
            int k = contraction(s, i, end, true);
            if (k >= 0) return k;
            int c = cp(s, i);
            int n = next(s, i);
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if (letter(c)) return run(s, n, end, LETTER);
            if (c != '\r' && c != '\n' && !number(c) && n < end && letter(cp(s, n))) return run(s, n, end, LETTER);
            // \p{N}{1,maxDigits}
            if (number(c)) {
                int j = n;
                for (int d = 1; d < maxDigits && j < end && number(cp(s, j)); d++) j = next(s, j);
                return j;
            }
            // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
            int j = -1;
            if (other(c)) j = i;
            else if (c == ' ' && n < end && other(cp(s, n))) j = n;
            if (j >= 0) {
                j = run(s, j, end, OTHER);
                while (j < end && (s.charAt(j) == '\r' || s.charAt(j) == '\n')) j++;
                return j;
            }
            // c is whitespace here. \s*[\r\n]+ : up to the last \r or \n of the whitespace run
            int r = run(s, i, end, SPACE);
            for (int q = r - 1; q >= i; q--) {
                char ch = s.charAt(q);
                if (ch == '\r' || ch == '\n') return q + 1;
            }
            return spaces(s, i, end);
        }
    }
}
