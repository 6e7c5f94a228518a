// The one description of a pass (src/engine/resnet-graph.ts): every conv of the layout once, every
// activation written once before it is read, and the order the backward relies on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeResNet, listParams } from '../../src/engine/resnet-layout.ts';
import { keptForBackward, resnetGraph } from '../../src/engine/resnet-graph.ts';

for (const arch of ['resnet18', 'resnet50'] as const) {
  const spec = describeResNet({ arch, width: 8, numClasses: 7 });
  const graph = resnetGraph(spec);

  test(`${arch}: every conv of the layout runs once, with its own BatchNorm`, () => {
    const convs = graph.layers.flatMap((l) => (l.kind === 'conv-bn' ? [`${l.conv.name}.weight`] : []));
    const layoutConvs = listParams(spec)
      .filter((p) => p.kind === 'conv')
      .map((p) => p.name);
    assert.deepEqual([...convs].sort(), [...layoutConvs].sort());
    assert.equal(new Set(convs).size, convs.length);
    for (const l of graph.layers)
      if (l.kind === 'conv-bn')
        assert.equal(
          l.conv.name
            .replace(/conv(\d)$/, 'bn$1')
            .replace(/downsample\.0$/, 'downsample.1')
            .replace(/^conv1$/, 'bn1'),
          l.bn,
        );
  });

  test(`${arch}: each activation is written once, before any layer reads it`, () => {
    const written = new Set([0]);
    for (const l of graph.layers) {
      assert.ok(written.has(l.input), `${l.kind} reads ${l.input} before it is written`);
      if (l.kind === 'conv-bn' && l.residual !== null)
        assert.ok(written.has(l.residual), `residual ${l.residual} read before it is written`);
      assert.ok(!written.has(l.output), `${l.output} written twice`);
      written.add(l.output);
    }
    assert.equal(written.size, graph.count);
    assert.equal(graph.features, graph.count - 1, 'the features are the last activation');
  });

  test(`${arch}: walked backwards, every reader of an activation runs before its producer (at most two readers)`, () => {
    for (let a = 1; a < graph.count; a++) {
      const producer = graph.layers.findIndex((l) => l.output === a);
      const readers = graph.layers.flatMap((l, i) => (l.input === a || (l.kind === 'conv-bn' && l.residual === a) ? [i] : []));
      assert.ok(readers.length <= 2, `activation ${a} has ${readers.length} readers`);
      for (const r of readers) assert.ok(r > producer, `activation ${a}: reader ${r} runs before producer ${producer}`);
    }
  });

  test(`${arch}: the backward keeps ReLU and pool outputs only (a shortcut's output is freed after its add)`, () => {
    const shortcuts = graph.layers.filter((l) => l.kind === 'conv-bn' && !l.relu);
    assert.equal(shortcuts.length, spec.blocks.filter((b) => b.downsample).length);
    for (const l of shortcuts) assert.equal(keptForBackward(graph, l.output), false);
    for (const l of graph.layers) if (l.kind === 'max-pool' || l.relu) assert.equal(keptForBackward(graph, l.output), true);
  });
}
