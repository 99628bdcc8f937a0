package org.prune4j.io.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** tokenizer.json decoders (decoders/*.rs): a chain of token-list rewrites whose result is joined into the text. */
final class Decoders {
    private Decoders() {}

    /** decode_chain: tokens in, tokens out. */
    interface Decoder {
        List<String> apply(List<String> tokens);
    }

    static final String SUPPORTED = "Sequence, ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, BPEDecoder";

    static Decoder parse(JsonFields j, Object json, String where) throws TokenizerFormatException {
        if (json == null) return null;
        Map<String, Object> m = j.object(json, where);
        String type = j.type(m, where);
        switch (type) {
            case "Sequence": {
                List<Decoder> steps = new ArrayList<>();
                List<Object> list = j.list(m, "decoders", where);
                for (int i = 0; i < list.size(); i++) {
                    Decoder d = parse(j, list.get(i), where + ".decoders[" + i + "]");
                    if (d != null) steps.add(d);
                }
                return tokens -> {
                    for (Decoder d : steps) tokens = d.apply(tokens);
                    return tokens;
                };
            }
            case "ByteLevel":
                return Decoders::byteLevel;
            case "Metaspace": {
                String rep = j.string(m, "replacement", where);
                String scheme = m.containsKey("prepend_scheme") ? j.string(m, "prepend_scheme", where) : "always";
                if (Boolean.FALSE.equals(m.get("add_prefix_space"))) scheme = "never";
                boolean stripFirst = !scheme.equals("never");
                int repCp = rep.codePointAt(0);
                return tokens -> {
                    List<String> out = new ArrayList<>(tokens.size());
                    for (int i = 0; i < tokens.size(); i++) {
                        StringBuilder sb = new StringBuilder();
                        String t = tokens.get(i);
                        for (int k = 0; k < t.length(); ) {
                            int cp = t.codePointAt(k);
                            if (cp == repCp) {
                                if (!(i == 0 && stripFirst)) sb.append(' '); // every replacement char of the first token is dropped
                            } else {
                                sb.appendCodePoint(cp);
                            }
                            k += Character.charCount(cp);
                        }
                        out.add(sb.toString());
                    }
                    return out;
                };
            }
            case "Replace": {
                String content = j.string(m, "content", where);
                Map<String, Object> p = j.object(m.get("pattern"), where + ".pattern");
                if (p.get("String") instanceof String lit && !lit.isEmpty()) {
                    return tokens -> tokens.stream().map(t -> t.replace(lit, content)).toList();
                }
                Pattern re = j.pattern(m, where);
                String quoted = Matcher.quoteReplacement(content);
                return tokens -> tokens.stream().map(t -> re.matcher(t).replaceAll(quoted)).toList();
            }
            case "ByteFallback":
                return Decoders::byteFallback;
            case "Fuse":
                return tokens -> List.of(String.join("", tokens));
            case "Strip": {
                String content = j.string(m, "content", where);
                int c = content.codePointAt(0);
                int start = (int) j.integer(m.get("start"), where + ".start"), stop = (int) j.integer(m.get("stop"), where + ".stop");
                return tokens -> tokens.stream().map(t -> strip(t, c, start, stop)).toList();
            }
            case "BPEDecoder": {
                String suffix = m.get("suffix") instanceof String s ? s : "</w>";
                return tokens -> {
                    List<String> out = new ArrayList<>(tokens.size());
                    for (int i = 0; i < tokens.size(); i++) {
                        String r = i == tokens.size() - 1 ? "" : " ";
                        out.add(tokens.get(i).replace(suffix, r));
                    }
                    return out;
                };
            }
            default:
                throw TokenizerFormatException.unsupported(j.file, where + ": decoder type \"" + type + "\" (decoders implemented: " + SUPPORTED + ")");
        }
    }

    /** All tokens' map chars back to bytes (a token with a char outside the map contributes its UTF-8), decoded lossily. */
    private static List<String> byteLevel(List<String> tokens) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (String t : tokens) {
            byte[] b = ByteLevelMap.decode(t);
            bytes.writeBytes(b != null ? b : t.getBytes(StandardCharsets.UTF_8));
        }
        StringBuilder sb = new StringBuilder();
        Utf8.decodeLossy(bytes.toByteArray(), sb);
        return List.of(sb.toString());
    }

    /** Runs of <0xNN> tokens become their UTF-8 text, or one U+FFFD per byte when the run is not valid UTF-8. */
    private static List<String> byteFallback(List<String> tokens) {
        List<String> out = new ArrayList<>(tokens.size());
        ByteArrayOutputStream run = new ByteArrayOutputStream();
        for (String t : tokens) {
            int b = t.length() == 6 && t.startsWith("<0x") && t.endsWith(">") ? parseHexByte(t.substring(3, 5)) : -1;
            if (b >= 0) {
                run.write(b);
                continue;
            }
            flushRun(run, out);
            out.add(t);
        }
        flushRun(run, out);
        return out;
    }

    private static void flushRun(ByteArrayOutputStream run, List<String> out) {
        if (run.size() == 0) return;
        byte[] b = run.toByteArray();
        if (Utf8.isValid(b)) out.add(new String(b, StandardCharsets.UTF_8));
        else for (int i = 0; i < b.length; i++) out.add("\uFFFD");
        run.reset();
    }

    /** u8::from_str_radix(.., 16): two hex digits, either case. */
    private static int parseHexByte(String two) {
        int hi = Character.digit(two.charAt(0), 16), lo = Character.digit(two.charAt(1), 16);
        if (hi < 0 || lo < 0 || two.charAt(0) > 'f' || two.charAt(1) > 'f') return -1;
        return hi * 16 + lo;
    }

    /** Removes up to {@code start} leading and {@code stop} trailing copies of char c. */
    private static String strip(String t, int c, int start, int stop) {
        int[] cps = t.codePoints().toArray();
        int a = 0;
        for (int i = 0; i < Math.min(start, cps.length); i++) {
            if (cps[i] == c) a = i + 1;
            else break;
        }
        int b = cps.length;
        for (int i = 0; i < stop && cps.length - i - 1 >= 0; i++) {
            int idx = cps.length - i - 1;
            if (cps[idx] == c) b = idx;
            else break;
        }
        if (b < a) b = a;
        return new String(cps, a, b - a);
    }
}
