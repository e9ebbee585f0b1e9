// Where the shared development data lives: ../shared beside the project (as checked out),
// else GAN_SEGMENTER_SHARED. The tests that read it fail loudly when neither exists.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const candidates = [process.env['GAN_SEGMENTER_SHARED'], resolve(import.meta.dirname ?? '.', '..', '..', 'shared'), resolve(process.cwd(), '..', 'shared')].filter((p): p is string => !!p);

/** The shared folder (throws naming the places looked at when there is none). */
export const sharedDir = (): string => {
  const found = candidates.find((p) => existsSync(join(p, 'datasets', 'weizmann-horse')));
  if (!found) throw new Error(`test data: no shared/datasets/weizmann-horse in ${candidates.join(', ')}`);
  return found;
};

/** The Weizmann horse development set (images/, masks/). */
export const weizmannHorse = (): string => join(sharedDir(), 'datasets', 'weizmann-horse');
