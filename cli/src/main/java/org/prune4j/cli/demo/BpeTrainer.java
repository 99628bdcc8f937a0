package org.prune4j.cli.demo;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.prune4j.io.json.Json;

/**
 * Trains a small byte-level BPE tokenizer (GPT-2 style: ByteLevel pre-tokenizer with GPT-2's split regex, 256 byte
 * symbols, learned merges) and writes it as a Hugging Face {@code tokenizer.json} with {@code <s>} prepended by the
 * post-processor, so the demo's model folder is a complete checkpoint any HF-compatible tool loads.
 */
public final class BpeTrainer {
    private BpeTrainer() {}

    /** GPT-2's pre-tokenizer split (what HF's ByteLevel pre-tokenizer applies with use_regex). */
    static final Pattern GPT2_SPLIT = Pattern.compile("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

    public static final String BOS = "<s>", EOS = "</s>";
    /** Ids of the special tokens (the model config's bos_token_id / eos_token_id). */
    public static final int BOS_ID = 0, EOS_ID = 1;

    /** GPT-2's byte-to-unicode map: printable bytes stand for themselves, the others for code points 256 and up. */
    static String[] byteSymbols() {
        String[] s = new String[256];
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
            s[b] = new String(Character.toChars(printable ? b : 256 + extra++));
        }
        return s;
    }

    /** The symbols of one pre-token: its UTF-8 bytes as byte symbols. */
    static List<String> symbols(String word, String[] bytes) {
        List<String> out = new ArrayList<>();
        for (byte b : word.getBytes(java.nio.charset.StandardCharsets.UTF_8)) out.add(bytes[b & 0xff]);
        return out;
    }

    /**
     * Learns {@code vocabSize - 258} merges from {@code documents} (most frequent adjacent pair first; ties go to the
     * pair that sorts first, so training is deterministic) and returns the tokenizer.json text.
     */
    public static String train(List<String> documents, int vocabSize) {
        if (vocabSize < 258) throw new IllegalArgumentException("a byte-level BPE vocabulary needs at least 258 entries, got " + vocabSize);
        String[] bytes = byteSymbols();
        Map<String, Integer> freq = new TreeMap<>(); // sorted: deterministic iteration
        for (String doc : documents) {
            Matcher m = GPT2_SPLIT.matcher(doc);
            while (m.find()) freq.merge(m.group(), 1, Integer::sum);
        }
        List<List<String>> words = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        for (var e : freq.entrySet()) {
            words.add(symbols(e.getKey(), bytes));
            counts.add(e.getValue());
        }
        List<String[]> merges = new ArrayList<>();
        while (258 + merges.size() < vocabSize) {
            Map<String, Long> pairs = new HashMap<>();
            for (int w = 0; w < words.size(); w++) {
                List<String> s = words.get(w);
                for (int i = 0; i + 1 < s.size(); i++) pairs.merge(s.get(i) + " " + s.get(i + 1), (long) counts.get(w), Long::sum);
            }
            String best = null;
            long bestCount = 0;
            for (var e : pairs.entrySet())
                if (e.getValue() > bestCount || e.getValue() == bestCount && best != null && e.getKey().compareTo(best) < 0) {
                    best = e.getKey();
                    bestCount = e.getValue();
                }
            if (best == null || bestCount < 2) break; // nothing left worth merging
            String[] pair = best.split(" ", 2);
            merges.add(pair);
            String joined = pair[0] + pair[1];
            for (List<String> s : words)
                for (int i = 0; i + 1 < s.size(); i++)
                    if (s.get(i).equals(pair[0]) && s.get(i + 1).equals(pair[1])) {
                        s.set(i, joined);
                        s.remove(i + 1);
                    }
        }
        return toJson(bytes, merges);
    }

    private static Map<String, Object> special(int id, String content) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("id", (long) id);
        t.put("content", content);
        t.put("single_word", false);
        t.put("lstrip", false);
        t.put("rstrip", false);
        t.put("normalized", false);
        t.put("special", true);
        return t;
    }

    private static Map<String, Object> byteLevel(boolean prefixSpace) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "ByteLevel");
        m.put("add_prefix_space", prefixSpace);
        m.put("trim_offsets", true);
        m.put("use_regex", true);
        return m;
    }

    static String toJson(String[] bytes, List<String[]> merges) {
        Map<String, Object> vocab = new LinkedHashMap<>();
        vocab.put(BOS, (long) BOS_ID);
        vocab.put(EOS, (long) EOS_ID);
        for (String b : bytes) vocab.put(b, (long) vocab.size());
        List<Object> mergeList = new ArrayList<>();
        for (String[] p : merges) {
            vocab.putIfAbsent(p[0] + p[1], (long) vocab.size());
            mergeList.add(p[0] + " " + p[1]);
        }
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("dropout", null);
        model.put("unk_token", null);
        model.put("continuing_subword_prefix", null);
        model.put("end_of_word_suffix", null);
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("vocab", vocab);
        model.put("merges", mergeList);

        Map<String, Object> bosRef = new LinkedHashMap<>();
        bosRef.put("SpecialToken", Map.of("id", BOS, "type_id", 0L));
        Map<String, Object> seqA = new LinkedHashMap<>();
        seqA.put("Sequence", Map.of("id", "A", "type_id", 0L));
        Map<String, Object> seqB = new LinkedHashMap<>();
        seqB.put("Sequence", Map.of("id", "B", "type_id", 1L));
        Map<String, Object> bosSpec = new LinkedHashMap<>();
        bosSpec.put("id", BOS);
        bosSpec.put("ids", List.of((long) BOS_ID));
        bosSpec.put("tokens", List.of(BOS));
        Map<String, Object> post = new LinkedHashMap<>();
        post.put("type", "TemplateProcessing");
        post.put("single", List.of(bosRef, seqA));
        post.put("pair", List.of(bosRef, seqA, bosRef, seqB));
        post.put("special_tokens", Map.of(BOS, bosSpec));

        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", "1.0");
        root.put("truncation", null);
        root.put("padding", null);
        root.put("added_tokens", List.of(special(BOS_ID, BOS), special(EOS_ID, EOS)));
        root.put("normalizer", null);
        root.put("pre_tokenizer", byteLevel(false));
        root.put("post_processor", post);
        root.put("decoder", byteLevel(true));
        root.put("model", model);
        return Json.writePretty(root, 2) + "\n";
    }
}
