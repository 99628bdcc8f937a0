#!/usr/bin/env python3
"""Builds the small tokenizer.json fixtures in ../resources/tokenizers/ (standard library only).

Each fixture reproduces the configuration of a real model family on a small vocabulary:
  llama3-style.json   byte-level BPE, Sequence[Split(Llama-3 regex), ByteLevel], ignore_merges, [a, b] merges,
                      <|begin_of_text|> prepended by a TemplateProcessing inside a Sequence post-processor
  qwen2-style.json    NFC normalizer, Split(Qwen2 regex) + ByteLevel, "a b" merges, ChatML added tokens, no BOS
  llama2-style.json   SentencePiece-style: Prepend("▁") + Replace(" ", "▁") normalizers, no pre-tokenizer,
                      byte_fallback, fuse_unk, Replace/ByteFallback/Fuse/Strip decoders; vocabulary and merges
                      converted from shared/data/tokenizers/tok512/tokenizer.model the way transformers'
                      LlamaConverter does; extra added tokens exercising lstrip, rstrip, single_word, normalized
  metaspace-first.json   the same vocabulary with Metaspace(prepend_scheme "first", split false) (Mistral, Llama legacy=false)
  metaspace-always.json  Metaspace(prepend_scheme "always", split true) and a Metaspace decoder
Usage: make_fixtures.py SHARED_DIR OUT_DIR
"""
import json, re, struct, sys, collections, os

shared, out = sys.argv[1], sys.argv[2]

# ---------------------------------------------------------------- byte-level BPE trained on a small corpus
def bytes_to_unicode():
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b); cs.append(256 + n); n += 1
    return dict(zip(bs, map(chr, cs)))

B2U = bytes_to_unicode()
corpus = open(os.path.join(shared, 'data/text/tinystories-sample.txt'), encoding='utf-8').read()
corpus += ''.join(open(os.path.join(shared, 'data/text/wikitext2-test.txt'), encoding='utf-8').readlines()[:300])
corpus += " 1234567 2024 3.14 I'LL WE'VE can't don't naïve café résumé Führer 世界 你好世界 こんにちは 🦙🦙 \n\n\n   \t\t"
words = collections.Counter(''.join(B2U[b] for b in w.encode('utf-8'))
                            for w in re.findall(r" ?[^\W\d_]+| ?\d{1,3}| ?[^\s\w]+[\r\n]*|\s*[\r\n]+|\s+", corpus))

def train(words, n_merges):
    seqs = {w: list(w) for w in words}
    merges = []
    for _ in range(n_merges):
        pairs = collections.Counter()
        for w, c in words.items():
            s = seqs[w]
            for a, b in zip(s, s[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        merges.append(best)
        for w in words:
            s = seqs[w]; i = 0; t = []
            while i < len(s):
                if i + 1 < len(s) and (s[i], s[i + 1]) == best:
                    t.append(s[i] + s[i + 1]); i += 2
                else:
                    t.append(s[i]); i += 1
            seqs[w] = t
    return merges

merges = train(words, 700)
base = [B2U[b] for b in range(256)]
vocab = {}
for t in base:
    vocab.setdefault(t, len(vocab))
for a, b in merges:
    vocab.setdefault(a + b, len(vocab))

LLAMA3_RE = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
QWEN2_RE = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"

def added(id, content, special=True, normalized=False, lstrip=False, rstrip=False, single_word=False):
    return {"id": id, "content": content, "single_word": single_word, "lstrip": lstrip, "rstrip": rstrip,
            "normalized": normalized, "special": special}

def bpe(vocab, merges, pair_form, **kw):
    m = {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
         "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
         "vocab": vocab, "merges": [[a, b] for a, b in merges] if pair_form else [a + " " + b for a, b in merges]}
    m.update(kw)
    return m

def write(name, tok):
    with open(os.path.join(out, name), 'w', encoding='utf-8') as f:
        json.dump(tok, f, ensure_ascii=False, indent=1)

n = len(vocab)
bl_decoder = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}
write('llama3-style.json', {
    "version": "1.0", "truncation": None, "padding": None,
    "added_tokens": [added(n, "<|begin_of_text|>"), added(n + 1, "<|end_of_text|>"), added(n + 2, "<|eot_id|>"),
                     added(n + 3, "<|reserved_special_token_0|>")],
    "normalizer": None,
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": LLAMA3_RE}, "behavior": "Isolated", "invert": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
    "post_processor": {"type": "Sequence", "processors": [
        {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        {"type": "TemplateProcessing",
         "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
         "pair": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                  {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
         "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [n], "tokens": ["<|begin_of_text|>"]}}}]},
    "decoder": bl_decoder,
    "model": bpe(vocab, merges, True, ignore_merges=True)})

write('qwen2-style.json', {
    "version": "1.0", "truncation": None, "padding": None,
    "added_tokens": [added(n, "<|endoftext|>"), added(n + 1, "<|im_start|>"), added(n + 2, "<|im_end|>")],
    "normalizer": {"type": "NFC"},
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": QWEN2_RE}, "behavior": "Isolated", "invert": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]},
    "post_processor": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
    "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
    "model": bpe(vocab, merges, False)})

# ---------------------------------------------------------------- SentencePiece-style, from tok512's tokenizer.model
def read_spm(path):
    b = open(path, 'rb').read()
    def varint(b, i):
        v = s = 0
        while True:
            c = b[i]; i += 1; v |= (c & 0x7f) << s; s += 7
            if c < 0x80: return v, i
    pieces = []; i = 0
    while i < len(b):
        tag, i = varint(b, i); f, w = tag >> 3, tag & 7
        if w == 2:
            ln, i = varint(b, i); body = b[i:i + ln]; i += ln
            if f == 1:
                j = 0; piece = None; score = 0.0; typ = 1
                while j < len(body):
                    t, j = varint(body, j); ff, ww = t >> 3, t & 7
                    if ww == 2:
                        l2, j = varint(body, j); piece = body[j:j + l2].decode('utf-8'); j += l2
                    elif ww == 5:
                        score = struct.unpack('<f', body[j:j + 4])[0]; j += 4
                    else:
                        typ, j = varint(body, j)
                pieces.append((piece, score, typ))
        elif w == 0:
            _, i = varint(b, i)
        elif w == 5:
            i += 4
        else:
            i += 8
    return pieces

pieces = read_spm(os.path.join(shared, 'data/tokenizers/tok512/tokenizer.model'))
sp_vocab = {p: i for i, (p, s, t) in enumerate(pieces)}
scores = {p: s for p, s, t in pieces}
sp_merges = []
for merge, score in scores.items():       # transformers' SentencePieceExtractor.extract
    local = [(merge[:k], merge[k:], score) for k in range(1, len(merge))
             if merge[:k] in sp_vocab and merge[k:] in sp_vocab]
    sp_merges.extend(sorted(local, key=lambda x: (sp_vocab[x[0]], sp_vocab[x[1]])))
sp_merges = [(a, b) for a, b, s in sorted(sp_merges, key=lambda v: v[2], reverse=True)]
m = len(sp_vocab)
sp_added = [added(0, "<unk>"), added(1, "<s>"), added(2, "</s>"),
            added(m, "<mask>", lstrip=True), added(m + 1, "<sep>", rstrip=True),
            added(m + 2, "[DAY]", special=False, single_word=True),
            added(m + 3, "hello world", special=False, normalized=True)]
sp_model = bpe(sp_vocab, sp_merges, False, unk_token="<unk>", fuse_unk=True, byte_fallback=True)
sp_post = {"type": "TemplateProcessing",
           "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
           "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                    {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
           "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}}
sp_decoder = {"type": "Sequence", "decoders": [
    {"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"},
    {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
write('llama2-style.json', {
    "version": "1.0", "truncation": None, "padding": None, "added_tokens": sp_added,
    "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
                                                      {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
    "pre_tokenizer": None, "post_processor": sp_post, "decoder": sp_decoder, "model": sp_model})
write('metaspace-first.json', {
    "version": "1.0", "truncation": None, "padding": None, "added_tokens": sp_added[:3],
    "normalizer": None,
    "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False},
    "post_processor": sp_post, "decoder": sp_decoder, "model": sp_model})
write('metaspace-always.json', {
    "version": "1.0", "truncation": None, "padding": None, "added_tokens": sp_added,
    "normalizer": None,
    "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
    "post_processor": sp_post,
    "decoder": {"type": "Sequence", "decoders": [{"type": "ByteFallback"},
                                                 {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True}]},
    "model": sp_model})

# ---------------------------------------------------------------- texts
texts = [
    "Hello world", " Hello world", "Hello  world", "  leading and trailing  ", "", " ", "   ", "\t", "\n", "\n\n\n",
    "a\tb\nc\r\nd", "line one\n\nline two\n", "tabs\t\tand  \n  spaces", "x \n y", "end with space ",
    "I'LL BE THERE, WE'VE SAID", "don't can't won't it's y'all 'tis", "She'S", "'s 's's", "'ll", "Dr. O'Neil's",
    "1234567890", "3.14159 and 2,718", "phone 555-0100 year 2024", "٣٤٥ ١٢", "Ⅻ ½ ²",
    "naïve café résumé", "cafe\u0301 (decomposed e + acute)", "Führer", "Straße ß", "ſ ſ's K",
    "你好世界", "こんにちは世界", "안녕하세요", "Привет, мир!", "مرحبا بالعالم", "नमस्ते दुनिया", "ខ្មែរ",
    "🦙 llamas 🦙🦙", "👨‍👩‍👧 family", "emoji🙂inside", "\u00a0non-breaking\u00a0space", "zero\u200bwidth", "\u3000ideographic space",
    "!!!!!!", "?!.,;:", "((brackets)) [x] {y}", "a---b___c", "<html><body>", "--======", "''''''```````\"\"\"\"......",
    "<s>Hello</s>", "Hello <s> world", "<|begin_of_text|>Hi<|eot_id|>", "<|im_start|>user\nhi<|im_end|>\n",
    "<|endoftext|><|endoftext|>", "a <mask> b", "a<mask>b", "x  <sep>  y", "[DAY] x[DAY]y  [DAY]", "say hello world now",
    "hello world", "Hello world!", "<unk>", "<0x41>", "\u2581already\u2581meta", "▁▁ x",
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.",
    " = Robert <unk> = \n", "  \n \n", "mixed\u00a0\t spaces\u2003here",
]
texts += [l for l in open(os.path.join(shared, 'data/text/wikitext2-test.txt'), encoding='utf-8').read().split('\n')[:40]]
texts += corpus.split('<|endoftext|>')[:3]
with open(os.path.join(out, 'texts.json'), 'w', encoding='utf-8') as f:
    json.dump(texts, f, ensure_ascii=False, indent=0)
print(len(vocab), len(merges), len(sp_vocab), len(sp_merges), len(texts))
