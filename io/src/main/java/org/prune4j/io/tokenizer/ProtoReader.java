package org.prune4j.io.tokenizer;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;

/**
 * Just enough of the protobuf wire format to read a SentencePiece model without a protobuf dependency: varints,
 * fixed32/64, length-delimited fields; every length is checked against the buffer so hostile files fail cleanly.
 */
final class ProtoReader {
    static final int VARINT = 0, FIXED64 = 1, LEN = 2, FIXED32 = 5;

    /** Malformed input; the caller adds the file name. */
    static final class ProtoException extends Exception {
        ProtoException(String message) {
            super(message);
        }
    }

    private final byte[] buf;
    private int pos;
    private final int end;

    ProtoReader(byte[] buf, int from, int to) {
        this.buf = buf;
        this.pos = from;
        this.end = to;
    }

    boolean hasMore() {
        return pos < end;
    }

    int position() {
        return pos;
    }

    /** Reads a field tag; returns (fieldNumber << 3) | wireType. */
    int tag() throws ProtoException {
        long t = varint();
        if (t <= 0 || t > Integer.MAX_VALUE) throw new ProtoException("invalid field tag " + t + " at byte " + pos);
        int wire = (int) (t & 7);
        if (wire == 3 || wire == 4 || wire > 5) throw new ProtoException("unsupported wire type " + wire + " at byte " + pos);
        return (int) t;
    }

    long varint() throws ProtoException {
        long v = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            if (pos >= end) throw new ProtoException("truncated varint at byte " + pos);
            int b = buf[pos++] & 0xff;
            v |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) return v;
        }
        throw new ProtoException("varint longer than 10 bytes at byte " + pos);
    }

    float fixed32Float() throws ProtoException {
        if (end - pos < 4) throw new ProtoException("truncated fixed32 at byte " + pos);
        int bits = (buf[pos] & 0xff) | (buf[pos + 1] & 0xff) << 8 | (buf[pos + 2] & 0xff) << 16 | (buf[pos + 3] & 0xff) << 24;
        pos += 4;
        return Float.intBitsToFloat(bits);
    }

    /** A length-delimited field as a sub-reader over its bytes (the bytes are not copied). */
    ProtoReader message() throws ProtoException {
        int len = length();
        ProtoReader r = new ProtoReader(buf, pos, pos + len);
        pos += len;
        return r;
    }

    byte[] bytes() throws ProtoException {
        int len = length();
        byte[] out = new byte[len];
        System.arraycopy(buf, pos, out, 0, len);
        pos += len;
        return out;
    }

    /** A string field, which protobuf requires to be valid UTF-8. */
    String string() throws ProtoException {
        int len = length();
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(buf, pos, len)).toString();
            pos += len;
            return s;
        } catch (CharacterCodingException e) {
            throw new ProtoException("string field at byte " + pos + " is not valid UTF-8");
        }
    }

    private int length() throws ProtoException {
        long len = varint();
        if (len < 0 || len > end - pos) throw new ProtoException("field length " + len + " at byte " + pos + " runs past the end of its message");
        return (int) len;
    }

    /** Skips a field of the given wire type. */
    void skip(int wireType) throws ProtoException {
        switch (wireType) {
            case VARINT -> varint();
            case FIXED64 -> advance(8);
            case LEN -> advance(length());
            case FIXED32 -> advance(4);
            default -> throw new ProtoException("unsupported wire type " + wireType + " at byte " + pos);
        }
    }

    private void advance(int n) throws ProtoException {
        if (end - pos < n) throw new ProtoException("truncated field at byte " + pos);
        pos += n;
    }
}
