package org.prune4j.io.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The parts of a SentencePiece {@code ModelProto} (sentencepiece_model.proto) that encoding and decoding need,
 * read by hand from the protobuf bytes. Field numbers and defaults follow the .proto file.
 */
record SentencePieceProto(List<Piece> pieces, int modelType, boolean byteFallback, boolean treatWhitespaceAsSuffix,
                          String unkSurface, String unkPiece, String bosPiece, String eosPiece,
                          String normalizerName, boolean hasCharsMap, boolean addDummyPrefix,
                          boolean removeExtraWhitespaces, boolean escapeWhitespaces, boolean hasDenormalizerRules) {

    /** Piece types (ModelProto.SentencePiece.Type). */
    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;
    /** Model types (TrainerSpec.ModelType). */
    static final int UNIGRAM = 1, BPE = 2, WORD = 3, CHAR = 4;

    record Piece(String piece, float score, int type) {}

    /** Largest tokenizer.model accepted (real ones are well under 10 MB). */
    static final long MAX_BYTES = 256L << 20;

    static SentencePieceProto read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_BYTES) throw new TokenizerFormatException(file, "file is " + size + " bytes, larger than any SentencePiece model (limit " + MAX_BYTES + ")");
        byte[] b = Files.readAllBytes(file);
        try {
            return parse(b);
        } catch (ProtoReader.ProtoException e) {
            throw new TokenizerFormatException(file, "not a valid SentencePiece model protobuf: " + e.getMessage());
        }
    }

    static SentencePieceProto parse(byte[] b) throws ProtoReader.ProtoException {
        List<Piece> pieces = new ArrayList<>();
        int modelType = UNIGRAM;
        boolean byteFallback = false, suffix = false;
        String unkSurface = " \u2047 ", unk = "", bos = "", eos = "";
        String normName = "";
        boolean charsMap = false, dummy = true, removeExtra = true, escape = true, denorm = false;
        boolean sawTrainer = false, sawNormalizer = false;
        ProtoReader r = new ProtoReader(b, 0, b.length);
        while (r.hasMore()) {
            int tag = r.tag();
            int field = tag >>> 3, wire = tag & 7;
            if (field == 1 && wire == ProtoReader.LEN) {
                pieces.add(piece(r.message()));
            } else if (field == 2 && wire == ProtoReader.LEN) { // TrainerSpec
                sawTrainer = true;
                ProtoReader t = r.message();
                while (t.hasMore()) {
                    int tt = t.tag();
                    int f = tt >>> 3, w = tt & 7;
                    if (f == 3 && w == ProtoReader.VARINT) modelType = (int) t.varint();
                    else if (f == 35 && w == ProtoReader.VARINT) byteFallback = t.varint() != 0;
                    else if (f == 24 && w == ProtoReader.VARINT) suffix = t.varint() != 0;
                    else if (f == 44 && w == ProtoReader.LEN) unkSurface = t.string();
                    else if (f == 45 && w == ProtoReader.LEN) unk = t.string();
                    else if (f == 46 && w == ProtoReader.LEN) bos = t.string();
                    else if (f == 47 && w == ProtoReader.LEN) eos = t.string();
                    else t.skip(w);
                }
            } else if (field == 3 && wire == ProtoReader.LEN) { // NormalizerSpec
                sawNormalizer = true;
                ProtoReader n = r.message();
                while (n.hasMore()) {
                    int nt = n.tag();
                    int f = nt >>> 3, w = nt & 7;
                    if (f == 1 && w == ProtoReader.LEN) normName = n.string();
                    else if (f == 2 && w == ProtoReader.LEN) charsMap = n.bytes().length > 0;
                    else if (f == 3 && w == ProtoReader.VARINT) dummy = n.varint() != 0;
                    else if (f == 4 && w == ProtoReader.VARINT) removeExtra = n.varint() != 0;
                    else if (f == 5 && w == ProtoReader.VARINT) escape = n.varint() != 0;
                    else n.skip(w);
                }
            } else if (field == 5 && wire == ProtoReader.LEN) { // denormalizer_spec
                ProtoReader n = r.message();
                while (n.hasMore()) {
                    int nt = n.tag();
                    int f = nt >>> 3, w = nt & 7;
                    if (f == 2 && w == ProtoReader.LEN) denorm |= n.bytes().length > 0;
                    else n.skip(w);
                }
            } else {
                r.skip(wire);
            }
        }
        if (pieces.isEmpty()) throw new ProtoReader.ProtoException("no pieces (is this a SentencePiece model file?)");
        if (!sawTrainer && !sawNormalizer) throw new ProtoReader.ProtoException("no trainer_spec or normalizer_spec (is this a SentencePiece model file?)");
        return new SentencePieceProto(List.copyOf(pieces), modelType, byteFallback, suffix, unkSurface,
                unk.isEmpty() ? "<unk>" : unk, bos.isEmpty() ? "<s>" : bos, eos.isEmpty() ? "</s>" : eos,
                normName, charsMap, dummy, removeExtra, escape, denorm);
    }

    private static Piece piece(ProtoReader m) throws ProtoReader.ProtoException {
        String piece = null;
        float score = 0;
        int type = NORMAL;
        while (m.hasMore()) {
            int tag = m.tag();
            int f = tag >>> 3, w = tag & 7;
            if (f == 1 && w == ProtoReader.LEN) piece = m.string();
            else if (f == 2 && w == ProtoReader.FIXED32) score = m.fixed32Float();
            else if (f == 3 && w == ProtoReader.VARINT) type = (int) m.varint();
            else m.skip(w);
        }
        if (piece == null || piece.isEmpty()) throw new ProtoReader.ProtoException("a piece is empty (sentencepiece requires every piece to be non-empty)");
        if (type < NORMAL || type > BYTE) throw new ProtoReader.ProtoException("piece \"" + piece + "\" has unknown type " + type);
        return new Piece(piece, score, type);
    }

    static String modelTypeName(int t) {
        return switch (t) {
            case UNIGRAM -> "Unigram";
            case BPE -> "BPE";
            case WORD -> "Word";
            case CHAR -> "Char";
            default -> "type " + t;
        };
    }
}
