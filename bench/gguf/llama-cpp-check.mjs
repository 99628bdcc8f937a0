// Runs a GGUF file in llama.cpp (through node-llama-cpp) and prints one JSON line: the greedy continuation of a
// prompt, the log-likelihood llama.cpp gives each token of a sequence, and the header as @huggingface/gguf reads it.
// Usage: node llama-cpp-check.mjs MODEL.gguf '{"prompt":[1],"steps":200,"score":[1,403,...]}'
// Run from a folder whose node_modules holds node-llama-cpp 3.21.1 and @huggingface/gguf (see GgufLlamaCppTest).
import {getLlama, LlamaLogLevel} from "node-llama-cpp";
import {gguf} from "@huggingface/gguf";

const [modelPath, specJson] = process.argv.slice(2);
const spec = JSON.parse(specJson);

const {metadata, tensorInfos} = await gguf(modelPath, {allowLocalFile: true});
const header = {
    architecture: metadata["general.architecture"],
    version: metadata.version,
    tensor_count: Number(metadata.tensor_count),
    tensors: tensorInfos.map(t => ({name: t.name, shape: t.shape.map(Number), dtype: t.dtype})),
};

const llama = await getLlama({gpu: false, logLevel: LlamaLogLevel.error, build: "never"});
const model = await llama.loadModel({modelPath});
// one thread: ggml's worker threads spin at a barrier every op, which crawls on a shared, oversubscribed machine;
// no flash attention and an F32 KV cache (node-llama-cpp's defaults are "auto" and F16, which round keys and values to
// 11 bits): the plain float32 path, the one to compare with prune4j's float32 forward
const context = await model.createContext({contextSize: spec.contextSize ?? 512, batchSize: 512, threads: 1, flashAttention: false,
    experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32"});
const t0 = Date.now();

// greedy continuation: temperature 0 is argmax
const seq = context.getSequence();
const greedy = [];
for await (const t of seq.evaluate(spec.prompt, {temperature: 0})) {
    greedy.push(t);
    if (greedy.length >= spec.steps) break;
}
seq.dispose();
const greedyMs = Date.now() - t0;

// log-likelihood of every token of spec.score after its prefix, from the full next-token distribution
const seq2 = context.getSequence();
const input = spec.score.slice(0, -1).map(t => [t, {generateNext: {probabilities: true}}]);
const outs = await seq2.controlledEvaluate(input);
const logprobs = [];
for (let i = 0; i < input.length; i++) {
    const p = outs[i]?.next?.probabilities?.get(spec.score[i + 1]);
    logprobs.push(p === undefined ? null : Math.log(p));
}

console.log(JSON.stringify({
    llama_cpp: llama.llamaCppRelease,
    header,
    vocab: {bos: model.tokens.bos, eos: model.tokens.eos},
    tokenize: spec.text === undefined ? null : Array.from(model.tokenize(spec.text)),
    greedy,
    logprobs,
    ms: {greedy: greedyMs, score: Date.now() - t0 - greedyMs},
}));
await context.dispose();
await model.dispose();
