// Low-level byte helpers shared by every builder: integer fields, address
// parsing, and the two checksums the builders need. Kept free of protocol
// knowledge so each protocol module reads like its RFC.

export function u8(v: number): Buffer {
  return Buffer.from([v & 0xff]);
}

export function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v & 0xffff);
  return b;
}

export function u24(v: number): Buffer {
  const b = Buffer.alloc(3);
  b.writeUIntBE(v & 0xffffff, 0, 3);
  return b;
}

export function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}

export function cat(...parts: Buffer[]): Buffer {
  return Buffer.concat(parts);
}

/** Zero bytes so that `len` becomes a multiple of `align`. */
export function padTo(len: number, align: number): Buffer {
  return Buffer.alloc((align - (len % align)) % align);
}

export function ipv4Bytes(addr: string): Buffer {
  const parts = addr.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`bad IPv4 address: ${addr}`);
  }
  return Buffer.from(parts);
}

export function ipv6Bytes(addr: string): Buffer {
  // Expand "::" then parse eight 16-bit groups (an embedded dotted quad is allowed at the end).
  let text = addr;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4Bytes(dotted[1]);
    text = text.slice(0, dotted.index) + `${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) throw new Error(`bad IPv6 address: ${addr}`);
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) throw new Error(`bad IPv6 address: ${addr}`);
  const groups = [...head, ...Array<string>(missing).fill('0'), ...tail];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new Error(`bad IPv6 address: ${addr}`);
    b.writeUInt16BE(parseInt(g, 16), i * 2);
  });
  return b;
}

export function isIpv6(addr: string): boolean {
  return addr.includes(':');
}

export function ipBytes(addr: string): Buffer {
  return isIpv6(addr) ? ipv6Bytes(addr) : ipv4Bytes(addr);
}

export function macBytes(mac: string): Buffer {
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new Error(`bad MAC: ${mac}`);
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

/** RFC 1071 one's-complement sum, folded and complemented. */
export function internetChecksum(...parts: Buffer[]): number {
  let sum = 0;
  let odd: number | undefined; // a trailing byte carried into the next part
  for (const part of parts) {
    let i = 0;
    if (odd !== undefined && part.length > 0) {
      sum += (odd << 8) | part[0];
      odd = undefined;
      i = 1;
    }
    for (; i + 1 < part.length; i += 2) sum += (part[i] << 8) | part[i + 1];
    if (i < part.length) odd = part[i];
  }
  if (odd !== undefined) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

// CRC32c (Castagnoli), reflected polynomial 0x82F63B78, as SCTP requires (RFC 4960 appendix B).
const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32c(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC32C_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** TBCD (3GPP TS 29.002): two digits per byte, low nibble first, odd count padded with 0xF. */
export function tbcd(digits: string): Buffer {
  if (!/^[0-9]*$/.test(digits)) throw new Error(`TBCD needs decimal digits: ${digits}`);
  const b = Buffer.alloc(Math.ceil(digits.length / 2));
  for (let i = 0; i < digits.length; i += 2) {
    const lo = Number(digits[i]);
    const hi = i + 1 < digits.length ? Number(digits[i + 1]) : 0xf;
    b[i / 2] = (hi << 4) | lo;
  }
  return b;
}

/** MCC/MNC as 3GPP packs them (TS 24.008 10.5.1.3): 3 bytes, 0xF filler for a 2-digit MNC. */
export function plmn(mcc: string, mnc: string): Buffer {
  if (!/^\d{3}$/.test(mcc) || !/^\d{2,3}$/.test(mnc)) throw new Error(`bad PLMN ${mcc}/${mnc}`);
  const d = (s: string, i: number) => Number(s[i]);
  const mnc3 = mnc.length === 3 ? d(mnc, 2) : 0xf;
  return Buffer.from([(d(mcc, 1) << 4) | d(mcc, 0), (mnc3 << 4) | d(mcc, 2), (d(mnc, 1) << 4) | d(mnc, 0)]);
}

/** DNS-style label encoding, also used by 3GPP APNs (without the terminating zero there). */
export function labels(name: string): Buffer {
  const parts = name.split('.').filter((p) => p.length > 0);
  return Buffer.concat(parts.map((p) => Buffer.concat([u8(p.length), Buffer.from(p, 'ascii')])));
}
