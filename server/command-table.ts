// The command table: Redis's metadata (command-specs.ts) bound to the
// handlers in commands/*.ts. One entry per command and subcommand; the
// dispatcher, ACL and COMMAND INFO/DOCS/COUNT all answer from it.
import { SPECS } from './command-specs';
import type { Handler, SpecData } from './types';
import type { AclCommand } from './acl';
import { connectionCommands } from './commands/connection';
import { serverCommands } from './commands/server';
import { keyCommands } from './commands/keys';
import { stringCommands } from './commands/strings';
import { hashCommands } from './commands/hashes';
import { setCommands } from './commands/sets';
import { zsetCommands } from './commands/zsets';
import { pubsubCommands } from './commands/pubsub';
import { multiCommands } from './commands/multi';

export interface Command extends SpecData {
  handler?: Handler;
  /** Subcommands of a container command (CLIENT, CONFIG, COMMAND, PUBSUB), by lower-case name. */
  sub?: Map<string, Command>;
  noAuth: boolean;
  allowedInPubSub: boolean;
  /** MULTI/EXEC/DISCARD/QUIT/RESET run immediately inside a transaction. */
  multiControl: boolean;
  /** Arguments that are channels (ACL checks): SUBSCRIBE/PUBLISH channels, PSUBSCRIBE patterns. */
  channels?: 'channels' | 'patterns';
}

const PUBSUB_CONTEXT = new Set(['ping', 'subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe', 'quit', 'reset']);
const MULTI_CONTROL = new Set(['exec', 'discard', 'multi', 'quit', 'reset']);

export function allHandlers(): Record<string, Handler> {
  return {
    ...connectionCommands, ...serverCommands, ...keyCommands, ...stringCommands, ...hashCommands,
    ...setCommands, ...zsetCommands, ...pubsubCommands, ...multiCommands,
  };
}

function bind(spec: SpecData, handlers: Record<string, Handler>): Command {
  const cmd: Command = {
    ...spec,
    handler: handlers[spec.name],
    noAuth: spec.flags.includes('no_auth'),
    allowedInPubSub: PUBSUB_CONTEXT.has(spec.name),
    multiControl: MULTI_CONTROL.has(spec.name),
    channels: spec.name === 'psubscribe' ? 'patterns' : (spec.name === 'subscribe' || spec.name === 'publish') ? 'channels' : undefined,
  };
  if (spec.subcommands && spec.subcommands.length) {
    cmd.sub = new Map();
    for (const s of spec.subcommands) cmd.sub.set(s.name.split('|')[1], bind(s, handlers));
  } else if (!cmd.handler) {
    throw new Error(`command ${spec.name} has no handler`);
  }
  return cmd;
}

export function buildCommandTable(): Map<string, Command> {
  const handlers = allHandlers();
  const m = new Map<string, Command>();
  for (const s of SPECS) m.set(s.name, bind(s, handlers));
  return m;
}

/** Every command and subcommand with its ACL categories. */
export function aclCommandList(cmds: Map<string, Command>): AclCommand[] {
  const out: AclCommand[] = [];
  for (const c of cmds.values()) {
    const subs = c.sub ? [...c.sub.values()] : [];
    out.push({ fullname: c.name, categories: c.categories, subcommands: subs.map((s) => s.name) });
    for (const s of subs) out.push({ fullname: s.name, categories: s.categories });
  }
  return out;
}
