/**
 * Minimal look at a capture file's header: format and link type, so corpus
 * reports can group differences by link layer (a decoder gap for one link
 * type shows up as every file of that type failing).
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

export interface CaptureInfo {
  format: 'pcap' | 'pcapng' | 'unknown';
  linkType: number | null;
  linkName: string;
}

const LINK_NAMES: Record<number, string> = {
  0: 'null',
  1: 'ethernet',
  9: 'ppp',
  101: 'raw',
  104: 'chdlc',
  105: 'ieee802.11',
  108: 'loop',
  113: 'linux-sll',
  127: 'radiotap',
  192: 'ppi',
  228: 'ipv4',
  229: 'ipv6',
  276: 'linux-sll2',
};

export function linkName(t: number | null): string {
  if (t === null) return 'unknown';
  return LINK_NAMES[t] ?? `linktype-${t}`;
}

export function captureInfo(path: string): CaptureInfo {
  const buf = Buffer.alloc(4096);
  let n = 0;
  const fd = openSync(path, 'r');
  try {
    n = readSync(fd, buf, 0, buf.length, 0);
  } finally {
    closeSync(fd);
  }
  if (n < 24) return { format: 'unknown', linkType: null, linkName: 'unknown' };
  const magic = buf.readUInt32LE(0);
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) {
    const t = buf.readUInt32LE(20) & 0xffff;
    return { format: 'pcap', linkType: t, linkName: linkName(t) };
  }
  if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) {
    const t = buf.readUInt32BE(20) & 0xffff;
    return { format: 'pcap', linkType: t, linkName: linkName(t) };
  }
  if (magic === 0x0a0d0d0a) {
    const le = buf.readUInt32LE(8) === 0x1a2b3c4d;
    const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
    const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
    let off = u32(4);
    while (off + 12 <= n) {
      const type = u32(off);
      const len = u32(off + 4);
      if (len < 12) break;
      if (type === 1) {
        const t = u16(off + 8);
        return { format: 'pcapng', linkType: t, linkName: linkName(t) };
      }
      off += len;
    }
    return { format: 'pcapng', linkType: null, linkName: 'unknown' };
  }
  return { format: 'unknown', linkType: null, linkName: 'not-a-capture' };
}

export interface CaptureScan {
  packets: number;
  /** Packets whose captured length is shorter than the original length. */
  truncated: number;
  /** Sum of original minus captured lengths. */
  missingBytes: number;
}

/**
 * Counts packets and frames stored shorter than on the wire (snap length,
 * trimmed FCS). nDPI counts captured bytes where we count original length, so
 * such frames explain byte differences. Classic pcap and pcapng (EPB/SPB/OPB).
 */
export function scanCapture(path: string): CaptureScan {
  const buf = readFileSync(path);
  const res: CaptureScan = { packets: 0, truncated: 0, missingBytes: 0 };
  if (buf.length < 24) return res;
  const magic = buf.readUInt32LE(0);
  const count = (cap: number, orig: number) => {
    res.packets++;
    if (orig > cap) {
      res.truncated++;
      res.missingBytes += orig - cap;
    }
  };
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d || magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) {
    const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
    const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
    let off = 24;
    while (off + 16 <= buf.length) {
      const cap = u32(off + 8);
      const orig = u32(off + 12);
      off += 16 + cap;
      if (off > buf.length) break;
      count(cap, orig);
    }
    return res;
  }
  if (magic === 0x0a0d0d0a) {
    let off = 0;
    let le = true;
    while (off + 12 <= buf.length) {
      let type = buf.readUInt32LE(off);
      if (type === 0x0a0d0d0a) le = buf.readUInt32LE(off + 8) === 0x1a2b3c4d;
      const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
      type = u32(off);
      const len = u32(off + 4);
      if (len < 12 || off + len > buf.length) break;
      if (type === 6 && len >= 32) count(u32(off + 20), u32(off + 24));
      else if (type === 2 && len >= 28) count(u32(off + 20), u32(off + 24));
      else if (type === 3 && len >= 16) count(len - 16, u32(off + 8));
      off += len;
    }
  }
  return res;
}
