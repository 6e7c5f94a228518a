import { setupBackend } from '../src/cli/node-backends.ts';
import { tf } from '../src/engine/tf.ts';
import { createModel, forward } from '../src/engine/resnet.ts';
import { Rng } from '../src/engine/rng.ts';
await setupBackend((process.argv[2] ?? 'cpu') as any);
const width = Number(process.argv[3] ?? 64);
const m = createModel({ arch: 'resnet18', width, numClasses: 7 }, new Rng(0));
const x = tf.randomNormal([32, 64, 64, 3]) as any;
for (let i = 0; i < 2; i++) {
const t0 = performance.now();
const prof = await tf.profile(() => forward(m, x, false).logits);
const agg = new Map<string, number>();
for (const k of prof.kernels) agg.set(k.name, (agg.get(k.name) ?? 0) + (k.kernelTimeMs as number));
console.log((performance.now()-t0).toFixed(0), [...agg].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => `${k}: ${v.toFixed(0)}`).join(', '));
}
