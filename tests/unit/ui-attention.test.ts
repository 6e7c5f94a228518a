// The attention panel's colour mapping: viridis end points and monotone lightness, the shared
// range of a sample's two maps, and the RGBA layout a canvas expects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapToRgba, rgbToRgba, sharedRange, viridis } from '../../src/ui/attention/colormap.ts';

test('viridis: matplotlib end points, clamped, brighter as t grows', () => {
  assert.deepEqual(viridis(0), [68, 1, 84]);
  assert.deepEqual(viridis(1), [253, 231, 37]);
  assert.deepEqual(viridis(-3), viridis(0));
  assert.deepEqual(viridis(NaN), viridis(0));
  const luma = (c: number[]) => 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  for (let t = 0; t < 1; t += 0.05) assert.ok(luma(viridis(t + 0.05)) > luma(viridis(t)), `lighter at ${t}`);
});

test('both maps of a sample share one range; a flat map is not a division by zero', () => {
  assert.deepEqual(sharedRange([1, 5], [-2, 3]), { lo: -2, hi: 5 });
  assert.deepEqual(sharedRange([2, 2]), { lo: 2, hi: 3 });
  const rgba = mapToRgba([-2, 5, 1.5], { lo: -2, hi: 5 }, 128);
  assert.deepEqual([...rgba.subarray(0, 4)], [68, 1, 84, 128]);
  assert.deepEqual([...rgba.subarray(4, 8)], [253, 231, 37, 128]);
  assert.deepEqual([...rgba.subarray(8, 12)], [...viridis(0.5), 128]);
  assert.deepEqual([...rgbToRgba(new Uint8Array([1, 2, 3, 4, 5, 6]))], [1, 2, 3, 255, 4, 5, 6, 255]);
});
