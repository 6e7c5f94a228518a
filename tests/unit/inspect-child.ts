// `eac ARGS…` in a child process that ends with one line `maxrss-kb N` on stderr, so a test can
// bound the memory a hostile input costs. tests/unit/hostile-data.test.ts spawns it with
// --max-old-space-size and a timeout: a reader that regresses fails the test instead of hanging it.
// `read-unconfined DIR` instead reads DIR with readRafDb on nodeFolderFs (no folder confinement,
// so a link to /dev/zero meets the regular-file check) and prints the report as JSON.
import { main } from '../../src/cli/main.ts';
import { nodeFolderFs } from '../../src/cli/node-folder-fs.ts';
import { initJpegDecoderNode } from '../../src/data/jpeg-node.ts';
import { readRafDb } from '../../src/data/rafdb.ts';

const args = process.argv.slice(2);
if (args[0] === 'read-unconfined') {
  await initJpegDecoderNode();
  const { report } = await readRafDb(nodeFolderFs, args[1]);
  process.stdout.write(JSON.stringify(report) + '\n');
} else {
  process.exitCode = await main(args);
}
process.stderr.write(`\nmaxrss-kb ${process.resourceUsage().maxRSS}\n`);
