import type { KbOp } from './kb-updates';

/**
 * A write command a chained peer ran on this probe's server, as update ops
 * for this probe's own upstreams (DESIGN.md: a probe's upstream may be
 * another probe). The commands a probe replicates with map one to one;
 * EXPIRE is redone by each upstream link for the volatile keys it touches;
 * anything else (a person's FLUSHALL, say) stays local and returns [].
 */
export function opsFromCommand(argv: readonly string[]): KbOp[] {
  const name = argv[0].toLowerCase();
  const n = argv.length;
  const int = (s: string): number | null => (/^-?\d+$/.test(s) ? Number(s) : null);
  switch (name) {
    case 'hincrby': {
      const d = n === 4 ? int(argv[3]) : null;
      return d === null ? [] : [['hincrby', argv[1], argv[2], d]];
    }
    case 'zincrby': {
      const d = n === 4 ? Number(argv[2]) : NaN;
      return Number.isFinite(d) ? [['zincrby', argv[1], d, argv[3]]] : [];
    }
    case 'hset':
    case 'hmset': {
      const ops: KbOp[] = [];
      for (let i = 2; i + 1 < n; i += 2) ops.push(['hset', argv[1], argv[i], argv[i + 1]]);
      return ops;
    }
    case 'hsetnx':
      return n === 4 ? [['hsetnx', argv[1], argv[2], argv[3]]] : [];
    case 'set':
      // Only the plain form: options (EX, NX, GET ...) are not what probes send.
      return n === 3 ? [['set', argv[1], argv[2]]] : [];
    case 'del':
    case 'unlink':
      return argv.slice(1).map((key) => ['del', key] as KbOp);
    case 'hdel':
      return argv.slice(2).map((field) => ['hdel', argv[1], field] as KbOp);
    case 'publish':
      return n === 3 ? [['publish', argv[1], argv[2]]] : [];
    default:
      return [];
  }
}
