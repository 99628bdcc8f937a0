package org.prune4j.io.tokenizer;

import it.unimi.dsi.fastutil.longs.Long2IntOpenHashMap;
import it.unimi.dsi.fastutil.objects.Object2IntOpenHashMap;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A SentencePiece {@code tokenizer.model} of BPE type (Llama-2, Mistral, TinyLlama, llama2.c's tok*.model), encoding
 * and decoding exactly as Google's sentencepiece library does: its normalizer (identity rules, dummy prefix, extra
 * whitespace removal, ' ' → '▁'), bpe_model.cc's score-ordered merging, resegmentation of unused pieces, byte
 * fallback and its decoder. Unigram models and precompiled normalization rules are refused.
 */
public final class SentencePieceTokenizer implements Tokenizer {
    static final char SPACE = '\u2581'; // ▁

    private final Path file;
    private final String[] pieces;
    private final float[] scores;
    private final int[] types;
    private final int[] lengths; // piece length in chars
    /** PieceToId of each piece's own text (a reserved piece of the same text shadows an ordinary one). */
    private final int[] finalIds;
    /** pieces_ of sentencepiece: NORMAL, USER_DEFINED and UNUSED pieces. */
    private final Object2IntOpenHashMap<String> pieceIds = new Object2IntOpenHashMap<>();
    /** reserved_id_map_: CONTROL, UNKNOWN and BYTE pieces (looked up first by PieceToId). */
    private final Object2IntOpenHashMap<String> reservedIds = new Object2IntOpenHashMap<>();
    /** (left piece id, right piece id) → id of the piece that is their concatenation. */
    private final Long2IntOpenHashMap pairs = new Long2IntOpenHashMap();
    private final Set<String> userDefined = new HashSet<>();
    private final int maxUserDefinedLength;
    private final int[] byteIds = new int[256];
    private final boolean hasUnused;
    private final int unkId, bosId, eosId;
    private final boolean byteFallback, addDummyPrefix, removeExtraWhitespaces, escapeWhitespaces, suffix;
    private final String unkSurface;
    /** Whether the normalized text may be cut before every '▁' that follows another character (see splitSafe). */
    private final boolean splitAtSpaces;
    private final ThreadLocal<WordCache> caches = WordCache.perThread();

    private SentencePieceTokenizer(Path file, SentencePieceProto m) throws TokenizerFormatException {
        this.file = file;
        if (m.modelType() != SentencePieceProto.BPE) {
            throw TokenizerFormatException.unsupported(file, "a SentencePiece " + SentencePieceProto.modelTypeName(m.modelType()) + " model");
        }
        if (m.hasCharsMap()) {
            throw TokenizerFormatException.unsupported(file, "a SentencePiece model with a precompiled normalization charsmap (normalizer \""
                    + m.normalizerName() + "\"; only identity normalization is implemented)");
        }
        if (m.hasDenormalizerRules()) {
            throw TokenizerFormatException.unsupported(file, "a SentencePiece model with denormalization rules");
        }
        int n = m.pieces().size();
        pieces = new String[n];
        scores = new float[n];
        types = new int[n];
        lengths = new int[n];
        pieceIds.defaultReturnValue(-1);
        reservedIds.defaultReturnValue(-1);
        pairs.defaultReturnValue(-1);
        java.util.Arrays.fill(byteIds, -1);
        int unk = -1, maxUd = 0;
        boolean unused = false;
        for (int i = 0; i < n; i++) {
            SentencePieceProto.Piece p = m.pieces().get(i);
            pieces[i] = p.piece();
            scores[i] = p.score();
            types[i] = p.type();
            lengths[i] = p.piece().length();
            boolean normal = p.type() == SentencePieceProto.NORMAL || p.type() == SentencePieceProto.USER_DEFINED
                    || p.type() == SentencePieceProto.UNUSED;
            Object2IntOpenHashMap<String> map = normal ? pieceIds : reservedIds;
            if (map.containsKey(p.piece())) throw new TokenizerFormatException(file, "piece \"" + p.piece() + "\" is defined twice (ids " + map.getInt(p.piece()) + " and " + i + ")");
            map.put(p.piece(), i);
            if (p.type() == SentencePieceProto.USER_DEFINED) {
                userDefined.add(p.piece());
                maxUd = Math.max(maxUd, p.piece().length());
            }
            if (p.type() == SentencePieceProto.UNUSED) unused = true;
            if (p.type() == SentencePieceProto.UNKNOWN) {
                if (unk >= 0) throw new TokenizerFormatException(file, "two unknown pieces (ids " + unk + " and " + i + ")");
                unk = i;
            }
            if (p.type() == SentencePieceProto.BYTE) {
                if (!m.byteFallback()) throw new TokenizerFormatException(file, "byte piece " + p.piece() + " found although byte_fallback is false");
                int b = byteOfPiece(p.piece());
                if (b < 0) throw new TokenizerFormatException(file, "byte piece \"" + p.piece() + "\" is not of the form <0xNN>");
                byteIds[b] = i;
            }
        }
        if (unk < 0) throw new TokenizerFormatException(file, "the model has no unknown piece (sentencepiece requires one)");
        if (m.byteFallback()) {
            for (int b = 0; b < 256; b++) {
                if (byteIds[b] < 0) throw new TokenizerFormatException(file, "byte_fallback is true but byte piece <0x" + hex(b) + "> is missing");
            }
        }
        maxUserDefinedLength = maxUd;
        hasUnused = unused;
        unkId = unk;
        byteFallback = m.byteFallback();
        addDummyPrefix = m.addDummyPrefix();
        removeExtraWhitespaces = m.removeExtraWhitespaces();
        escapeWhitespaces = m.escapeWhitespaces();
        suffix = m.treatWhitespaceAsSuffix();
        unkSurface = m.unkSurface();
        bosId = controlId(m.bosPiece());
        eosId = controlId(m.eosPiece());
        // Pair table: every way of cutting a piece into two pieces at a code point boundary.
        for (var e : pieceIds.object2IntEntrySet()) {
            String p = e.getKey();
            for (int k = Character.charCount(p.codePointAt(0)); k < p.length(); k += Character.charCount(p.codePointAt(k))) {
                int a = pieceIds.getInt(p.substring(0, k)), b = pieceIds.getInt(p.substring(k));
                if (a >= 0 && b >= 0) pairs.put(pack(a, b), e.getIntValue());
            }
        }
        finalIds = new int[n];
        for (int i = 0; i < n; i++) finalIds[i] = pieceToId(pieces[i]);
        splitAtSpaces = splitSafe();
    }

    /** Reads and checks a tokenizer.model file. */
    public static SentencePieceTokenizer load(Path file) throws IOException {
        return new SentencePieceTokenizer(file, SentencePieceProto.read(file));
    }

    private int controlId(String piece) {
        int id = reservedIds.getInt(piece);
        return id >= 0 && types[id] == SentencePieceProto.CONTROL ? id : -1;
    }

    /**
     * Cutting the normalized text into words before each '▁' that follows a non-'▁' character gives the same ids as
     * merging the whole text, when no piece spans such a cut (no piece has a non-'▁' followed by '▁'), '▁' itself is a
     * piece (so unknown runs never cross a cut), and no piece is UNUSED (their resegmentation reads a per-text table).
     * Then merges inside one word never see another word, and their order within a word is unchanged. This lets
     * encoding cache words, which is what makes it fast.
     */
    private boolean splitSafe() {
        if (hasUnused || pieceIds.getInt(String.valueOf(SPACE)) < 0) return false;
        for (String p : pieceIds.keySet()) {
            for (int i = 1; i < p.length(); i++) {
                if (p.charAt(i) == SPACE && p.charAt(i - 1) != SPACE) return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ encoding

    @Override
    public int[] encode(String text) {
        char[] buf = new char[text.length() + 2];
        int len = normalize(text, buf);
        IdSink out = new IdSink(len / 2 + 4);
        if (!splitAtSpaces) {
            encodeWord(new String(buf, 0, len), out, new Scratch());
            return out.toArray();
        }
        WordCache cache = caches.get();
        int start = 0;
        for (int i = 1; i <= len; i++) {
            if (i == len || (buf[i] == SPACE && buf[i - 1] != SPACE)) {
                int h = WordCache.hash(buf, start, i);
                int[] ids = cache.get(buf, start, i, h);
                if (ids == null) {
                    String word = new String(buf, start, i - start);
                    IdSink w = new IdSink(word.length());
                    encodeWord(word, w, cache.scratch);
                    ids = w.toArray();
                    cache.put(word, 0, word.length(), h, ids);
                }
                out.addAll(ids);
                start = i;
            }
        }
        return out.toArray();
    }

    /** The normalized text (see {@link #normalize(String, char[])}). */
    String normalize(String input) {
        char[] buf = new char[input.length() + 2];
        return new String(buf, 0, normalize(input, buf));
    }

    /**
     * normalizer.cc's Normalize with identity rules: optional removal of leading, trailing and repeated spaces,
     * the dummy prefix, and ' ' → '▁'. User-defined pieces pass through as single units. Writes into {@code out}
     * (at least input.length() + 2 long) and returns the length.
     */
    int normalize(String input, char[] out) {
        int i = 0, n = input.length(), o = 0;
        if (n == 0) return 0;
        if (removeExtraWhitespaces) {
            while (i < n && input.charAt(i) == ' ' && unitLength(input, i) == 1) i++;
        }
        if (i == n) return 0;
        char space = escapeWhitespaces ? SPACE : ' ';
        if (!suffix && addDummyPrefix) out[o++] = space;
        boolean prevSpace = removeExtraWhitespaces;
        if (maxUserDefinedLength == 0) { // one char at a time: only ' ' is special
            for (; i < n; i++) {
                char c = input.charAt(i);
                if (c == ' ') {
                    if (!prevSpace) out[o++] = space;
                    prevSpace = removeExtraWhitespaces;
                } else {
                    out[o++] = c;
                    prevSpace = false;
                }
            }
        } else {
            while (i < n) {
                int u = unitLength(input, i);
                int from = i, to = i + u;
                while (prevSpace && from < to && input.charAt(from) == ' ') from++;
                if (from < to) {
                    for (int k = from; k < to; k++) {
                        char c = input.charAt(k);
                        out[o++] = c == ' ' ? space : c;
                    }
                    prevSpace = input.charAt(to - 1) == ' ';
                }
                i += u;
                if (!removeExtraWhitespaces) prevSpace = false;
            }
        }
        if (removeExtraWhitespaces) {
            while (o > 0 && out[o - 1] == space) o--;
        }
        if (suffix && addDummyPrefix) out[o++] = space;
        return o;
    }

    /** Length in chars of the unit starting at i: the longest user-defined piece there, else one code point. */
    private int unitLength(String s, int i) {
        if (maxUserDefinedLength > 0) {
            for (int k = Math.min(maxUserDefinedLength, s.length() - i); k > 0; k--) {
                if (userDefined.contains(s.substring(i, i + k))) return k;
            }
        }
        return Character.charCount(s.codePointAt(i));
    }

    /** bpe_model.cc's Model::Encode on one word, then byte fallback / unknown fusion as the processor does. */
    private void encodeWord(String w, IdSink out, Scratch scratch) {
        int n = w.length();
        if (n == 0) return;
        // Symbols: [start, start+len) of w; len 0 = merged away.
        int[] start = scratch.ints(0, n), len = scratch.ints(1, n), id = scratch.ints(2, n), prev = scratch.ints(3, n), next = scratch.ints(4, n);
        boolean[] freeze = scratch.flags(n);
        int count = 0;
        for (int i = 0; i < n; ) {
            int u;
            boolean frozen = false;
            if (maxUserDefinedLength > 0) {
                u = unitLength(w, i);
                frozen = userDefined.contains(w.substring(i, i + u));
            } else {
                u = Character.charCount(w.codePointAt(i));
            }
            start[count] = i;
            len[count] = u;
            id[count] = pieceIds.getInt(u == 1 ? String.valueOf(w.charAt(i)) : w.substring(i, i + u));
            freeze[count] = frozen;
            prev[count] = count - 1;
            next[count] = i + u < n ? count + 1 : -1;
            count++;
            i += u;
        }
        Map<String, String[]> revMerge = hasUnused ? new HashMap<>() : null;
        PairHeap agenda = scratch.heap(n);
        for (int i = 1; i < count; i++) addPair(w, i - 1, i, start, len, id, freeze, agenda, revMerge);
        while (!agenda.isEmpty()) {
            int left = (int) agenda.topKey();
            long payload = agenda.topPayload();
            agenda.pop();
            int right = (int) (payload >>> 32), merged = (int) payload;
            // The pair is stale when either side was merged away or grew since it was pushed.
            if (len[left] == 0 || len[right] == 0 || len[left] + len[right] != lengths[merged]) continue;
            len[left] += len[right];
            id[left] = merged;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            len[right] = 0;
            if (prev[left] >= 0) addPair(w, prev[left], left, start, len, id, freeze, agenda, revMerge);
            if (next[left] >= 0) addPair(w, left, next[left], start, len, id, freeze, agenda, revMerge);
        }
        boolean prevUnk = false;
        for (int s = 0; s >= 0 && count > 0; s = next[s]) {
            if (revMerge == null && id[s] >= 0 && finalIds[id[s]] != unkId) { // the common case: a known piece
                out.add(finalIds[id[s]]);
                prevUnk = false;
                continue;
            }
            String piece = w.substring(start[s], start[s] + len[s]);
            List<String> parts = revMerge == null ? List.of(piece) : resegment(piece, revMerge);
            for (String part : parts) {
                int pid = pieceToId(part);
                boolean unk = pid == unkId;
                if (unk && byteFallback) {
                    for (byte b : part.getBytes(StandardCharsets.UTF_8)) out.add(byteIds[b & 0xff]);
                } else if (!(unk && prevUnk)) {
                    out.add(pid); // a run of unknown pieces becomes one unknown id
                }
                prevUnk = unk;
            }
        }
    }

    /** MaybeAddNewSymbolPair: pushes the merge of symbols l and r when their concatenation is a piece. */
    private void addPair(String w, int l, int r, int[] start, int[] len, int[] id, boolean[] freeze, PairHeap agenda,
                         Map<String, String[]> revMerge) {
        if (freeze[l] || freeze[r]) return;
        int merged;
        if (id[l] >= 0 && id[r] >= 0) {
            merged = pairs.get(pack(id[l], id[r]));
        } else { // a symbol that is not a piece (an unknown character) can still be the prefix of one
            merged = pieceIds.getInt(w.substring(start[l], start[l] + len[l] + len[r]));
        }
        if (merged < 0) return;
        // Highest score first; equal scores: leftmost first (SymbolPairComparator).
        long key = ((long) ~sortable(scores[merged]) << 32) | l;
        agenda.push(key, ((long) r << 32) | merged);
        if (revMerge != null && types[merged] == SentencePieceProto.UNUSED) {
            revMerge.put(pieces[merged], new String[]{w.substring(start[l], start[l] + len[l]), w.substring(start[r], start[r] + len[r])});
        }
    }

    /** Unused pieces are split back into the pieces they were merged from. */
    private List<String> resegment(String piece, Map<String, String[]> revMerge) {
        List<String> out = new ArrayList<>(1);
        resegment(piece, revMerge, out);
        return out;
    }

    private void resegment(String piece, Map<String, String[]> revMerge, List<String> out) {
        int pid = pieceToId(piece);
        if (revMerge == null || types[pid] != SentencePieceProto.UNUSED || !revMerge.containsKey(piece)) {
            out.add(piece);
            return;
        }
        String[] p = revMerge.get(piece);
        resegment(p[0], revMerge, out);
        resegment(p[1], revMerge, out);
    }

    /** PieceToId: reserved pieces first, then ordinary ones, else the unknown id. */
    private int pieceToId(String piece) {
        int r = reservedIds.getInt(piece);
        if (r >= 0) return r;
        int p = pieceIds.getInt(piece);
        return p >= 0 ? p : unkId;
    }

    // ------------------------------------------------------------------ decoding

    /** sentencepiece_processor.cc's Decode: control pieces vanish, byte runs become UTF-8, the first '▁' is dropped. */
    @Override
    public String decode(int[] ids) {
        StringBuilder text = new StringBuilder();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        boolean isBosWs = true, bosWsSeen = false;
        for (int id : ids) {
            if (id < 0) throw new IllegalArgumentException("token id " + id + " is negative");
            if (id >= pieces.length) continue; // names no piece (e.g. a padded embedding row)
            if (types[id] == SentencePieceProto.BYTE) {
                bytes.write(byteOfPiece(pieces[id]));
                continue;
            }
            flushBytes(bytes, text);
            if (bosWsSeen || !text.isEmpty()) isBosWs = false;
            String piece = pieces[id];
            bosWsSeen = false;
            if (types[id] == SentencePieceProto.CONTROL) {
                continue;
            } else if (types[id] == SentencePieceProto.UNKNOWN) {
                text.append(unkSurface);
                continue;
            }
            if (isBosWs && (addDummyPrefix || removeExtraWhitespaces)) {
                if (!piece.isEmpty() && piece.charAt(0) == SPACE) {
                    piece = piece.substring(1);
                    bosWsSeen = true;
                }
                if (removeExtraWhitespaces) bosWsSeen = false;
            }
            text.append(piece.replace(SPACE, ' '));
        }
        flushBytes(bytes, text);
        return text.toString();
    }

    /** Byte pieces decode as UTF-8, one U+FFFD per byte that does not start a valid sequence. */
    private static void flushBytes(ByteArrayOutputStream bytes, StringBuilder text) {
        if (bytes.size() == 0) return;
        Utf8.decodePerByte(bytes.toByteArray(), text);
        bytes.reset();
    }

    // ------------------------------------------------------------------ accessors

    @Override
    public int vocabSize() {
        return pieces.length;
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
        return bosId >= 0;
    }

    @Override
    public String piece(int id) {
        return id >= 0 && id < pieces.length ? pieces[id] : null;
    }

    /** Id of the unknown piece. */
    public int unkId() {
        return unkId;
    }

    /**
     * The SentencePiece type of a piece (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte), the
     * numbering GGUF's {@code tokenizer.ggml.token_type} also uses.
     */
    public int pieceType(int id) {
        return types[id];
    }

    /** The score of a piece (merge priority: higher merges first). */
    public float score(int id) {
        return scores[id];
    }

    @Override
    public String toString() {
        return "SentencePiece BPE tokenizer " + file + " (" + pieces.length + " pieces" + (byteFallback ? ", byte fallback" : "") + ")";
    }

    // ------------------------------------------------------------------ helpers

    static long pack(int a, int b) {
        return ((long) a << 32) | (b & 0xffffffffL);
    }

    /** An int whose signed order is the float's order (for heap keys). */
    static int sortable(float f) {
        int bits = Float.floatToIntBits(f);
        return bits ^ ((bits >> 31) & 0x7fffffff);
    }

    /** "<0x41>" → 0x41, else -1. */
    static int byteOfPiece(String p) {
        if (p.length() != 6 || !p.startsWith("<0x") || p.charAt(5) != '>') return -1;
        int hi = hexDigit(p.charAt(3)), lo = hexDigit(p.charAt(4));
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    /** Upper-case hex digits only, as ByteToPiece writes them. */
    private static int hexDigit(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    static String hex(int b) {
        return String.format("%02X", b);
    }
}
