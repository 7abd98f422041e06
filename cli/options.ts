import { InvalidArgumentError } from 'commander';
import { DECAP_NAMES } from '../capture/decoder';

/** Option value parsers: a bad value is a one-line error naming the option's rule. */

export function collect(value: string, previous: string[]): string[] {
  return previous.concat([value]);
}

export function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a non-negative integer');
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('number too large');
  return n;
}

export function positiveInt(value: string): number {
  const n = nonNegativeInt(value);
  if (n === 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function port(value: string): number {
  const n = nonNegativeInt(value);
  if (n > 65535) throw new InvalidArgumentError('expected a port number 0-65535');
  return n;
}

export function uint32(value: string): number {
  const n = nonNegativeInt(value);
  if (n > 0xffffffff) throw new InvalidArgumentError('expected an integer 0-4294967295');
  return n;
}

/** An MTU an export packet (IP and UDP headers, an IPFIX header, one set) fits in. */
export function mtu(value: string): number {
  const n = nonNegativeInt(value);
  if (n < 576 || n > 65535) throw new InvalidArgumentError('expected an MTU of 576-65535 bytes');
  return n;
}

/** libpcap snapshot length: at least an Ethernet + IPv6 + TCP header, at most libpcap's maximum. */
export function snaplen(value: string): number {
  const n = nonNegativeInt(value);
  if (n < 96 || n > 262_144) throw new InvalidArgumentError('expected 96-262144 bytes');
  return n;
}

/** Seconds, fractions allowed (e.g. 0.5). */
export function seconds(value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new InvalidArgumentError('expected a number of seconds');
  return Number(value);
}

/** A comma-separated list of tunnel names, "all" or "none", to a Decap bit mask. */
export function decapList(value: string): number {
  if (value === 'all') return Object.values(DECAP_NAMES).reduce((a, b) => a | b, 0);
  if (value === 'none') return 0;
  let mask = 0;
  for (const name of value.split(',')) {
    const bit = DECAP_NAMES[name.trim()];
    if (bit === undefined) throw new InvalidArgumentError(`unknown tunnel "${name}" (known: ${Object.keys(DECAP_NAMES).join(', ')}, all, none)`);
    mask |= bit;
  }
  return mask;
}

/** Pipeline worker threads: 0 (the main thread) up to 64. */
export function workerCount(value: string): number {
  const n = nonNegativeInt(value);
  if (n > 64) throw new InvalidArgumentError('expected 0-64');
  return n;
}
