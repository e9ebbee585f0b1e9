/** Every CLI command, in `--help` order. Each helper file adds itself here. @module */
import type { Command } from '../command.ts';
import { evaluateCommand } from './evaluate.ts';
import { baselineCommand } from './baseline.ts';
import { trainGanCommand } from './train-gan.ts';
import { trainSegmenterCommand } from './train-segmenter.ts';
import { sampleCommand } from './sample.ts';
import { findDirectionCommand } from './find-direction.ts';
import { generateCommand } from './generate.ts';
import { segmentCommand } from './segment.ts';
import { runCommand } from './run.ts';
import { trainAlphaCommand } from './train-alpha.ts';
import { trainIlsganCommand } from './train-ilsgan.ts';
import { sampleLayersCommand } from './sample-layers.ts';
import { benchmarkCommand } from './benchmark.ts';

/** The registered commands. */
export const commands: readonly Command[] = [trainGanCommand, trainSegmenterCommand, evaluateCommand, baselineCommand, sampleCommand, findDirectionCommand, generateCommand, segmentCommand, runCommand, trainAlphaCommand, trainIlsganCommand, sampleLayersCommand, benchmarkCommand];
