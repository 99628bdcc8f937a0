// Golden ids from sentencepiece (the C++ library compiled to WebAssembly: npm @agnai/sentencepiece-js 1.1.1):
// node spm_oracle.js TEXTS.json OUT_DIR model...   (run where `npm install @agnai/sentencepiece-js@1.1.1` was done)
const { SentencePieceProcessor } = require('@agnai/sentencepiece-js');
const fs = require('fs'), path = require('path');
async function main() {
  const [textsFile, outDir, ...models] = process.argv.slice(2);
  const texts = JSON.parse(fs.readFileSync(textsFile, 'utf8'));
  for (const m of models) {
    const spp = new SentencePieceProcessor();
    await spp.load(m);
    const cases = texts.map(t => { const ids = Array.from(spp.encodeIds(t)); return { text: t, ids, decoded: spp.decodeIds(ids) }; });
    const name = path.basename(m).replace('.model', '') + '.golden.json';
    fs.writeFileSync(path.join(outDir, name), JSON.stringify({ about: 'sentencepiece (wasm build, @agnai/sentencepiece-js 1.1.1) on ' + path.basename(m), cases }));
    console.log('wrote', name, cases.length);
  }
}
main();
