package org.prune4j.io.data;

/** Text helpers that must agree with the Python side of the references. */
final class Text {
    private Text() {}

    /**
     * Python's str.isspace: general category Zs, or bidirectional class WS, B or S. Differs from Java's
     * Character.isWhitespace on no-break spaces (U+00A0, U+2007, U+202F), which Python strips.
     */
    static boolean isPythonSpace(int cp) {
        if (Character.getType(cp) == Character.SPACE_SEPARATOR) return true;
        byte d = Character.getDirectionality(cp);
        return d == Character.DIRECTIONALITY_WHITESPACE || d == Character.DIRECTIONALITY_PARAGRAPH_SEPARATOR
                || d == Character.DIRECTIONALITY_SEGMENT_SEPARATOR;
    }

    /** Python's str.strip() with no argument. */
    static String pythonStrip(String s) {
        int a = 0, b = s.length();
        while (a < b && isPythonSpace(s.codePointAt(a))) a += Character.charCount(s.codePointAt(a));
        while (b > a && isPythonSpace(s.codePointBefore(b))) b -= Character.charCount(s.codePointBefore(b));
        return s.substring(a, b);
    }
}
