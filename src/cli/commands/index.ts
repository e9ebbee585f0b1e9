/** Every CLI command, in `--help` order. Each helper file adds itself here. @module */
import type { Command } from '../command.ts';

/** The registered commands. */
export const commands: readonly Command[] = [];
