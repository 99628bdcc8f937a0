package org.prune4j.io.tokenizer;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The added (and special) tokens of a tokenizer.json, cut out of the text before the model sees it, as
 * added_vocabulary.rs does: leftmost-longest matching, single_word / lstrip / rstrip rules, and two passes: tokens
 * with normalized=false against the raw text, those with normalized=true against the normalized text.
 */
final class AddedTokens {
    /** One added token (AddedToken in added_vocabulary.rs). */
    record Token(int id, String content, boolean singleWord, boolean lstrip, boolean rstrip, boolean normalized, boolean special) {}

    /** A split of a sentence: [start, end) and the added token's id, or -1 for text between tokens. */
    record Split(int start, int end, int id) {}

    final List<Token> tokens;
    final Matcher raw, normalized;

    AddedTokens(List<Token> tokens, Normalizers.Normalizer normalizer) {
        this.tokens = tokens;
        List<String> rawPatterns = new ArrayList<>(), normPatterns = new ArrayList<>();
        List<Token> rawTokens = new ArrayList<>(), normTokens = new ArrayList<>();
        for (Token t : tokens) {
            if (t.normalized()) {
                String p = normalizer == null ? t.content() : normalizer.apply(new Segment(t.content(), true)).text();
                normPatterns.add(p);
                normTokens.add(t);
            } else {
                rawPatterns.add(t.content());
                rawTokens.add(t);
            }
        }
        raw = rawTokens.isEmpty() ? null : new Matcher(rawPatterns, rawTokens);
        normalized = normTokens.isEmpty() ? null : new Matcher(normPatterns, normTokens);
    }

    /** find_matches: the splits covering {@code sentence} (in order; an empty list for an empty sentence). */
    static List<Split> split(String sentence, Matcher m) {
        List<Split> out = new ArrayList<>(4);
        if (sentence.isEmpty()) return out;
        if (m == null) {
            out.add(new Split(0, sentence.length(), -1));
            return out;
        }
        int startOffset = 0;
        int pos = 0;
        while (pos < sentence.length()) {
            int[] hit = m.leftmostLongest(sentence, pos);
            if (hit == null) break;
            int start = hit[0], stop = hit[1];
            Token t = m.tokens.get(hit[2]);
            pos = stop;
            if (t.singleWord()) {
                boolean startSpace = start == 0 || !isWordChar(sentence.codePointBefore(start));
                boolean stopSpace = stop == sentence.length() || !isWordChar(sentence.codePointAt(stop));
                if (!startSpace || !stopSpace) continue; // not a single word: leave it to the model
            }
            if (t.lstrip()) {
                int s = start;
                while (s > 0 && Normalizers.isWhitespace(sentence.codePointBefore(s))) s -= Character.charCount(sentence.codePointBefore(s));
                start = Math.max(s, startOffset);
            }
            if (t.rstrip()) {
                while (stop < sentence.length() && Normalizers.isWhitespace(sentence.codePointAt(stop))) stop += Character.charCount(sentence.codePointAt(stop));
            }
            if (startOffset < start) out.add(new Split(startOffset, start, -1));
            out.add(new Split(start, stop, t.id()));
            startOffset = stop;
        }
        if (startOffset != sentence.length()) out.add(new Split(startOffset, sentence.length(), -1));
        return out;
    }

    /** Rust regex's Unicode \w: alphabetic, marks, decimal digits, connector punctuation, joiners. */
    static boolean isWordChar(int cp) {
        if (Character.isAlphabetic(cp)) return true;
        int t = Character.getType(cp);
        return t == Character.NON_SPACING_MARK || t == Character.ENCLOSING_MARK || t == Character.COMBINING_SPACING_MARK
                || t == Character.DECIMAL_DIGIT_NUMBER || t == Character.CONNECTOR_PUNCTUATION || cp == 0x200C || cp == 0x200D;
    }

    /** A character trie over the token strings, searched leftmost-longest and non-overlapping. */
    static final class Matcher {
        private static final class Node {
            Map<Character, Node> next;
            int token = -1;
        }

        final List<Token> tokens;
        private final Node root = new Node();
        private final BitSet first = new BitSet(1 << 16);
        /** The first char of every pattern when they all share one (usually '<'): found with indexOf. */
        private final int sharedFirst;

        Matcher(List<String> patterns, List<Token> tokens) {
            this.tokens = tokens;
            for (int i = 0; i < patterns.size(); i++) {
                String p = patterns.get(i);
                if (p.isEmpty()) continue;
                first.set(p.charAt(0));
                Node n = root;
                for (int k = 0; k < p.length(); k++) {
                    if (n.next == null) n.next = new HashMap<>(4);
                    n = n.next.computeIfAbsent(p.charAt(k), c -> new Node());
                }
                if (n.token < 0) n.token = i; // the same pattern twice: the first one wins
            }
            sharedFirst = first.cardinality() == 1 ? first.nextSetBit(0) : -1;
        }

        /** {start, end, token index} of the leftmost-longest match at or after {@code from}, or null. */
        int[] leftmostLongest(String s, int from) {
            for (int i = from; i < s.length(); i++) {
                if (sharedFirst >= 0) {
                    i = s.indexOf(sharedFirst, i);
                    if (i < 0) return null;
                } else if (!first.get(s.charAt(i))) {
                    continue;
                }
                Node n = root;
                int bestEnd = -1, best = -1;
                for (int k = i; k < s.length() && n.next != null; k++) {
                    n = n.next.get(s.charAt(k));
                    if (n == null) break;
                    if (n.token >= 0) {
                        bestEnd = k + 1;
                        best = n.token;
                    }
                }
                if (best >= 0) return new int[]{i, bestEnd, best};
            }
            return null;
        }
    }
}
