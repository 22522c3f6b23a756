/** The subcommand registry: add a command by listing it here (one line). */
import type { Command } from './command.js';
import { brokerCommand } from './broker.js';

export const commands: readonly Command[] = [brokerCommand];
