package org.prune4j.io.tokenizer;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Compiles the Oniguruma (Ruby syntax) regexes found in tokenizer.json into java.util.regex patterns that match the
 * same text: Unicode-aware {@code \s \w \d} and case folding (Oniguruma's are Unicode on UTF-8), and Ruby's
 * line-anchored {@code ^ $} with only '\n' ending a line. {@code \p{L} \p{N}}, possessive quantifiers, atomic
 * groups, look-around and {@code (?i:...)} are written the same in both.
 */
final class OnigRegex {
    private OnigRegex() {}

    static final int FLAGS = Pattern.UNICODE_CHARACTER_CLASS | Pattern.UNICODE_CASE | Pattern.MULTILINE | Pattern.UNIX_LINES;

    /** The GPT-2 split regex the ByteLevel pre-tokenizer uses when use_regex is true. */
    static final Pattern GPT2 = compile(SplitScanner.GPT2);

    static Pattern compile(String onig) throws PatternSyntaxException {
        return Pattern.compile(translate(onig), FLAGS);
    }

    /** Rewrites the few escapes whose meaning differs: Ruby's \h (hex digit; Java: horizontal space), \H. */
    static String translate(String onig) {
        StringBuilder sb = new StringBuilder(onig.length());
        for (int i = 0; i < onig.length(); i++) {
            char c = onig.charAt(i);
            if (c == '\\' && i + 1 < onig.length()) {
                char d = onig.charAt(i + 1);
                if (d == 'h') sb.append("\\p{XDigit}");
                else if (d == 'H') sb.append("\\P{XDigit}");
                else sb.append(c).append(d);
                i++;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
