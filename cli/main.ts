#!/usr/bin/env node
import { Command } from 'commander';
import { addProbeCommand } from './probe-command';

/** The `microcloud` command: subcommands each define their own options. */
function main(): void {
  const program = new Command();
  program
    .name('microcloud')
    .description('Network traffic probe: packets to flows and a live knowledge base served over the Redis protocol')
    .version(require('../../package.json').version as string)
    .showHelpAfterError(false)
    .configureOutput({
      // One line on stderr for bad arguments, as the CLI contract asks.
      outputError: (text, write) => write(text.split('\n')[0] + '\n'),
    });
  addProbeCommand(program);
  program.parseAsync(process.argv).catch((err: unknown) => {
    process.stderr.write(`microcloud: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}

main();
