#!/usr/bin/env python3
"""Variants of shared/data/tokenizers/tok512/tokenizer.model that exercise the SentencePiece settings tok512 lacks
(standard library only; rewrites the protobuf fields by hand):
  llama-ws.model    remove_extra_whitespaces=false (as Llama-2, Mistral, TinyLlama ship), add_dummy_prefix=true
  nodummy.model     add_dummy_prefix=false, remove_extra_whitespaces=false
  pieces.model      user-defined pieces (appended "<sep>", "[X]", and "▁the" turned USER_DEFINED), two UNUSED pieces
                    ("▁a" and "in"), one extra CONTROL piece "<ctl>"
  nofallback.model  byte_fallback=false with the 256 byte pieces removed (unknown characters → <unk>)
Usage: make_spm_fixtures.py tok512/tokenizer.model OUT_DIR
"""
import struct, sys, os

NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6

def varint(b, i):
    v = s = 0
    while True:
        c = b[i]; i += 1; v |= (c & 0x7f) << s; s += 7
        if c < 0x80: return v, i

def enc_varint(v):
    out = bytearray()
    while True:
        c = v & 0x7f; v >>= 7
        if v: out.append(c | 0x80)
        else: out.append(c); return bytes(out)

def fields(b):
    """[(field, wire, value)] where value is an int (varint), bytes (len / fixed)."""
    out = []; i = 0
    while i < len(b):
        tag, i = varint(b, i); f, w = tag >> 3, tag & 7
        if w == 0: v, i = varint(b, i)
        elif w == 2: ln, i = varint(b, i); v = b[i:i + ln]; i += ln
        elif w == 5: v = b[i:i + 4]; i += 4
        elif w == 1: v = b[i:i + 8]; i += 8
        else: raise ValueError(w)
        out.append((f, w, v))
    return out

def encode(fs):
    out = bytearray()
    for f, w, v in fs:
        out += enc_varint(f << 3 | w)
        if w == 0: out += enc_varint(v)
        elif w == 2: out += enc_varint(len(v)) + v
        else: out += v
    return bytes(out)

def piece(p, score, typ):
    return encode([(1, 2, p.encode('utf-8')), (2, 5, struct.pack('<f', score)), (3, 0, typ)])

def parse_piece(b):
    p, score, typ = None, 0.0, NORMAL
    for f, w, v in fields(b):
        if f == 1: p = v.decode('utf-8')
        elif f == 2: score = struct.unpack('<f', v)[0]
        elif f == 3: typ = v
    return [p, score, typ]

def set_field(fs, field, value):
    fs = [x for x in fs if x[0] != field]
    return fs + [(field, 0, value)]

src, out = sys.argv[1], sys.argv[2]
top = fields(open(src, 'rb').read())
pieces = [parse_piece(v) for f, w, v in top if f == 1]
trainer = fields(next(v for f, w, v in top if f == 2))
norm = fields(next(v for f, w, v in top if f == 3))

def write(name, pieces, trainer, norm):
    body = [(1, 2, piece(*p)) for p in pieces] + [(2, 2, encode(trainer)), (3, 2, encode(norm))]
    open(os.path.join(out, name), 'wb').write(encode(body))

write('llama-ws.model', pieces, trainer, set_field(set_field(norm, 3, 1), 4, 0))
write('nodummy.model', pieces, trainer, set_field(set_field(norm, 3, 0), 4, 0))
p2 = [list(p) for p in pieces]
for p in p2:
    if p[0] == '▁the': p[2] = USER_DEFINED
    if p[0] in ('▁a', 'in'): p[2] = UNUSED
p2 += [['<sep>', 0.0, USER_DEFINED], ['[X]', 0.0, USER_DEFINED], ['<ctl>', 0.0, CONTROL]]
write('pieces.model', p2, trainer, set_field(norm, 4, 0))
p3 = [p for p in pieces if p[2] != BYTE]
write('nofallback.model', p3, set_field(trainer, 35, 0), set_field(norm, 4, 0))
print('ok', len(pieces), len(p2), len(p3))
