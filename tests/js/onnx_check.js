// ONNX Runtime reference check (the pinned onnxruntime-node, CPU): node onnx_check.js MANIFEST.json
// For each manifest entry {"name", "onnx", "x", "y", "shape": [N, C, H, W], "classes": K} (x, y: raw
// float32 inputs [N, C, H, W] and expected logits [1 + N, K]: the first image alone, then the
// batch), runs batch 1 (the first image) and batch N, and prints one JSON list of {"name", "diff": max |logit - expected|} or {"name", "error"}.
"use strict";
const fs = require("fs");
const ort = require(__dirname + "/node_modules/onnxruntime-node");

const floats = (f) => {
  const b = fs.readFileSync(f);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
};

async function check(e) {
  const [n, c, h, w] = e.shape;
  const x = floats(e.x), y = floats(e.y), per = c * h * w;
  const session = await ort.InferenceSession.create(e.onnx);
  let diff = 0;
  for (const batch of [1, n]) {
    const r = await session.run({ input: new ort.Tensor("float32", x.slice(0, batch * per), [batch, c, h, w]) });
    if (r.logits.dims.join() !== [batch, e.classes].join()) throw new Error(`logits of shape [${r.logits.dims}]`);
    const offset = batch === 1 ? 0 : e.classes;  // the batch's rows follow the single image's
    for (let i = 0; i < batch * e.classes; i++) diff = Math.max(diff, Math.abs(r.logits.data[i] - y[offset + i]));
  }
  return { name: e.name, diff };
}

(async () => {
  const manifest = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const results = [];
  for (const e of manifest) {
    try {
      results.push(await check(e));
    } catch (err) {
      results.push({ name: e.name, error: String(err) });
    }
  }
  console.log(JSON.stringify(results));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
