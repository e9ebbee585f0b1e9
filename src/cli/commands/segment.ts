/**
 * `gan-segmenter segment <images-dir> --model <checkpoint> --out <dir>`
 *
 * @module
 */
import type { Command } from '../command.ts';
import { initBackend } from '../../backend/init.ts';
import { loadSegmenter, segmentFolder } from '../../pipeline/segment.ts';
import { expectArgs, requireFlag, splitArgs, UsageError } from '../args.ts';
import { cliOutput } from '../output.ts';

const usage = `usage: gan-segmenter segment <images-dir> --model <checkpoint, run folder or weights file> --out <dir> [--threshold 0.5] [--probabilities] [--resolution 128]

Writes one mask PNG (same stem, same size) per JPEG/PNG image in <images-dir>.
--model takes a UNet checkpoint folder, a run folder (its best checkpoint, else the newest), or a weights file
(a milesial Pytorch-UNet .pt/.pth, or our safetensors); for a file, images are resized to --resolution (default 128).
--threshold: foreground where the probability is above it (default 0.5); --probabilities: write the probability
(0-255) instead of a 0/255 mask. stdout: one JSON object {"model", "resolution", "out", "masks"}.`;

/** The `segment` command. */
export const segmentCommand: Command = {
  name: 'segment',
  summary: 'write foreground mask PNGs for a folder of images with a trained segmenter',
  usage,
  run: async (argv, output = cliOutput()) => {
    const a = expectArgs(splitArgs(argv, ['probabilities']), { flags: ['model', 'out', 'threshold', 'probabilities', 'resolution'], positional: 1 }, 'segment');
    const dir = a.positional[0];
    if (dir === undefined) throw new UsageError('segment', [{ path: '<images-dir>', expected: 'a folder of images', given: 'nothing' }]);
    const model = requireFlag(a, 'model', 'segment'), out = requireFlag(a, 'out', 'segment');
    const threshold = a.flags.threshold === undefined ? 0.5 : Number(a.flags.threshold);
    if (!(threshold >= 0 && threshold <= 1)) throw new UsageError('segment', [{ path: '--threshold', expected: 'a number in [0, 1]', given: JSON.stringify(a.flags.threshold) }]);
    const resolution = a.flags.resolution === undefined ? undefined : Number(a.flags.resolution);
    if (resolution !== undefined && !(Number.isInteger(resolution) && resolution >= 1)) throw new UsageError('segment', [{ path: '--resolution', expected: 'a positive integer', given: JSON.stringify(a.flags.resolution) }]);
    await initBackend();
    const seg = loadSegmenter(model, resolution === undefined ? {} : { resolution });
    const files = segmentFolder(seg, dir, out, { threshold, probabilities: a.flags.probabilities === 'true' });
    output.result({ model: seg.checkpoint, resolution: seg.resolution, out, masks: files.length });
    seg.model.dispose();
    return 0;
  },
};
