/** The subcommand registry: add a command by listing it here (one line). */
import type { Command } from './command.js';
import { brokerCommand } from './broker.js';
import { groupsCommand } from './groups.js';
import { streamsCommand } from './streams.js';
import { topicsCommand } from './topics.js';
import { aclsCommand } from './acls.js';

export const commands: readonly Command[] = [brokerCommand, topicsCommand, groupsCommand, aclsCommand, streamsCommand];
