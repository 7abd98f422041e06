/**
 * Where things are: the repository root (found from this file's location, so
 * it works from test/corpus/*.ts and dist/test/corpus/*.js alike) and the
 * shared data folder (`../shared` next to the repo, or $MICROCLOUD_SHARED).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export function repoRoot(): string {
  let d = __dirname;
  for (;;) {
    const pkg = join(d, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'microcloud') return d;
      } catch {
        /* keep looking */
      }
    }
    const up = dirname(d);
    if (up === d) return resolve(__dirname, '..', '..');
    d = up;
  }
}

export function sharedDir(): string {
  const env = process.env.MICROCLOUD_SHARED;
  return env && env !== '' ? resolve(env) : resolve(repoRoot(), '..', 'shared');
}

export function ndpiPcapDir(): string {
  return join(sharedDir(), 'pcaps', 'ndpi', 'pcap');
}

export function ndpiResultDir(): string {
  return join(sharedDir(), 'pcaps', 'ndpi', 'result');
}

export function zeekDir(): string {
  return join(sharedDir(), 'pcaps', 'zeek');
}

/** The probe's entry point (compiled); $MICROCLOUD_PROBE_MAIN overrides it. */
export function probeMain(): string {
  const env = process.env.MICROCLOUD_PROBE_MAIN;
  return env && env !== '' ? resolve(env) : join(repoRoot(), 'dist', 'cli', 'main.js');
}
