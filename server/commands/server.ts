// Server commands: COMMAND CONFIG INFO DBSIZE TIME FLUSHDB FLUSHALL.
import type { Handler, SpecData } from '../types';
import type { Client } from '../client';
import type { ServerCore } from '../core';
import type { Command } from '../command-table';
import { RespError, ERR_SYNTAX } from '../types';
import { PARAMS } from '../config';
import { globMatch } from '../util';
import { helpReply } from './connection';
import { REDIS_COMPAT_VERSION, MICROCLOUD_VERSION } from '../version';

// ---- COMMAND -----------------------------------------------------------------

function statusSet(c: Client, items: string[]): void {
  c.w.set(items.length);
  for (const i of items) c.w.simple(i);
}

function keySpec(c: Client, ks: Record<string, unknown>): void {
  const ent = Object.entries(ks);
  c.w.map(ent.length);
  for (const [k, v] of ent) {
    c.w.bulk(k);
    if (k === 'flags') statusSet(c, v as string[]);
    else c.w.value(v);
  }
}

function commandInfo(c: Client, cmd: SpecData): void {
  const w = c.w;
  w.array(10);
  w.bulk(cmd.name);
  w.int(cmd.arity);
  statusSet(c, cmd.flags);
  w.int(cmd.firstKey);
  w.int(cmd.lastKey);
  w.int(cmd.step);
  statusSet(c, cmd.categories);
  w.set(cmd.tips.length);
  for (const t of cmd.tips) w.bulk(t);
  w.set(cmd.keySpecs.length);
  for (const ks of cmd.keySpecs) keySpec(c, ks as Record<string, unknown>);
  const subs = cmd.subcommands ?? [];
  if (subs.length === 0) w.set(0);
  else w.array(subs.length);
  for (const s of subs) commandInfo(c, s);
}

function commandDocs(c: Client, cmd: SpecData): void {
  const w = c.w;
  const subs = cmd.subcommands ?? [];
  w.map(subs.length ? 5 : 4);
  w.bulk('summary'); w.bulk(cmd.summary);
  w.bulk('since'); w.bulk(cmd.since);
  w.bulk('group'); w.bulk(cmd.group);
  w.bulk('complexity'); w.bulk(cmd.complexity);
  if (subs.length) {
    w.bulk('subcommands');
    w.map(subs.length);
    for (const s of subs) {
      w.bulk(s.name);
      commandDocs(c, s);
    }
  }
}

function findCommand(core: ServerCore, name: string): Command | undefined {
  const [base, sub] = name.toLowerCase().split('|');
  const cmd = core.commands.get(base);
  if (sub === undefined) return cmd;
  return cmd?.sub?.get(sub);
}

const command: Handler = (c, _argv, core) => {
  c.w.array(core.commands.size);
  for (const cmd of core.commands.values()) commandInfo(c, cmd);
};

const commandCount: Handler = (c, _argv, core) => c.w.int(core.commands.size);

const commandInfoH: Handler = (c, argv, core) => {
  if (argv.length === 2) return command(c, argv, core);
  c.w.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const cmd = findCommand(core, argv[i]);
    if (cmd) commandInfo(c, cmd);
    else c.w.nullBulk();
  }
};

const commandDocsH: Handler = (c, argv, core) => {
  const list: Command[] = [];
  if (argv.length === 2) list.push(...core.commands.values());
  else for (let i = 2; i < argv.length; i++) {
    const cmd = findCommand(core, argv[i]);
    if (cmd) list.push(cmd);
  }
  c.w.map(list.length);
  for (const cmd of list) {
    c.w.bulk(cmd.name);
    commandDocs(c, cmd);
  }
};

const COMMAND_HELP = [
  'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  '(no subcommand)', '    Return details about all Redis commands.',
  'COUNT', '    Return the total number of commands in this Redis server.',
  'INFO [<command-name> ...]', '    Return details about multiple Redis commands.',
  'DOCS [<command-name> ...]', '    Return documentation details about multiple Redis commands.',
  'HELP', '    Print this help.',
];

// ---- CONFIG ------------------------------------------------------------------

const configGet: Handler = (c, argv, core) => {
  const found = new Map<string, string>();
  for (let i = 2; i < argv.length; i++) {
    const pat = argv[i].toLowerCase();
    for (const [name, p] of Object.entries(PARAMS)) {
      if (found.has(name)) continue;
      if (pat === name || globMatch(pat, name, true)) found.set(name, p.get(core));
    }
  }
  c.w.map(found.size);
  for (const [k, v] of found) {
    c.w.bulk(k);
    c.w.bulk(v);
  }
};

const configSet: Handler = (c, argv, core) => {
  if (argv.length % 2 === 1) throw new RespError("ERR wrong number of arguments for 'config|set' command");
  const seen = new Set<string>();
  const todo: [string, string][] = [];
  for (let i = 2; i < argv.length; i += 2) {
    const name = argv[i].toLowerCase();
    const p = PARAMS[name];
    if (!p) throw new RespError(`ERR Unknown option or number of arguments for CONFIG SET - '${argv[i]}'`);
    if (seen.has(name)) throw new RespError(`ERR CONFIG SET failed (possibly related to argument '${argv[i]}') - duplicate parameter`);
    seen.add(name);
    if (!p.set) throw new RespError(`ERR CONFIG SET failed (possibly related to argument '${argv[i]}') - can't set immutable config`);
    todo.push([name, argv[i + 1]]);
  }
  // Apply all, restoring the previous values if one fails (Redis applies CONFIG SET atomically).
  const old = todo.map(([n]) => PARAMS[n].get(core));
  for (let k = 0; k < todo.length; k++) {
    const [n, v] = todo[k];
    const err = (PARAMS[n].set as NonNullable<(typeof PARAMS)[string]['set']>)(core, v);
    if (err) {
      for (let r = k - 1; r >= 0; r--) PARAMS[todo[r][0]].set?.(core, old[r]);
      throw new RespError(`ERR CONFIG SET failed (possibly related to argument '${todo[k][0]}') - ${err}`);
    }
  }
  c.w.ok();
};

const configResetstat: Handler = (c, _argv, core) => {
  for (const k of Object.keys(core.stats) as (keyof typeof core.stats)[]) core.stats[k] = 0;
  core.store.stats.hits = 0;
  core.store.stats.misses = 0;
  core.store.stats.expiredKeys = 0;
  core.loopDelay?.reset();
  c.w.ok();
};

const CONFIG_HELP = [
  'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET <pattern>', '    Return parameters matching the glob-like <pattern> and their values.',
  'SET <directive> <value>', '    Set the configuration <directive> to <value>.',
  'RESETSTAT', '    Reset statistics reported by the INFO command.',
  'HELP', '    Print this help.',
];

// ---- INFO --------------------------------------------------------------------

function section(core: ServerCore, name: string): [string, string[]] | null {
  const now = Date.now();
  const st = core.store;
  switch (name) {
    case 'server': {
      const up = Math.floor((now - core.startTime) / 1000);
      return ['Server', [
        `redis_version:${REDIS_COMPAT_VERSION}`, `microcloud_version:${MICROCLOUD_VERSION}`, 'redis_mode:standalone',
        `os:${process.platform} ${process.arch}`, `process_id:${process.pid}`, `tcp_port:${core.port}`,
        `uptime_in_seconds:${up}`, `uptime_in_days:${Math.floor(up / 86400)}`, `hz:${core.cfg.hz}`,
        `executable:${process.execPath}`, `node_version:${process.versions.node}`,
        // event-loop delay since start or CONFIG RESETSTAT (ms): what a client may have waited on the server's thread
        `eventloop_delay_max_ms:${core.loopDelay ? (core.loopDelay.max / 1e6).toFixed(1) : 0}`,
        `eventloop_delay_p99_ms:${core.loopDelay ? (core.loopDelay.percentile(99) / 1e6).toFixed(1) : 0}`,
      ]];
    }
    case 'clients': {
      let pubsub = 0;
      for (const x of core.clients.values()) if (x.isPubSub) pubsub++;
      return ['Clients', [
        `connected_clients:${core.clients.size}`, `maxclients:${core.cfg.maxClients}`,
        `pubsub_clients:${pubsub}`, 'blocked_clients:0',
      ]];
    }
    case 'memory': {
      const m = process.memoryUsage();
      return ['Memory', [
        `used_memory:${m.heapUsed + m.external}`, `used_memory_rss:${m.rss}`, `used_memory_heap_total:${m.heapTotal}`,
        `used_memory_external:${m.external}`, 'maxmemory:0', 'maxmemory_policy:noeviction',
      ]];
    }
    case 'persistence':
      return ['Persistence', ['loading:0', 'async_loading:0', 'rdb_changes_since_last_save:' + st.dirty, 'aof_enabled:0']];
    case 'stats': {
      const s = core.stats;
      return ['Stats', [
        `total_connections_received:${s.connectionsReceived}`, `total_commands_processed:${s.commandsProcessed}`,
        `total_net_input_bytes:${s.netInput}`, `total_net_output_bytes:${s.netOutput}`,
        `rejected_connections:${s.rejectedConnections}`, `expired_keys:${st.stats.expiredKeys}`,
        `keyspace_hits:${st.stats.hits}`, `keyspace_misses:${st.stats.misses}`,
        `pubsub_channels:${core.pubsub.channels.size}`, `pubsub_patterns:${core.pubsub.numpat}`,
        `client_output_buffer_limit_disconnections:${s.outputBufferDisconnections}`,
        `client_query_buffer_limit_disconnections:${s.queryBufferDisconnections}`,
        `protected_mode_rejections:${s.protectedModeRejections}`,
        `total_error_replies:${s.errorReplies}`,
        `longest_command_run_ms:${s.longestRunMs.toFixed(1)}`,
      ]];
    }
    case 'replication':
      return ['Replication', ['role:master', 'connected_slaves:0']];
    case 'keyspace':
      return ['Keyspace', st.size ? [`db0:keys=${st.size},expires=${st.expires.size},avg_ttl=0`] : []];
    default: {
      const hook = core.infoHooks.get(name);
      if (!hook) return null;
      const r = hook();
      const lines = Array.isArray(r) ? r : Object.entries(r).map(([k, v]) => `${k}:${v}`);
      return [name[0].toUpperCase() + name.slice(1), lines];
    }
  }
}

const DEFAULT_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'keyspace'];

/** The INFO text for the given section names (none: the default sections plus the embedder's). */
export function infoText(core: ServerCore, names: string[]): string {
  let list: string[];
  const lower = names.map((n) => n.toLowerCase());
  if (lower.length === 0 || lower.includes('default') || lower.includes('all') || lower.includes('everything')) {
    list = [...DEFAULT_SECTIONS, ...core.infoHooks.keys()];
  } else list = lower;
  const parts: string[] = [];
  for (const n of [...new Set(list)]) {
    const s = section(core, n);
    if (s) parts.push(`# ${s[0]}\r\n` + s[1].map((l) => l + '\r\n').join(''));
  }
  return parts.join('\r\n');
}

const info: Handler = (c, argv, core) => c.w.verbatim(infoText(core, argv.slice(1)));

const dbsize: Handler = (c, _argv, core) => c.w.int(core.store.size);

const time: Handler = (c) => {
  const us = BigInt(Date.now()) * 1000n + BigInt(Math.floor((performance.now() % 1) * 1000));
  c.w.array(2);
  c.w.bulk(String(us / 1000000n));
  c.w.bulk(String(us % 1000000n));
};

const flush: Handler = (c, argv, core) => {
  if (argv.length > 2) throw new RespError(ERR_SYNTAX);
  if (argv.length === 2) {
    const m = argv[1].toLowerCase();
    if (m !== 'async' && m !== 'sync') throw new RespError(ERR_SYNTAX);
  }
  core.store.flush();
  c.w.ok();
};

export const serverCommands: Record<string, Handler> = {
  command, 'command|count': commandCount, 'command|info': commandInfoH, 'command|docs': commandDocsH,
  'command|help': (c) => helpReply(c, COMMAND_HELP),
  'config|get': configGet, 'config|set': configSet, 'config|resetstat': configResetstat,
  'config|help': (c) => helpReply(c, CONFIG_HELP),
  info, dbsize, time, flushdb: flush, flushall: flush,
};
