/**
 * Canonical text forms, made only when a record or key is emitted:
 * IPv4 dotted quad, IPv6 per RFC 5952 (longest zero run compressed, lower
 * case, IPv4-mapped addresses in mixed notation), MAC lower-case colon form.
 */

export function ipv4Text(word: number): string {
  return `${word >>> 24}.${(word >>> 16) & 255}.${(word >>> 8) & 255}.${word & 255}`;
}

export function ipv6Text(w0: number, w1: number, w2: number, w3: number): string {
  const g = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  if (w0 === 0 && w1 === 0 && w2 === 0xffff) return `::ffff:${ipv4Text(w3)}`;
  // RFC 5952 4.2: compress the longest run of two or more zero groups, the first if tied.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (from: number, to: number): string => g.slice(from, to).map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

/** Address words (4 per address, IPv4 in the last) at a[o..o+3]. */
export function addressText(version: number, a: ArrayLike<number>, o: number): string {
  return version === 4 ? ipv4Text(a[o + 3]) : ipv6Text(a[o], a[o + 1], a[o + 2], a[o + 3]);
}

export function macText(hi: number, lo: number): string {
  const bytes = [hi >>> 8, hi & 255, lo >>> 24, (lo >>> 16) & 255, (lo >>> 8) & 255, lo & 255];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
