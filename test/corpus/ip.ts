/**
 * Address normalisation shared by the corpus parsers: IPv6 text to RFC 5952
 * form (lower case, longest run of two or more zero groups compressed, first
 * run on a tie, no leading zeros). IPv4-mapped and other embedded-IPv4 forms
 * are written in plain hex groups, like the WHATWG URL serialiser does: what
 * matters here is that both sides of a comparison go through this function.
 */

/** Parses IPv6 text (optionally bracketed, optional %zone) to 8 groups, or null. */
export function parseIPv6(text: string): number[] | null {
  let s = text.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  if (s.length === 0 || !s.includes(':')) return null;
  // Embedded IPv4 in the last 32 bits: rewrite it as two hex groups.
  const lastColon = s.lastIndexOf(':');
  const last = s.slice(lastColon + 1);
  if (last.includes('.')) {
    const v4 = parseIPv4(last);
    if (v4 === null) return null;
    const hi = ((v4[0] << 8) | v4[1]).toString(16);
    const lo = ((v4[2] << 8) | v4[3]).toString(16);
    s = s.slice(0, lastColon + 1) + hi + ':' + lo;
  }
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return null;
  const parseGroups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  let groups: number[];
  const want = 8;
  if (dbl >= 0) {
    const head = parseGroups(s.slice(0, dbl));
    const rest = parseGroups(s.slice(dbl + 2));
    if (head === null || rest === null) return null;
    const fill = want - head.length - rest.length;
    if (fill < 1) return null;
    groups = [...head, ...new Array<number>(fill).fill(0), ...rest];
  } else {
    const all = parseGroups(s);
    if (all === null) return null;
    groups = all;
  }
  return groups.length === 8 ? groups : null;
}

export function parseIPv4(text: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text.trim());
  if (!m) return null;
  const b = m.slice(1, 5).map(Number);
  return b.every((x) => x <= 255) ? b : null;
}

/** RFC 5952 text of 8 groups. */
export function formatIPv6(groups: number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return hex.slice(0, bestStart).join(':') + '::' + hex.slice(bestStart + bestLen).join(':');
}

/** Canonical text for an IPv4 or IPv6 address; unparseable text is returned lower-cased. */
export function normalizeIp(text: string): string {
  const t = text.trim();
  const v4 = parseIPv4(t);
  if (v4) return v4.join('.');
  const v6 = parseIPv6(t);
  if (v6) return formatIPv6(v6);
  return t.toLowerCase();
}

export function isIPv6(text: string): boolean {
  return text.includes(':');
}
