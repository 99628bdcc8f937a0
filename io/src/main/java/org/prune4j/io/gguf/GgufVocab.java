package org.prune4j.io.gguf;

import org.prune4j.io.json.Json;
import org.prune4j.io.json.JsonException;
import org.prune4j.io.tokenizer.HfTokenizer;
import org.prune4j.io.tokenizer.SentencePieceTokenizer;
import org.prune4j.io.tokenizer.TokenizerFormatException;
import org.prune4j.io.tokenizer.Tokenizers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A model folder's tokenizer as GGUF's {@code tokenizer.ggml.*} keys, so llama.cpp tokenizes as the reference library
 * does: a SentencePiece {@code tokenizer.model} becomes model "llama" (pieces, scores, piece types); a byte-level BPE
 * {@code tokenizer.json} becomes model "gpt2" (tokens by id, merges, the pre-tokenizer named after its split regex).
 * tokenizer.model is preferred when both exist, because llama.cpp's "llama" vocabulary is SentencePiece's algorithm.
 */
public final class GgufVocab {
    private GgufVocab() {}

    // GGUF token types (the SentencePiece numbering)
    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;

    /** llama.cpp's pre-tokenizer names for the split regexes prune4j knows. */
    private static final Map<String, String> PRE_NAMES = Map.of("gpt2", "gpt-2", "llama3", "llama-bpe", "qwen2", "qwen2");

    /**
     * Adds the tokenizer keys of {@code modelDir} to {@code w}; {@code vocabSize} is the model's (embedding rows), which
     * the vocabulary must not exceed; missing ids up to it are padded with unused tokens as llama.cpp's converter does.
     */
    public static void put(GgufWriter w, Path modelDir, int vocabSize, Integer bosId, int[] eosIds) throws IOException {
        Path spm = modelDir.resolve("tokenizer.model"), json = modelDir.resolve("tokenizer.json");
        if (Files.isRegularFile(spm)) putSentencePiece(w, spm, vocabSize);
        else if (Files.isRegularFile(json)) putByteLevelBpe(w, json, vocabSize, bosId, eosIds);
        else throw new TokenizerFormatException(modelDir, "has neither tokenizer.model nor tokenizer.json; a GGUF file needs the tokenizer");
    }

    private static void putSentencePiece(GgufWriter w, Path file, int vocabSize) throws IOException {
        SentencePieceTokenizer t = SentencePieceTokenizer.load(file);
        int n = t.vocabSize();
        if (n > vocabSize) throw new TokenizerFormatException(file, n + " pieces but the model has only " + vocabSize + " embedding rows");
        List<String> tokens = new ArrayList<>(vocabSize);
        float[] scores = new float[vocabSize];
        int[] types = new int[vocabSize];
        for (int i = 0; i < vocabSize; i++) {
            if (i < n) {
                tokens.add(t.piece(i));
                scores[i] = t.score(i);
                types[i] = t.pieceType(i);
            } else {
                tokens.add("[PAD" + i + "]");
                scores[i] = -1000f;
                types[i] = UNUSED;
            }
        }
        w.putString("tokenizer.ggml.model", "llama");
        w.putString("tokenizer.ggml.pre", "default");
        w.putStrings("tokenizer.ggml.tokens", tokens);
        w.putF32s("tokenizer.ggml.scores", scores);
        w.putI32s("tokenizer.ggml.token_type", types);
        if (t.bosId() >= 0) w.putU32("tokenizer.ggml.bos_token_id", t.bosId());
        if (t.eosId() >= 0) w.putU32("tokenizer.ggml.eos_token_id", t.eosId());
        if (t.unkId() >= 0) w.putU32("tokenizer.ggml.unknown_token_id", t.unkId());
        w.putBool("tokenizer.ggml.add_bos_token", t.addsBos());
        w.putBool("tokenizer.ggml.add_eos_token", false);
    }

    @SuppressWarnings("unchecked")
    private static void putByteLevelBpe(GgufWriter w, Path file, int vocabSize, Integer bosId, int[] eosIds) throws IOException {
        Map<String, Object> root;
        try {
            root = Json.parseObject(Files.readString(file, StandardCharsets.UTF_8), false);
        } catch (JsonException e) {
            throw new TokenizerFormatException(file, "not valid JSON: " + e.getMessage());
        }
        if (!(root.get("model") instanceof Map<?, ?> model) || !"BPE".equals(model.get("type")))
            throw new TokenizerFormatException(file, "GGUF export handles BPE tokenizer.json files (model.type \"BPE\") and SentencePiece tokenizer.model files");
        String json = Json.write(root.get("pre_tokenizer"));
        if (!json.contains("\"ByteLevel\""))
            throw new TokenizerFormatException(file, "pre_tokenizer has no ByteLevel step; a SentencePiece-style tokenizer.json needs its tokenizer.model beside it for GGUF export");
        String pre = preName(root.get("pre_tokenizer"));
        if (pre == null)
            throw new TokenizerFormatException(file, "pre_tokenizer's split regex is none of GPT-2's, Llama-3's or Qwen2's; llama.cpp would cut words differently");

        String[] tokens = new String[vocabSize];
        int[] types = new int[vocabSize];
        for (var e : ((Map<String, Object>) model.get("vocab")).entrySet()) {
            int id = ((Number) e.getValue()).intValue();
            if (id < 0 || id >= vocabSize) throw new TokenizerFormatException(file, "model.vocab[\"" + e.getKey() + "\"] = " + id + " is outside the model's " + vocabSize + " embedding rows");
            tokens[id] = e.getKey();
            types[id] = NORMAL;
        }
        if (root.get("added_tokens") instanceof List<?> added) {
            for (Object o : added) {
                Map<String, Object> a = (Map<String, Object>) o;
                int id = ((Number) a.get("id")).intValue();
                if (id < 0 || id >= vocabSize) throw new TokenizerFormatException(file, "added token " + a.get("content") + " has id " + id + ", outside the model's " + vocabSize + " embedding rows");
                tokens[id] = (String) a.get("content");
                types[id] = Boolean.TRUE.equals(a.get("special")) ? CONTROL : USER_DEFINED;
            }
        }
        for (int i = 0; i < vocabSize; i++) {
            if (tokens[i] == null) { tokens[i] = "[PAD" + i + "]"; types[i] = UNUSED; }
        }
        List<String> merges = new ArrayList<>();
        for (Object m : (List<Object>) model.get("merges")) {
            if (m instanceof String s) merges.add(s);
            else if (m instanceof List<?> pair && pair.size() == 2) merges.add(pair.get(0) + " " + pair.get(1));
            else throw new TokenizerFormatException(file, "model.merges entry " + Json.write(m) + " is neither \"a b\" nor [\"a\", \"b\"]");
        }
        w.putString("tokenizer.ggml.model", "gpt2");
        w.putString("tokenizer.ggml.pre", pre);
        w.putStrings("tokenizer.ggml.tokens", Arrays.asList(tokens));
        w.putI32s("tokenizer.ggml.token_type", types);
        w.putStrings("tokenizer.ggml.merges", merges);
        HfTokenizer t = HfTokenizer.load(file); // the post-processor's BOS rule, as prune4j encodes
        int bos = bosId != null ? bosId : t.bosId(), eos = eosIds.length > 0 ? eosIds[0] : t.eosId();
        if (bos >= 0) w.putU32("tokenizer.ggml.bos_token_id", bos);
        if (eos >= 0) w.putU32("tokenizer.ggml.eos_token_id", eos);
        w.putBool("tokenizer.ggml.add_bos_token", t.addsBos());
        w.putBool("tokenizer.ggml.add_eos_token", false);
    }

    /** The llama.cpp pre-tokenizer name of a pre_tokenizer: plain ByteLevel with its regex is GPT-2's. */
    private static String preName(Object pre) {
        String json = json(pre);
        for (var e : Tokenizers.KNOWN_SPLIT_REGEXES.entrySet()) {
            if (!e.getKey().equals("gpt2") && json.contains(Json.write(e.getValue()))) return PRE_NAMES.get(e.getKey());
        }
        if (!json.contains("\"Split\"") && !json.contains("\"use_regex\":false")) return PRE_NAMES.get("gpt2");
        return null;
    }

    private static String json(Object o) {
        return o == null ? "" : Json.write(o);
    }
}
