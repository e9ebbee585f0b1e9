// Child process for the kill-and-resume test: trains the tiny GAN; with a third argument N, blocks inside the
// N-th checkpoint write (after its data is on disk, before the rename) and prints COMMITTING so the parent can SIGKILL.
import { initBackend } from '../../src/backend/init.ts';
import { trainGan } from '../../src/train/gan.ts';
import { tinyConfig, tinyNetworks, tinyReals } from './tiny-gan.ts';

const [out, steps, hangAt] = process.argv.slice(2);
await initBackend({ backend: 'cpu', ignoreEnv: true });
let writes = 0;
await trainGan({
  config: tinyConfig(Number(steps)),
  networks: tinyNetworks(),
  reals: tinyReals,
  out: out!,
  resume: true,
  beforeCommit: () => {
    writes += 1;
    if (hangAt !== undefined && writes === Number(hangAt)) {
      process.stdout.write('COMMITTING\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
    }
  },
});
process.stdout.write('DONE\n');
