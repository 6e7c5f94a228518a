import { setupBackend } from '../src/cli/node-backends.ts';
import { tf } from '../src/engine/tf.ts';
await setupBackend('wasm');
const T = async (name: string, f: () => any) => { await (f()).data(); const t0 = performance.now(); const r = f(); await r.data(); console.log(name, (performance.now() - t0).toFixed(0), 'ms', r.shape); };
// layer1 3x3 conv of resnet18 at 64px batch 32: X [32,16,16,64], dY [32,16,16,64]
const X = tf.randomNormal([32, 16, 16, 64]) as any; const dY = tf.randomNormal([32, 16, 16, 64]) as any;
const K = 32 * 16 * 16;
const A = tf.randomNormal([K, 64]); const B = tf.randomNormal([K, 64]);
await T('matMul transposeA [K,64]^T[K,64]', () => tf.matMul(A, B, true, false));
const At = tf.transpose(A);
await T('matMul [64,K][K,64]', () => tf.matMul(At, B));
await T('transpose+matMul', () => tf.matMul(tf.transpose(A), B));
// conv trick: X' [64,16,16,32] (ci as batch, n as channels), filter dY' [16,16,32,64]
await T('conv trick 3x3', () => { const xp = tf.transpose(X, [3, 1, 2, 0]); const f = tf.transpose(dY, [1, 2, 0, 3]); return tf.conv2d(xp, f, 1, [[0,0],[1,1],[1,1],[0,0]]); });
await T('stock-ish conv fwd 3x3', () => tf.conv2d(X, tf.randomNormal([3,3,64,64]) as any, 1, 'same'));
await T('conv2dBackpropInput 3x3', () => tf.conv2dTranspose(dY, tf.randomNormal([3,3,64,64]) as any, [32,16,16,64], 1, 'same'));
