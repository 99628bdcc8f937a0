package org.prune4j.io.tokenizer;

import it.unimi.dsi.fastutil.longs.Long2LongOpenHashMap;
import it.unimi.dsi.fastutil.objects.Object2IntOpenHashMap;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveTask;
import java.util.stream.IntStream;
import java.util.Map;
import org.prune4j.io.json.Json;
import org.prune4j.io.json.JsonException;

/**
 * A Hugging Face {@code tokenizer.json} with a BPE model, encoding and decoding as the {@code tokenizers} library
 * does: added tokens cut out first, then normalizer, pre-tokenizer, BPE model; decoding through the decoder chain.
 * Covers the byte-level family (GPT-2, Llama-3, Qwen2) and the SentencePiece-style family (Llama-2, Mistral,
 * TinyLlama). BOS comes from the post-processor; bos/eos names from a tokenizer_config.json beside the file.
 */
public final class HfTokenizer implements Tokenizer {
    /** Largest tokenizer.json read (real ones are under 20 MB). */
    static final long MAX_BYTES = 512L << 20;

    private final Path file;
    private final BpeModel model;
    private final AddedTokens added;
    private final Normalizers.Normalizer normalizer;
    private final PreTokenizers.PreTokenizer preTokenizer;
    private final Decoders.Decoder decoder;
    private final String[] idToToken; // model tokens and added tokens by id
    private final boolean[] special;
    private final int bosId, eosId;
    private final boolean addsBos;

    private HfTokenizer(Path file, BpeModel model, AddedTokens added, Normalizers.Normalizer normalizer,
                        PreTokenizers.PreTokenizer preTokenizer, Decoders.Decoder decoder, int bosId, int eosId, boolean addsBos) {
        this.file = file;
        this.model = model;
        this.added = added;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.decoder = decoder;
        int size = model.idToToken.length;
        for (AddedTokens.Token t : added.tokens) size = Math.max(size, t.id() + 1);
        idToToken = java.util.Arrays.copyOf(model.idToToken, size);
        special = new boolean[size];
        for (AddedTokens.Token t : added.tokens) {
            idToToken[t.id()] = t.content();
            special[t.id()] = t.special();
        }
        this.bosId = bosId;
        this.eosId = eosId;
        this.addsBos = addsBos;
    }

    /** Reads a tokenizer.json (and a tokenizer_config.json beside it, when present, for the bos/eos names). */
    public static HfTokenizer load(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_BYTES) throw new TokenizerFormatException(file, "file is " + size + " bytes, larger than any tokenizer.json (limit " + MAX_BYTES + ")");
        Map<String, Object> root;
        try {
            root = Json.parseObject(TokenizerText.readUtf8(file), false);
        } catch (JsonException e) {
            throw new TokenizerFormatException(file, "not valid JSON: " + e.getMessage());
        }
        JsonFields j = new JsonFields(file);

        // model
        Map<String, Object> m = j.object(root.get("model"), "model");
        String type = m.get("type") instanceof String s ? s : (m.containsKey("merges") ? "BPE" : m.containsKey("vocab") && m.get("vocab") instanceof List ? "Unigram" : "?");
        if (!type.equals("BPE")) {
            throw TokenizerFormatException.unsupported(file, "model type \"" + type + "\"" + (type.equals("Unigram") ? " (Unigram)" : ""));
        }
        Map<String, Object> vocabJson = j.object(m.get("vocab"), "model.vocab");
        Object2IntOpenHashMap<String> vocab = new Object2IntOpenHashMap<>(vocabJson.size());
        vocab.defaultReturnValue(-1);
        int maxId = -1;
        for (var e : vocabJson.entrySet()) {
            int id = j.id(e.getValue(), "model.vocab[\"" + e.getKey() + "\"]");
            vocab.put(e.getKey(), id);
            maxId = Math.max(maxId, id);
        }
        String[] idToToken = new String[maxId + 1];
        for (var e : vocab.object2IntEntrySet()) idToToken[e.getIntValue()] = e.getKey();
        String prefix = j.optString(m, "continuing_subword_prefix", "model");
        boolean deferByteLevel = PreTokenizers.endsWithByteLevel(root.get("pre_tokenizer"));
        Long2LongOpenHashMap merges = parseMerges(j, j.list(m, "merges", "model"), vocab, prefix == null ? 0 : prefix.length());
        String unk = j.optString(m, "unk_token", "model");
        int unkId = -1;
        if (unk != null) {
            unkId = vocab.getInt(unk);
            if (unkId < 0) throw j.error("model.unk_token", "\"" + unk + "\" is not in the vocabulary");
        }
        BpeModel model = new BpeModel(vocab, idToToken, merges, unkId, j.bool(m, "fuse_unk", false, "model"),
                j.bool(m, "byte_fallback", false, "model"), j.bool(m, "ignore_merges", false, "model"),
                prefix, j.optString(m, "end_of_word_suffix", "model"), deferByteLevel);

        Normalizers.Normalizer normalizer = Normalizers.parse(j, root.get("normalizer"), "normalizer");
        PreTokenizers.PreTokenizer pre = PreTokenizers.parse(j, root.get("pre_tokenizer"), "pre_tokenizer", deferByteLevel);
        Decoders.Decoder decoder = Decoders.parse(j, root.get("decoder"), "decoder");
        AddedTokens added = new AddedTokens(parseAdded(j, root.get("added_tokens"), vocab), normalizer);

        // BOS / EOS
        PostProcessor post = PostProcessor.parse(j, root.get("post_processor"));
        Path config = file.resolveSibling("tokenizer_config.json");
        String cfgBos = null, cfgEos = null;
        if (Files.isRegularFile(config)) {
            Map<String, Object> cfg;
            try {
                cfg = Json.parseObject(TokenizerText.readUtf8(config), false);
            } catch (JsonException e) {
                throw new TokenizerFormatException(config, "not valid JSON: " + e.getMessage());
            }
            cfgBos = tokenName(cfg.get("bos_token"));
            cfgEos = tokenName(cfg.get("eos_token"));
        }
        int bos = post.bosId;
        if (bos < 0 && cfgBos != null) bos = idOf(cfgBos, added, vocab);
        int eos = cfgEos != null ? idOf(cfgEos, added, vocab) : -1;
        if (eos < 0) eos = post.eosId;
        if (eos < 0) {
            for (String name : new String[]{"</s>", "<|end_of_text|>", "<|endoftext|>", "<eos>"}) {
                for (AddedTokens.Token t : added.tokens) if (t.special() && t.content().equals(name) && eos < 0) eos = t.id();
            }
        }
        return new HfTokenizer(file, model, added, normalizer, pre, decoder, bos, eos, post.addsBos);
    }

    private static Long2LongOpenHashMap parseMerges(JsonFields j, List<Object> list, Object2IntOpenHashMap<String> vocab, int prefixLen)
            throws TokenizerFormatException {
        Long2LongOpenHashMap merges = new Long2LongOpenHashMap(list.size() * 2);
        int rank = 0;
        for (int i = 0; i < list.size(); i++) {
            Object o = list.get(i);
            String a, b;
            if (o instanceof String line) {
                if (line.startsWith("#version")) continue;
                String[] parts = line.split(" ", -1);
                if (parts.length != 2) throw j.error("model.merges[" + i + "]", "\"" + line + "\" is not two tokens separated by one space");
                a = parts[0];
                b = parts[1];
            } else if (o instanceof List<?> pair && pair.size() == 2 && pair.get(0) instanceof String x && pair.get(1) instanceof String y) {
                a = x;
                b = y;
            } else {
                throw j.error("model.merges[" + i + "]", "expected \"a b\" or [\"a\", \"b\"], found " + Json.typeName(o));
            }
            int ia = vocab.getInt(a), ib = vocab.getInt(b);
            String merged = a + b.substring(Math.min(prefixLen, b.length()));
            int im = vocab.getInt(merged);
            if (ia < 0 || ib < 0 || im < 0) {
                String missing = ia < 0 ? a : ib < 0 ? b : merged;
                throw j.error("model.merges[" + i + "]", "token \"" + missing + "\" of merge \"" + a + " " + b + "\" is not in the vocabulary");
            }
            merges.put(SentencePieceTokenizer.pack(ia, ib), ((long) rank << 32) | im); // a repeated pair: the later rank wins, as in tokenizers
            rank++;
        }
        return merges;
    }

    /**
     * added_tokens, with ids assigned as the tokenizers library does when it loads them: a token already in the model
     * vocabulary keeps that id, others take the next id from the vocabulary size on.
     */
    private static List<AddedTokens.Token> parseAdded(JsonFields j, Object json, Object2IntOpenHashMap<String> vocab) throws TokenizerFormatException {
        List<AddedTokens.Token> out = new ArrayList<>();
        if (json == null) return out;
        if (!(json instanceof List<?> list)) throw j.error("added_tokens", "expected an array, found " + Json.typeName(json));
        Map<String, Integer> byContent = new java.util.HashMap<>();
        int nextId = vocab.size();
        for (int i = 0; i < list.size(); i++) {
            String where = "added_tokens[" + i + "]";
            Map<String, Object> t = j.object(list.get(i), where);
            String content = j.string(t, "content", where);
            if (content.isEmpty()) continue;
            boolean special = j.bool(t, "special", false, where);
            int id;
            if (byContent.containsKey(content)) id = byContent.get(content);
            else if (vocab.getInt(content) >= 0) id = vocab.getInt(content);
            else id = nextId++;
            if (t.containsKey("id")) j.id(t.get("id"), where + ".id"); // checked; tokenizers itself assigns as above
            byContent.put(content, id);
            out.removeIf(x -> x.content().equals(content));
            out.add(new AddedTokens.Token(id, content, j.bool(t, "single_word", false, where), j.bool(t, "lstrip", false, where),
                    j.bool(t, "rstrip", false, where), j.bool(t, "normalized", !special, where), special));
        }
        return out;
    }

    /** "bos_token": "<s>" or {"content": "<s>", ...} or null. */
    private static String tokenName(Object v) {
        if (v instanceof String s) return s;
        if (v instanceof Map<?, ?> m && m.get("content") instanceof String s) return s;
        return null;
    }

    private static int idOf(String token, AddedTokens added, Object2IntOpenHashMap<String> vocab) {
        for (AddedTokens.Token t : added.tokens) if (t.content().equals(token)) return t.id();
        return vocab.getInt(token);
    }

    // ------------------------------------------------------------------ encoding

    @Override
    public int[] encode(String text) {
        // sized on demand, not by the text: in a cold JVM every fresh page of a big array costs a page fault, and
        // a scanned text's ids arrive in a few chunk-sized blocks anyway (IdSink grows to exactly their sum)
        IdSink out = new IdSink(16);
        WordCache cache = model.cache();
        List<Segment> words = null; // the word-list path's buffer, made when first needed
        for (AddedTokens.Split seg : AddedTokens.split(text, added.raw)) {
            if (seg.id() >= 0) {
                out.add(seg.id());
                continue;
            }
            Segment s = new Segment(text, seg.start(), seg.end(), seg.start() == 0);
            if (normalizer != null) s = normalizer.apply(s);
            if (added.normalized == null) {
                words = tokenize(s, cache, words, out);
                continue;
            }
            String t = s.text();
            for (AddedTokens.Split sub : AddedTokens.split(t, added.normalized)) {
                if (sub.id() >= 0) out.add(sub.id());
                else words = tokenize(new Segment(t, sub.start(), sub.end(), s.atOrigin() && sub.start() == 0), cache, words, out);
            }
        }
        return out.toArray();
    }

    /** Pre-tokenizer, then the model, on one segment that holds no added token; returns the words buffer (made if null). */
    private List<Segment> tokenize(Segment s, WordCache cache, List<Segment> words, IdSink out) {
        if (s.isEmpty()) return words;
        if (preTokenizer == null) {
            model.tokenize(s, cache, out);
            return words;
        }
        if (scanning && preTokenizer instanceof PreTokenizers.Scanning sc) {
            scanAndTokenize(sc, s, cache, out);
            return words;
        }
        if (words == null) words = new ArrayList<>(Math.min(s.length() / 3 + 16, 1 << 20));
        words.clear();
        preTokenizer.apply(s, words);
        if (words.size() >= parallelWords) tokenizeInParallel(words, out);
        else for (Segment w : words) model.tokenize(w, cache, out);
        return words;
    }

    /** Below this many pre-tokenized words a segment is encoded on the calling thread alone (tests raise it to compare). */
    static int parallelWords = 1 << 14;

    /** Whether Scanning pre-tokenizers take the one-pass, chunked path (tests turn it off to get the word-list path). */
    static boolean scanning = true;
    /** The fewest chars per chunk of a scanned segment (tests lower it to force many tiny chunks). */
    static int chunkChars = 1 << 16;
    /**
     * The most chunks a scanned segment is cut into (tests raise it): one per pool worker, so one core is left to the
     * JIT compilers, busy the whole of a one-shot run. On 2 cores that means no cut: there, one thread beat two at
     * every size measured (cold CLI, GPT-2: 9.5 vs 8.0 MB/s on 1.2 MB, 12.5 vs 10.7 on 4.7 MB, 20.9 vs 13.6 on 9.5 MB,
     * with 0.8 vs 1.25 s of CPU on the last: two threads each miss the other's cached words and share a busy core).
     */
    static int maxChunks = ForkJoinPool.getCommonPoolParallelism();

    /**
     * Pre-tokenizer and model in one pass over a segment whose words are the scanner's matches: each match is looked
     * up as a range of the text, no word object made. A long segment is cut at safe cuts (where the matches do not
     * change, see SplitScanner.isSafeCut) into chunks scanned on the common pool, each thread with its own word cache,
     * and the chunks' ids are joined in order: the same ids as one scan.
     */
    private void scanAndTokenize(PreTokenizers.Scanning sc, Segment s, WordCache cache, IdSink out) {
        Segment t = sc.prepare(s);
        String src = t.src();
        int[] cuts = cuts(src, t.start(), t.end());
        if (cuts.length == 2) {
            scanRange(sc.scanner, src, t.start(), t.end(), cache, out);
            return;
        }
        // chunk 0 on this thread, the others forked to the common pool (a plain task: a parallel stream's classes
        // and lambdas cost ~10 ms to set up in a cold JVM)
        ScanChunk[] chunks = new ScanChunk[cuts.length - 1];
        for (int c = chunks.length - 1; c >= 0; c--) {
            chunks[c] = new ScanChunk(sc.scanner, src, cuts[c], cuts[c + 1]);
            if (c > 0) chunks[c].fork();
        }
        out.addAll(chunks[0].compute());
        for (int c = 1; c < chunks.length; c++) out.addAll(chunks[c].join());
    }

    /** One chunk of a scanned segment, encoded with its thread's word cache. */
    private final class ScanChunk extends RecursiveTask<IdSink> {
        private final SplitScanner scanner;
        private final String src;
        private final int from, to;

        ScanChunk(SplitScanner scanner, String src, int from, int to) {
            this.scanner = scanner;
            this.src = src;
            this.from = from;
            this.to = to;
        }

        @Override
        protected IdSink compute() {
            IdSink ids = new IdSink((to - from) / 4 + 16); // about GPT-2's ids per char of English; grows if short
            scanRange(scanner, src, from, to, model.cache(), ids);
            return ids;
        }
    }

    /** Chunk bounds of src[from, to): from, the safe cuts at or after each even share, to. */
    static int[] cuts(String src, int from, int to) {
        int chunks = (int) Math.min(maxChunks, (to - from) / Math.max(1, chunkChars));
        if (chunks < 2) return new int[]{from, to};
        int[] cuts = new int[chunks + 1];
        int n = 0;
        cuts[n++] = from;
        for (int k = 1; k < chunks; k++) {
            int p = Math.max(from + (int) ((long) (to - from) * k / chunks), cuts[n - 1] + 1);
            while (p < to && !SplitScanner.isSafeCut(src, p)) p++;
            if (p >= to) break; // no safe cut left after this share, so none after the later ones
            cuts[n++] = p;
        }
        cuts[n++] = to;
        return java.util.Arrays.copyOf(cuts, n);
    }

    /** The scanner's matches in src[from, to), each encoded by the model. */
    private void scanRange(SplitScanner scanner, String src, int from, int to, WordCache cache, IdSink out) {
        for (int i = from; i < to; ) {
            int e = scanner.end(src, i, to);
            model.tokenize(src, i, e, cache, out);
            i = e;
        }
    }

    /**
     * Words are independent once pre-tokenized, so a long text (a whole corpus file) is encoded in contiguous chunks of
     * words on the common pool, each thread with its own word cache, and the chunks' ids are joined in order: the
     * result is the same ids as the sequential loop.
     */
    private void tokenizeInParallel(List<Segment> words, IdSink out) {
        int chunks = Math.max(1, Math.min(ForkJoinPool.getCommonPoolParallelism() + 1, words.size() / 4096));
        List<int[]> parts = IntStream.range(0, chunks).parallel().mapToObj(c -> {
            List<Segment> mine = words.subList(words.size() * c / chunks, words.size() * (c + 1) / chunks);
            IdSink ids = new IdSink(mine.size() * 2);
            WordCache cache = model.cache();
            for (Segment w : mine) model.tokenize(w, cache, ids);
            return ids.toArray();
        }).toList();
        for (int[] p : parts) out.addAll(p);
    }

    // ------------------------------------------------------------------ decoding

    /** tokenizers' decode(ids, skip_special_tokens=true): tokens through the decoder chain, joined. */
    @Override
    public String decode(int[] ids) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            if (id < 0) throw new IllegalArgumentException("token id " + id + " is negative");
            if (id >= idToToken.length || idToToken[id] == null || special[id]) continue;
            tokens.add(idToToken[id]);
        }
        if (decoder == null) return String.join(" ", tokens);
        return String.join("", decoder.apply(tokens));
    }

    // ------------------------------------------------------------------ accessors

    @Override
    public int vocabSize() {
        return idToToken.length;
    }

    @Override
    public int bosId() {
        return bosId;
    }

    @Override
    public int eosId() {
        return eosId;
    }

    @Override
    public boolean addsBos() {
        return addsBos && bosId >= 0;
    }

    @Override
    public String piece(int id) {
        return id >= 0 && id < idToToken.length ? idToToken[id] : null;
    }

    /** The BPE model (package tests compare its paths). */
    BpeModel model() {
        return model;
    }

    /** Whether id is an added token marked special (skipped when decoding). */
    public boolean isSpecial(int id) {
        return id >= 0 && id < special.length && special[id];
    }

    @Override
    public String toString() {
        return "tokenizer.json BPE tokenizer " + file + " (" + idToToken.length + " ids, " + added.tokens.size() + " added tokens)";
    }

    /** What the post-processor adds around a single sequence. */
    private record PostProcessor(boolean addsBos, int bosId, int eosId) {
        static final String SUPPORTED = "TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, Sequence";

        static PostProcessor parse(JsonFields j, Object json) throws TokenizerFormatException {
            return parse(j, json, "post_processor");
        }

        static PostProcessor parse(JsonFields j, Object json, String where) throws TokenizerFormatException {
            if (json == null) return new PostProcessor(false, -1, -1);
            Map<String, Object> m = j.object(json, where);
            String type = j.type(m, where);
            switch (type) {
                case "ByteLevel":
                    return new PostProcessor(false, -1, -1);
                case "Sequence": {
                    PostProcessor acc = new PostProcessor(false, -1, -1);
                    List<Object> list = j.list(m, "processors", where);
                    for (int i = 0; i < list.size(); i++) {
                        PostProcessor p = parse(j, list.get(i), where + ".processors[" + i + "]");
                        acc = new PostProcessor(acc.addsBos || p.addsBos, acc.bosId >= 0 ? acc.bosId : p.bosId, acc.eosId >= 0 ? acc.eosId : p.eosId);
                    }
                    return acc;
                }
                case "RobertaProcessing", "BertProcessing": {
                    int cls = pairId(j, m.get("cls"), where + ".cls"), sep = pairId(j, m.get("sep"), where + ".sep");
                    return new PostProcessor(true, cls, sep);
                }
                case "TemplateProcessing": {
                    List<Object> single = j.list(m, "single", where);
                    Map<String, Object> specials = m.get("special_tokens") == null ? Map.of() : j.object(m.get("special_tokens"), where + ".special_tokens");
                    int bos = -1, eos = -1;
                    boolean seenSequence = false;
                    for (int i = 0; i < single.size(); i++) {
                        Map<String, Object> item = j.object(single.get(i), where + ".single[" + i + "]");
                        if (item.containsKey("Sequence")) {
                            seenSequence = true;
                        } else if (item.get("SpecialToken") instanceof Map<?, ?> st) {
                            String name = String.valueOf(st.get("id"));
                            Map<String, Object> def = j.object(specials.get(name), where + ".special_tokens[\"" + name + "\"]");
                            List<Object> ids = j.list(def, "ids", where + ".special_tokens[\"" + name + "\"]");
                            if (ids.size() != 1) throw TokenizerFormatException.unsupported(j.file, where + ": a template special token \"" + name + "\" of " + ids.size() + " ids");
                            int id = j.id(ids.get(0), where + ".special_tokens[\"" + name + "\"].ids[0]");
                            if (!seenSequence) {
                                if (bos >= 0) throw TokenizerFormatException.unsupported(j.file, where + ": a template that prepends more than one special token");
                                bos = id;
                            } else if (eos < 0) {
                                eos = id;
                            }
                        } else {
                            throw j.error(where + ".single[" + i + "]", "expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
                        }
                    }
                    return new PostProcessor(bos >= 0, bos, eos);
                }
                default:
                    throw TokenizerFormatException.unsupported(j.file, where + ": post-processor type \"" + type + "\" (post-processors implemented: " + SUPPORTED + ")");
            }
        }

        /** ["<s>", 0] → 0. */
        private static int pairId(JsonFields j, Object v, String where) throws TokenizerFormatException {
            if (v instanceof List<?> l && l.size() == 2) return j.id(l.get(1), where + "[1]");
            throw j.error(where, "expected [token, id]");
        }
    }

    /** Reading helper shared with the config file. */
    static final class TokenizerText {
        private TokenizerText() {}

        static String readUtf8(Path p) throws IOException {
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                        .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(p))).toString();
            } catch (java.nio.charset.CharacterCodingException e) {
                throw new TokenizerFormatException(p, "not valid UTF-8");
            }
        }
    }
}
