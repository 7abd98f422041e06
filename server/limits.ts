// Limits and their defaults. Smaller than Redis's where a probe needs less:
// a 16 MB bulk and a 64 MB query buffer are far above any knowledge-base
// value, and keep what one misbehaving client can make us buffer small.

export const DEFAULTS = {
  maxClients: 10000,
  /** proto-max-bulk-len (Redis: 512 MB). */
  protoMaxBulkLen: 16 * 1024 * 1024,
  /** Most arguments in one request (Redis: INT_MAX). */
  maxMultibulkLen: 1024 * 1024,
  /** client-query-buffer-limit (Redis: 1 GB). */
  clientQueryBufferLimit: 64 * 1024 * 1024,
  /** client-output-buffer-limit pubsub: hard, soft bytes, soft seconds (as Redis). */
  pubsubHard: 32 * 1024 * 1024,
  pubsubSoft: 8 * 1024 * 1024,
  pubsubSoftSeconds: 60,
  /** Output backlog at which a normal client's input stops being read until its socket drains. */
  normalBacklog: 1024 * 1024,
  /** Idle timeout in seconds, 0 = none (Redis's `timeout`). */
  timeout: 0,
  hz: 10,
  /** Longest stretch one client's pipeline may run before yielding to the event loop (ms). */
  sliceMs: 10,
};

/** Redis's memtoull: "16mb", "1gb", "100k", "512" (k=1000, kb=1024). Null if invalid. */
export function parseMemory(s: string): number | null {
  const m = /^([0-9]+)(b|k|kb|m|mb|g|gb)?$/i.exec(s);
  if (!m) return null;
  const n = Number(m[1]);
  const u = (m[2] ?? 'b').toLowerCase();
  const mul: Record<string, number> = { b: 1, k: 1000, kb: 1024, m: 1e6, mb: 1024 * 1024, g: 1e9, gb: 1024 * 1024 * 1024 };
  const v = n * mul[u];
  return Number.isSafeInteger(v) ? v : null;
}
