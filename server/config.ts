// CONFIG GET/SET parameters: only what this server has and honours.
import type { ServerCore } from './core';
import { notifyFlagsToString, parseNotifyFlags } from './store';
import { parseMemory } from './limits';

export interface Param {
  get(core: ServerCore): string;
  /** Applies a value; returns an error text (after "... - ") or null. Absent: immutable. */
  set?(core: ServerCore, v: string): string | null;
}

const INT_MAX = 2147483647;

function intParam(get: (c: ServerCore) => number, put: (c: ServerCore, v: number) => void, min: number, max: number): Param {
  return {
    get: (c) => String(get(c)),
    set: (c, s) => {
      if (!/^-?[0-9]+$/.test(s)) return "argument couldn't be parsed into an integer";
      const v = Number(s);
      if (v < min || v > max) return `argument must be between ${min} and ${max} inclusive`;
      put(c, v);
      return null;
    },
  };
}

function memParam(get: (c: ServerCore) => number, put: (c: ServerCore, v: number) => void, min: number): Param {
  return {
    get: (c) => String(get(c)),
    set: (c, s) => {
      const v = parseMemory(s);
      if (v === null) return 'argument must be a memory value';
      if (v < min) return `argument must be between ${min} and 9223372036854775807 inclusive`;
      put(c, v);
      return null;
    },
  };
}

function ro(v: (c: ServerCore) => string): Param {
  return { get: v };
}

export const PARAMS: Record<string, Param> = {
  maxclients: intParam((c) => c.cfg.maxClients, (c, v) => { c.cfg.maxClients = v; }, 1, INT_MAX),
  timeout: intParam((c) => c.cfg.timeout, (c, v) => { c.cfg.timeout = v; }, 0, INT_MAX),
  hz: intParam((c) => c.cfg.hz, (c, v) => { c.cfg.hz = Math.min(500, Math.max(1, v)); }, -INT_MAX - 1, INT_MAX),
  'proto-max-bulk-len': memParam((c) => c.cfg.protoMaxBulkLen, (c, v) => { c.cfg.protoMaxBulkLen = v; c.applyParserLimits(); }, 1024 * 1024),
  'client-query-buffer-limit': memParam((c) => c.cfg.clientQueryBufferLimit, (c, v) => { c.cfg.clientQueryBufferLimit = v; }, 1024 * 1024),
  'protected-mode': {
    get: (c) => (c.cfg.protectedMode ? 'yes' : 'no'),
    set: (c, s) => {
      const v = s.toLowerCase();
      if (v !== 'yes' && v !== 'no') return "argument must be 'yes' or 'no'";
      c.cfg.protectedMode = v === 'yes';
      return null;
    },
  },
  'notify-keyspace-events': {
    get: (c) => notifyFlagsToString(c.store.notifyFlags),
    set: (c, s) => {
      const f = parseNotifyFlags(s);
      if (f === null) return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
      c.store.notifyFlags = f;
      return null;
    },
  },
  requirepass: {
    get: (c) => c.acl.requirePass,
    set: (c, s) => {
      c.acl.requirePass = s;
      c.acl.setRequirePass(s);
      return null;
    },
  },
  'client-output-buffer-limit': {
    get: (c) => `normal 0 0 0 slave 268435456 67108864 60 pubsub ${c.cfg.pubsubHard} ${c.cfg.pubsubSoft} ${c.cfg.pubsubSoftSeconds}`,
    set: (c, s) => {
      const parts = s.split(/\s+/).filter((x) => x);
      if (parts.length % 4 !== 0 || parts.length === 0) return 'Wrong number of arguments in buffer limit configuration.';
      for (let i = 0; i < parts.length; i += 4) {
        const cls = parts[i].toLowerCase();
        if (!['normal', 'slave', 'replica', 'pubsub'].includes(cls)) return 'Invalid client class specified in buffer limit configuration.';
        const hard = parseMemory(parts[i + 1]), soft = parseMemory(parts[i + 2]), secs = /^[0-9]+$/.test(parts[i + 3]) ? Number(parts[i + 3]) : null;
        if (hard === null || soft === null || secs === null) return 'Error in hard, soft or soft_seconds setting in buffer limit configuration.';
        if (cls === 'pubsub') {
          c.cfg.pubsubHard = hard;
          c.cfg.pubsubSoft = soft;
          c.cfg.pubsubSoftSeconds = secs;
        }
      }
      return null;
    },
  },
  port: ro((c) => String(c.port)),
  bind: ro((c) => c.bind.join(' ')),
  unixsocket: ro((c) => c.socketPath ?? ''),
  databases: ro(() => '1'),
  save: ro(() => ''),
  appendonly: ro(() => 'no'),
  maxmemory: ro(() => '0'),
};
