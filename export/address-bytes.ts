/**
 * The reverse of address-text.ts for export: canonical address text back to
 * network-order bytes, written into a buffer. The text comes from our own
 * records, but a malformed string still writes zeros rather than throwing.
 */

export function writeIpv4Text(text: string, buf: Buffer, pos: number): void {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46;
    if (c === 46) {
      if (part > 3 || digits === 0 || value > 255) break;
      buf[pos + part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      digits++;
    } else {
      break;
    }
  }
  if (part !== 4) buf.fill(0, pos, pos + 4);
}

/** RFC 4291 2.2 text forms: hex groups, one "::", an IPv4 tail. */
export function writeIpv6Text(text: string, buf: Buffer, pos: number): void {
  buf.fill(0, pos, pos + 16);
  const gap = text.indexOf('::');
  const head = gap < 0 ? text : text.slice(0, gap);
  const tail = gap < 0 ? '' : text.slice(gap + 2);
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const bytes: number[] = [];
  const groupsToBytes = (groups: string[], out: number[]): boolean => {
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i];
      if (i === groups.length - 1 && g.indexOf('.') >= 0) {
        const v4 = Buffer.alloc(4);
        writeIpv4Text(g, v4, 0);
        out.push(v4[0], v4[1], v4[2], v4[3]);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false;
      const n = parseInt(g, 16);
      out.push(n >> 8, n & 255);
    }
    return true;
  };
  const tailBytes: number[] = [];
  if (!groupsToBytes(headGroups, bytes) || !groupsToBytes(tailGroups, tailBytes)) return;
  if (gap < 0 ? bytes.length !== 16 : bytes.length + tailBytes.length > 14) return;
  for (let i = 0; i < bytes.length; i++) buf[pos + i] = bytes[i];
  for (let i = 0; i < tailBytes.length; i++) buf[pos + 16 - tailBytes.length + i] = tailBytes[i];
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** "aa:bb:cc:dd:ee:ff" (exactly that form, as macText writes it); anything else writes zeros. */
export function writeMacText(text: string, buf: Buffer, pos: number): void {
  if (text.length === 17) {
    let i = 0;
    for (; i < 6; i++) {
      const hi = hexDigit(text.charCodeAt(i * 3));
      const lo = hexDigit(text.charCodeAt(i * 3 + 1));
      if (hi < 0 || lo < 0 || (i < 5 && text.charCodeAt(i * 3 + 2) !== 58)) break;
      buf[pos + i] = (hi << 4) | lo;
    }
    if (i === 6) return;
  }
  buf.fill(0, pos, pos + 6);
}
