package org.prune4j.io.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** tokenizer.json normalizers (normalizers/*.rs): each rewrites one segment of text before pre-tokenization. */
final class Normalizers {
    private Normalizers() {}

    /** One normalizer step. */
    interface Normalizer {
        Segment apply(Segment s);
    }

    static final String SUPPORTED = "Sequence, Replace, Prepend, Strip, NFC, NFD, NFKC, NFKD, Lowercase, ByteLevel";

    static Normalizer parse(JsonFields j, Object json, String where) throws TokenizerFormatException {
        if (json == null) return null;
        Map<String, Object> m = j.object(json, where);
        String type = j.type(m, where);
        switch (type) {
            case "Sequence": {
                List<Normalizer> steps = new ArrayList<>();
                List<Object> list = j.list(m, "normalizers", where);
                for (int i = 0; i < list.size(); i++) {
                    Normalizer n = parse(j, list.get(i), where + ".normalizers[" + i + "]");
                    if (n != null) steps.add(n);
                }
                return s -> {
                    for (Normalizer n : steps) s = n.apply(s);
                    return s;
                };
            }
            case "Replace": {
                String content = j.string(m, "content", where);
                Map<String, Object> p = j.object(m.get("pattern"), where + ".pattern");
                if (p.get("String") instanceof String lit) {
                    if (lit.isEmpty()) return s -> s;
                    return s -> new Segment(s.text().replace(lit, content), s.atOrigin());
                }
                Pattern re = j.pattern(m, where);
                String quoted = Matcher.quoteReplacement(content);
                return s -> new Segment(re.matcher(s.text()).replaceAll(quoted), s.atOrigin());
            }
            case "Prepend": {
                String prefix = j.string(m, "prepend", where);
                return s -> s.text().isEmpty() ? s : new Segment(prefix + s.text(), s.atOrigin());
            }
            case "Strip": {
                boolean left = j.bool(m, "strip_left", false, where), right = j.bool(m, "strip_right", false, where);
                return s -> strip(s, left, right);
            }
            case "NFC": return unicode(java.text.Normalizer.Form.NFC);
            case "NFD": return unicode(java.text.Normalizer.Form.NFD);
            case "NFKC": return unicode(java.text.Normalizer.Form.NFKC);
            case "NFKD": return unicode(java.text.Normalizer.Form.NFKD);
            case "Lowercase": return s -> new Segment(s.text().toLowerCase(Locale.ROOT), s.atOrigin());
            case "ByteLevel": return s -> new Segment(ByteLevelMap.encode(s.text()), s.atOrigin());
            case "Precompiled":
                throw TokenizerFormatException.unsupported(j.file, where + ": the Precompiled normalizer (a SentencePiece NFKC charsmap)");
            default:
                throw TokenizerFormatException.unsupported(j.file, where + ": normalizer type \"" + type + "\" (normalizers implemented: " + SUPPORTED + ")");
        }
    }

    private static Normalizer unicode(java.text.Normalizer.Form form) {
        return s -> java.text.Normalizer.isNormalized(s.text(), form) ? s : new Segment(java.text.Normalizer.normalize(s.text(), form), s.atOrigin());
    }

    /** Rust's char::is_whitespace: the Unicode White_Space property (Java's isWhitespace differs on U+001C–1F, U+00A0, ...). */
    static boolean isWhitespace(int cp) {
        return cp == ' ' || (cp >= 0x9 && cp <= 0xD) || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }

    private static Segment strip(Segment s, boolean left, boolean right) {
        String t = s.text();
        int a = 0, b = t.length();
        if (left) while (a < b && isWhitespace(t.codePointAt(a))) a += Character.charCount(t.codePointAt(a));
        if (right) while (b > a && isWhitespace(t.codePointBefore(b))) b -= Character.charCount(t.codePointBefore(b));
        return a == 0 && b == t.length() ? s : new Segment(t.substring(a, b), s.atOrigin() && a == 0);
    }
}
