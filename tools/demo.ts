// `npm run demo`: `gan-segmenter run method=latent-direction` on the embedded `shapes` benchmark with the
// shipped generator, no downloads. Writes out/report.md, out/report.json and PNG grids.
// Usage: npm run demo [-- key=value …]   e.g.  npm run demo -- unet.steps=300 out=out/quick
import { existsSync } from 'node:fs';
import { main } from '../src/cli/main.ts';

const SHIPPED_GENERATOR = 'assets/dcgan-shapes-32.safetensors';
// Without the shipped file the run trains its own DCGAN on unlabeled shapes images (gan.weights='').
const args = ['run', 'method=latent-direction', ...(existsSync(SHIPPED_GENERATOR) ? [`gan.weights=${SHIPPED_GENERATOR}`] : []), ...process.argv.slice(2)];
console.error(`gan-segmenter ${args.join(' ')}`);
process.exitCode = await main(args);
