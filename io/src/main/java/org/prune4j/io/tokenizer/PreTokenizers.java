package org.prune4j.io.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** tokenizer.json pre-tokenizers (pre_tokenizers/*.rs): each cuts a normalized segment into words for the model. */
final class PreTokenizers {
    private PreTokenizers() {}

    /** One pre-tokenizer step: appends the words of {@code s} to {@code out}. */
    interface PreTokenizer {
        void apply(Segment s, List<Segment> out);
    }

    static final String SUPPORTED = "Sequence, ByteLevel, Split, Metaspace, Digits, Whitespace, WhitespaceSplit";

    /** How a split treats the matched delimiters (SplitDelimiterBehavior). */
    enum Behavior { REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS }

    static PreTokenizer parse(JsonFields j, Object json, String where) throws TokenizerFormatException {
        return parse(j, json, where, false);
    }

    /**
     * Whether the pre-tokenizer ends with a ByteLevel step (alone, or last of a Sequence): then that step can leave
     * its words unmapped and the model maps them on a cache miss only, which is how encoding stays fast.
     */
    static boolean endsWithByteLevel(Object json) {
        if (!(json instanceof Map<?, ?> m)) return false;
        if ("ByteLevel".equals(m.get("type"))) return true;
        if ("Sequence".equals(m.get("type")) && m.get("pretokenizers") instanceof List<?> l && !l.isEmpty()) return endsWithByteLevel(l.get(l.size() - 1));
        return false;
    }

    /** With {@code deferByteLevel}, the final ByteLevel step emits raw words (see {@link #endsWithByteLevel}). */
    static PreTokenizer parse(JsonFields j, Object json, String where, boolean deferByteLevel) throws TokenizerFormatException {
        if (json == null) return null;
        Map<String, Object> m = j.object(json, where);
        String type = j.type(m, where);
        switch (type) {
            case "Sequence": {
                List<PreTokenizer> steps = new ArrayList<>();
                List<Object> list = j.list(m, "pretokenizers", where);
                for (int i = 0; i < list.size(); i++) {
                    PreTokenizer p = parse(j, list.get(i), where + ".pretokenizers[" + i + "]", deferByteLevel && i == list.size() - 1);
                    if (p != null) steps.add(p);
                }
                // a step that passes each word through changes nothing after another step (whose words are never empty):
                // Llama-3's Split + ByteLevel(no regex, no prefix) is then the Split alone, a Scanning pre-tokenizer
                for (int k = steps.size() - 1; k > 0; k--) if (steps.get(k) == KEEP_WORD) steps.remove(k);
                if (steps.size() == 1) return steps.get(0);
                return (s, out) -> {
                    List<Segment> cur = List.of(s);
                    for (int k = 0; k < steps.size(); k++) {
                        PreTokenizer p = steps.get(k);
                        // the last step writes straight into out; earlier ones into a list sized for short words
                        List<Segment> next = k == steps.size() - 1 ? out : new ArrayList<>(Math.max(16, s.length() / 3));
                        for (Segment c : cur) p.apply(c, next);
                        cur = next;
                    }
                };
            }
            case "ByteLevel": {
                boolean prefixSpace = j.bool(m, "add_prefix_space", true, where);
                boolean useRegex = j.bool(m, "use_regex", true, where);
                boolean map = !deferByteLevel;
                if (useRegex && !map) return new Scanning(GPT2_SCANNER, prefixSpace);
                if (!useRegex && !map && !prefixSpace) return KEEP_WORD;
                return (s, out) -> {
                    Segment t = prefixSpace && (s.isEmpty() || s.src().charAt(s.start()) != ' ') ? new Segment(" " + s.text(), s.atOrigin()) : s;
                    int from = out.size();
                    if (useRegex) splitScan(t, GPT2_SCANNER, Behavior.ISOLATED, false, out);
                    else if (!t.isEmpty()) out.add(t);
                    if (map) {
                        for (int i = from; i < out.size(); i++) {
                            Segment w = out.get(i);
                            out.set(i, new Segment(ByteLevelMap.encode(w.text()), w.atOrigin()));
                        }
                    }
                };
            }
            case "Split": {
                Pattern re = j.pattern(m, where);
                Behavior b = behavior(j, j.string(m, "behavior", where), where);
                boolean invert = j.bool(m, "invert", false, where);
                SplitScanner scanner = re.flags() == OnigRegex.FLAGS ? SplitScanner.forPattern(re.pattern()) : null;
                if (scanner != null && b == Behavior.ISOLATED && !invert) return new Scanning(scanner, false);
                if (scanner != null) return (s, out) -> splitScan(s, scanner, b, invert, out);
                return (s, out) -> splitRegex(s, re, b, invert, out);
            }
            case "Metaspace": {
                String rep = j.string(m, "replacement", where);
                if (rep.codePointCount(0, rep.length()) != 1) throw j.error(where + ".replacement", "must be one character, got \"" + rep + "\"");
                String scheme = m.containsKey("prepend_scheme") ? j.string(m, "prepend_scheme", where) : "always";
                if (Boolean.FALSE.equals(m.get("add_prefix_space"))) {
                    if (m.containsKey("prepend_scheme") && !scheme.equals("never")) {
                        throw j.error(where, "add_prefix_space does not match declared prepend_scheme");
                    }
                    scheme = "never";
                }
                if (!scheme.equals("always") && !scheme.equals("first") && !scheme.equals("never")) {
                    throw j.error(where + ".prepend_scheme", "expected always, first or never, got \"" + scheme + "\"");
                }
                String prepend = scheme;
                boolean split = j.bool(m, "split", true, where);
                int repCp = rep.codePointAt(0);
                return (s, out) -> {
                    String t = s.text().replace(" ", rep);
                    if (!t.startsWith(rep) && (prepend.equals("always") || (prepend.equals("first") && s.atOrigin()))) t = rep + t;
                    Segment n = new Segment(t, s.atOrigin());
                    if (split) splitChars(n, c -> c == repCp, Behavior.MERGED_WITH_NEXT, out);
                    else if (!n.isEmpty()) out.add(n);
                };
            }
            case "Digits": {
                boolean individual = j.bool(m, "individual_digits", false, where);
                Behavior b = individual ? Behavior.ISOLATED : Behavior.CONTIGUOUS;
                return (s, out) -> splitChars(s, c -> c >= '0' && c <= '9', b, out);
            }
            case "WhitespaceSplit":
                return (s, out) -> splitChars(s, Normalizers::isWhitespace, Behavior.REMOVED, out);
            case "Whitespace": {
                Pattern words = Pattern.compile("\\w+|[^\\w\\s]+", Pattern.UNICODE_CHARACTER_CLASS);
                return (s, out) -> splitRegex(s, words, Behavior.REMOVED, true, out);
            }
            default:
                throw TokenizerFormatException.unsupported(j.file, where + ": pre-tokenizer type \"" + type + "\" (pre-tokenizers implemented: " + SUPPORTED + ")");
        }
    }

    static Behavior behavior(JsonFields j, String name, String where) throws TokenizerFormatException {
        return switch (name) {
            case "Removed" -> Behavior.REMOVED;
            case "Isolated" -> Behavior.ISOLATED;
            case "MergedWithPrevious" -> Behavior.MERGED_WITH_PREVIOUS;
            case "MergedWithNext" -> Behavior.MERGED_WITH_NEXT;
            case "Contiguous" -> Behavior.CONTIGUOUS;
            default -> throw j.error(where + ".behavior", "unknown split behavior \"" + name + "\"");
        };
    }

    private static final SplitScanner GPT2_SCANNER = SplitScanner.forPattern(SplitScanner.GPT2);

    /** ByteLevel without regex, prefix space or mapping: each (non-empty) segment is one word, unchanged. */
    private static final PreTokenizer KEEP_WORD = (s, out) -> {
        if (!s.isEmpty()) out.add(s);
    };

    /**
     * A pre-tokenizer whose words are exactly the matches of one {@link SplitScanner} over the segment (after
     * ByteLevel's optional prefix space): ByteLevel with GPT-2's regex and deferred mapping, or an Isolated,
     * non-inverted Split with a known pattern. The encoder then scans and looks words up in one pass, with no word
     * objects, and may cut a long text into chunks at {@link SplitScanner#isSafeCut safe cuts} scanned in parallel.
     */
    static final class Scanning implements PreTokenizer {
        final SplitScanner scanner;
        private final boolean prefixSpace;

        Scanning(SplitScanner scanner, boolean prefixSpace) {
            this.scanner = scanner;
            this.prefixSpace = prefixSpace;
        }

        /** The text the scanner runs over: s, or s behind ByteLevel's prefix space when it does not start with one. */
        Segment prepare(Segment s) {
            return prefixSpace && (s.isEmpty() || s.src().charAt(s.start()) != ' ') ? new Segment(" " + s.text(), s.atOrigin()) : s;
        }

        @Override
        public void apply(Segment s, List<Segment> out) {
            splitScan(prepare(s), scanner, Behavior.ISOLATED, false, out);
        }
    }

    /** As splitRegex for a pattern a {@link SplitScanner} implements: its matches are contiguous. */
    static void splitScan(Segment s, SplitScanner sc, Behavior b, boolean invert, List<Segment> out) {
        String src = s.src();
        if (b == Behavior.ISOLATED) { // every match is a word: no need to collect the spans first
            for (int i = s.start(), end = s.end(); i < end; ) {
                int e = sc.end(src, i, end);
                out.add(new Segment(src, i, e, s.atOrigin() && i == s.start()));
                i = e;
            }
            return;
        }
        Spans sp = new Spans();
        for (int i = s.start(), end = s.end(); i < end; ) {
            int e = sc.end(src, i, end);
            sp.add(i, e, !invert);
            i = e;
        }
        sp.emit(s, b, out);
    }

    /** Matches of a regex as (start, end, isMatch) spans covering the text (pattern.rs for Regex), optionally inverted. */
    static void splitRegex(Segment s, Pattern re, Behavior b, boolean invert, List<Segment> out) {
        Spans sp = new Spans();
        if (!s.isEmpty()) {
            // a region with opaque, anchoring bounds matches exactly as the substring would
            Matcher mt = re.matcher(s.src()).region(s.start(), s.end());
            int prev = s.start();
            while (mt.find()) {
                if (prev != mt.start()) sp.add(prev, mt.start(), invert);
                sp.add(mt.start(), mt.end(), !invert);
                prev = mt.end();
            }
            if (prev != s.end()) sp.add(prev, s.end(), invert);
        }
        sp.emit(s, b, out);
    }

    /** Each char satisfying {@code isDelimiter} is its own match (pattern.rs for Fn(char) -> bool). */
    static void splitChars(Segment s, IntPredicate isDelimiter, Behavior b, List<Segment> out) {
        String t = s.src();
        Spans sp = new Spans();
        int last = s.start();
        for (int i = s.start(); i < s.end(); ) {
            int cp = t.codePointAt(i);
            int next = i + Character.charCount(cp);
            if (isDelimiter.test(cp)) {
                if (last < i) sp.add(last, i, false);
                sp.add(i, next, true);
                last = next;
            }
            i = next;
        }
        if (last < s.end()) sp.add(last, s.end(), false);
        sp.emit(s, b, out);
    }

    /** The match events of one split and NormalizedString::split's treatment of them. */
    private static final class Spans {
        int[] start = new int[16], end = new int[16];
        boolean[] match = new boolean[16];
        int n;

        void add(int a, int b, boolean m) {
            if (n == start.length) {
                start = java.util.Arrays.copyOf(start, n * 2);
                end = java.util.Arrays.copyOf(end, n * 2);
                match = java.util.Arrays.copyOf(match, n * 2);
            }
            start[n] = a;
            end[n] = b;
            match[n] = m;
            n++;
        }

        void emit(Segment s, Behavior b, List<Segment> out) {
            String t = s.src();
            switch (b) {
                case ISOLATED -> {
                    for (int i = 0; i < n; i++) piece(s, t, start[i], end[i], out);
                }
                case REMOVED -> {
                    for (int i = 0; i < n; i++) if (!match[i]) piece(s, t, start[i], end[i], out);
                }
                case CONTIGUOUS -> {
                    int i = 0;
                    while (i < n) {
                        int k = i;
                        while (k + 1 < n && match[k + 1] == match[i]) k++;
                        piece(s, t, start[i], end[k], out);
                        i = k + 1;
                    }
                }
                case MERGED_WITH_PREVIOUS -> {
                    // a match directly after a non-match joins it; consecutive matches stay apart
                    int curStart = -1, curEnd = -1;
                    boolean prevMatch = false;
                    for (int i = 0; i < n; i++) {
                        if (match[i] && !prevMatch && curStart >= 0) {
                            curEnd = end[i];
                        } else {
                            if (curStart >= 0) piece(s, t, curStart, curEnd, out);
                            curStart = start[i];
                            curEnd = end[i];
                        }
                        prevMatch = match[i];
                    }
                    if (curStart >= 0) piece(s, t, curStart, curEnd, out);
                }
                case MERGED_WITH_NEXT -> {
                    // walked from the end: a match directly before a non-match joins it
                    int[] ps = new int[n], pe = new int[n];
                    int k = 0;
                    boolean nextMatch = false;
                    for (int i = n - 1; i >= 0; i--) {
                        if (match[i] && !nextMatch && k > 0) {
                            ps[k - 1] = start[i];
                        } else {
                            ps[k] = start[i];
                            pe[k] = end[i];
                            k++;
                        }
                        nextMatch = match[i];
                    }
                    for (int i = k - 1; i >= 0; i--) piece(s, t, ps[i], pe[i], out);
                }
            }
        }

        private static void piece(Segment s, String t, int a, int b, List<Segment> out) {
            if (a < b) out.add(new Segment(t, a, b, s.atOrigin() && a == s.start()));
        }
    }
}
