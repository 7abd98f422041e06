/**
 * Knowledge-base updates as explicit, serialisable messages (DESIGN.md: the
 * packet pipeline talks to the store only through batched updates). A batch
 * is a flat array of tuples: cheap to build, structured-clone friendly for a
 * worker_thread's postMessage, and the same stream the upstream replication
 * will send as Redis commands.
 */
export type KbOp =
  /** HINCRBY key field delta */
  | readonly ['hincrby', string, string, number]
  /** HSET key field value */
  | readonly ['hset', string, string, string | number]
  /** HSETNX key field value: first-seen style fields */
  | readonly ['hsetnx', string, string, string | number]
  /** ZINCRBY key delta member */
  | readonly ['zincrby', string, number, string]
  /** SET key value */
  | readonly ['set', string, string | number]
  /** HDEL key field */
  | readonly ['hdel', string, string]
  /** DEL key */
  | readonly ['del', string]
  /** PUBLISH channel message */
  | readonly ['publish', string, string];

/**
 * How a key lives: volatile keys get the host TTL refreshed by every update,
 * persistent ones never expire by time, local ones (flow.*, stats.*) stay on
 * this probe and are not replicated.
 */
export const enum KeyClass {
  Volatile = 0,
  Persistent = 1,
  Local = 2,
}

export function keyClass(key: string): KeyClass {
  // probe.<name>.* are a probe's own bookkeeping (the upstream batch tag): never passed on.
  if (key.startsWith('flow.') || key.startsWith('stats.') || key.startsWith('probe.')) return KeyClass.Local;
  if (key.startsWith('user.') || key.startsWith('ipuser.') || key.startsWith('gtp.')) return KeyClass.Persistent;
  return KeyClass.Volatile;
}

export interface KbBatch {
  /** Packet time (µs) the batch describes: the probe's clock for files. */
  timeUs: number;
  ops: KbOp[];
}
