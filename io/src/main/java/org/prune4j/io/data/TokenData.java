package org.prune4j.io.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.prune4j.io.json.Json;
import org.prune4j.io.json.JsonException;
import org.prune4j.io.tokenizer.Tokenizer;

/**
 * Token streams for calibration and evaluation, built the same way everywhere (tokenize, eval, prune): a text file
 * encoded whole or split into documents, or a file of ids that was tokenized elsewhere.
 */
public final class TokenData {
    private TokenData() {}

    /** Raw token file layouts. */
    public enum Format {
        /** A JSON array of non-negative integers (what {@code ./prune4j tokenize} writes). */
        JSON,
        /** Little-endian unsigned 16-bit ids (nanoGPT / llama2.c .bin files; vocabularies up to 65,536). */
        UINT16,
        /** Little-endian signed 32-bit ids (vocabularies above 65,536, e.g. Llama-3, Qwen2). */
        INT32;

        /**
         * The documented rule for {@link #load(Path)}: {@code .json} → JSON; names ending {@code .i32.bin},
         * {@code .int32.bin} or {@code .u32.bin} → INT32; any other {@code .bin} → UINT16. Anything else is an error.
         */
        public static Format of(Path file) throws IOException {
            String n = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
            if (n.endsWith(".json")) return JSON;
            if (n.endsWith(".i32.bin") || n.endsWith(".int32.bin") || n.endsWith(".u32.bin")) return INT32;
            if (n.endsWith(".bin")) return UINT16;
            throw new IOException(file + ": unknown token file type (expected .json, .bin of uint16, or .i32.bin of int32)");
        }
    }

    /**
     * Tokens of a text file. With {@code docSeparator == null} the whole file is encoded once; otherwise the text is
     * split at every occurrence of the separator, each document stripped of surrounding whitespace (Python's
     * str.strip), empty ones dropped, each encoded on its own, and the results concatenated. With {@code bos} each
     * encoded unit starts with the tokenizer's BOS when the tokenizer adds one ({@link Tokenizer#addsBos()}).
     */
    public static int[] fromText(Path file, Tokenizer tok, String docSeparator, boolean bos) throws IOException {
        String text = readUtf8(file);
        if (docSeparator == null) return bos ? tok.encodeWithBos(text) : tok.encode(text);
        if (docSeparator.isEmpty()) throw new IllegalArgumentException("the document separator must not be empty");
        // documents are independent, so they are encoded in parallel (tokenizers are thread-safe); order is kept
        List<int[]> encoded = documents(text, docSeparator).parallelStream()
                .map(doc -> bos ? tok.encodeWithBos(doc) : tok.encode(doc)).toList();
        IntList out = new IntList(text.length() / 3);
        for (int[] ids : encoded) out.addAll(ids);
        return out.toArray();
    }

    /** The documents {@link #fromText} would encode (stripped, non-empty), for callers that need them one by one. */
    public static List<String> documents(String text, String docSeparator) {
        java.util.ArrayList<String> docs = new java.util.ArrayList<>();
        int from = 0;
        while (from <= text.length()) {
            int at = text.indexOf(docSeparator, from);
            int to = at < 0 ? text.length() : at;
            String doc = Text.pythonStrip(text.substring(from, to));
            if (!doc.isEmpty()) docs.add(doc);
            if (at < 0) break;
            from = at + docSeparator.length();
        }
        return docs;
    }

    /** A token file in the format {@link Format#of} infers from its name. */
    public static int[] load(Path file) throws IOException {
        return load(file, Format.of(file));
    }

    /** A token file in an explicit format. */
    public static int[] load(Path file, Format format) throws IOException {
        return switch (format) {
            case JSON -> loadJson(file);
            case UINT16 -> loadBinary(file, 2);
            case INT32 -> loadBinary(file, 4);
        };
    }

    /** Fails with a message naming {@code source} when an id is outside [0, vocabSize). */
    public static void checkIds(int[] ids, int vocabSize, String source) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabSize) {
                throw new IllegalArgumentException(source + ": token " + i + " has id " + ids[i]
                        + ", outside the vocabulary of " + vocabSize + " tokens");
            }
        }
    }

    /** Reads a file as strict UTF-8 (a leading byte-order mark is dropped); bad bytes are an error naming the file. */
    public static String readUtf8(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
            return s.startsWith("\uFEFF") ? s.substring(1) : s;
        } catch (CharacterCodingException e) {
            throw new IOException(file + ": not valid UTF-8 text (" + e.getMessage() + ")");
        }
    }

    private static int[] loadJson(Path file) throws IOException {
        Object v;
        try {
            v = Json.parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (JsonException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage());
        } catch (CharacterCodingException e) {
            throw new IOException(file + ": not valid UTF-8");
        }
        if (!(v instanceof List<?> list)) throw new IOException(file + ": expected a JSON array of token ids, found " + Json.typeName(v));
        int[] ids = new int[list.size()];
        for (int i = 0; i < ids.length; i++) {
            Object o = list.get(i);
            if (!(o instanceof Long l) || l < 0 || l > Integer.MAX_VALUE) {
                throw new IOException(file + ": element " + i + " is " + (o instanceof Long ? o : Json.typeName(o)) + ", not a token id (a non-negative integer)");
            }
            ids[i] = (int) (long) l;
        }
        return ids;
    }

    private static int[] loadBinary(Path file, int width) throws IOException {
        long size = Files.size(file);
        if (size % width != 0) {
            throw new IOException(file + ": " + size + " bytes is not a whole number of " + (width == 2 ? "uint16" : "int32") + " ids");
        }
        if (size / width > Integer.MAX_VALUE - 8) throw new IOException(file + ": more than 2^31 tokens");
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int[] ids = new int[(int) (size / width)];
        for (int i = 0; i < ids.length; i++) {
            if (width == 2) {
                ids[i] = buf.getShort() & 0xffff;
            } else {
                ids[i] = buf.getInt();
                if (ids[i] < 0) throw new IOException(file + ": token " + i + " is negative (" + ids[i] + "); is this a uint16 file?");
            }
        }
        return ids;
    }

    /** Minimal growable int list. */
    private static final class IntList {
        private int[] a;
        private int n;

        IntList(int cap) {
            a = new int[Math.max(16, cap)];
        }

        void addAll(int[] ids) {
            if (n + ids.length > a.length) a = java.util.Arrays.copyOf(a, Math.max(n + ids.length, a.length * 2));
            System.arraycopy(ids, 0, a, n, ids.length);
            n += ids.length;
        }

        int[] toArray() {
            return java.util.Arrays.copyOf(a, n);
        }
    }
}
