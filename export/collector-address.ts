/** Where flows are exported: `HOST:PORT` (UDP), `udp://HOST:PORT`, `tcp://HOST:PORT` (IPFIX only); IPv6 as `[ADDR]:PORT`. */
export interface CollectorAddress {
  transport: 'udp' | 'tcp';
  host: string;
  port: number;
  /** As given, for messages. */
  text: string;
}

export class CollectorAddressError extends Error {}

export function parseCollectorAddress(text: string): CollectorAddress {
  let rest = text.trim();
  let transport: 'udp' | 'tcp' = 'udp';
  const scheme = /^([a-z]+):\/\//i.exec(rest);
  if (scheme !== null) {
    const s = scheme[1].toLowerCase();
    if (s !== 'udp' && s !== 'tcp') throw new CollectorAddressError(`collector "${text}": unknown transport "${s}" (udp or tcp)`);
    transport = s;
    rest = rest.slice(scheme[0].length);
  }
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(rest) ?? /^([^:\s/[\]]+):(\d+)$/.exec(rest);
  if (m === null) throw new CollectorAddressError(`collector "${text}": expected HOST:PORT, udp://HOST:PORT or tcp://HOST:PORT ([ADDR]:PORT for IPv6)`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new CollectorAddressError(`collector "${text}": port must be 1-65535`);
  return { transport, host: m[1], port, text };
}
