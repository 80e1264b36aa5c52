// ONNX Runtime reference check: node onnx_check.js MODEL X.bin Y.bin C H W CLASSES
// X.bin: float32 [N, C, H, W]; Y.bin: the expected logits float32 [N, CLASSES]. Runs batch 1 (the first
// image) and the whole batch; exits 1 when any logit differs by more than 1e-4.
const fs = require('fs');
const ort = require(__dirname + '/node_modules/onnxruntime-node');
const [model, xf, yf, c, h, w, k] = process.argv.slice(2);
const floats = (f) => { const b = fs.readFileSync(f); return new Float32Array(b.buffer, b.byteOffset, b.length / 4); };
(async () => {
  const x = floats(xf), y = floats(yf), per = c * h * w, n = x.length / per;
  const s = await ort.InferenceSession.create(model);
  let worst = 0;
  for (const batch of [1, n]) {
    const r = await s.run({input: new ort.Tensor('float32', x.slice(0, batch * per), [batch, +c, +h, +w])});
    for (let i = 0; i < batch * k; i++) worst = Math.max(worst, Math.abs(r.logits.data[i] - y[i]));
  }
  console.log(`onnxruntime ${model}: max |diff| ${worst}`);
  process.exit(worst <= 1e-4 ? 0 : 1);
})().catch((e) => { console.error(e); process.exit(1); });
