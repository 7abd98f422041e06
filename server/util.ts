// Number parsing/formatting as Redis does it, glob matching (stringmatchlen),
// and the latin1 "byte string" helpers used across the server.

/** Largest and smallest int64 as BigInt. */
const I64_MAX = 9223372036854775807n;
const I64_MIN = -9223372036854775808n;
const INT_RE = /^-?[1-9][0-9]*$/;

/**
 * Redis's string2ll: a strict base-10 int64 (no '+', no leading zeros, no
 * spaces). Returns a number when it is a safe integer, a bigint otherwise, or
 * null when the text is not an int64.
 */
export function parseInt64(s: string): number | bigint | null {
  const n = s.length;
  if (n === 0 || n > 20) return null;
  if (s === '0') return 0;
  if (!INT_RE.test(s)) return null;
  if (n <= 15) return Number(s);
  const b = BigInt(s);
  if (b > I64_MAX || b < I64_MIN) return null;
  const v = Number(b);
  return Number.isSafeInteger(v) ? v : b;
}

/** Like parseInt64 but forces a JS number (for counts, offsets, timeouts); null if not an int64. */
export function parseIntNum(s: string): number | null {
  const v = parseInt64(s);
  if (v === null) return null;
  return typeof v === 'bigint' ? Number(v) : v;
}

/** Adds two int64s; returns null on overflow. Result is a number when safe. */
export function addInt64(a: number | bigint, b: number | bigint): number | bigint | null {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a + b;
    if (Number.isSafeInteger(r)) return r;
  }
  const r = BigInt(a) + BigInt(b);
  if (r > I64_MAX || r < I64_MIN) return null;
  const v = Number(r);
  return Number.isSafeInteger(v) ? v : r;
}

const FLOAT_RE = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;
const INF_RE = /^[+-]?inf(inity)?$/i;

/**
 * strtod as Redis uses it for scores: the whole text must be a float, no
 * leading space, no NaN, no overflow to infinity (except the literal "inf").
 */
export function parseFloatStrict(s: string): number | null {
  if (FLOAT_RE.test(s)) {
    const v = Number(s);
    if (!Number.isFinite(v)) return null; // ERANGE (overflow)
    if (v === 0 && /[1-9]/.test(s.split(/[eE]/)[0])) return null; // ERANGE (underflow)
    return v;
  }
  if (INF_RE.test(s)) return s[0] === '-' ? -Infinity : Infinity;
  return null;
}

/** printf("%.17g") as Redis 7.0 uses for doubles in replies. */
export function fmtDouble(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  if (Number.isSafeInteger(d)) return String(d);
  const e = d.toExponential(16);
  const ei = e.indexOf('e');
  const exp = parseInt(e.slice(ei + 1), 10);
  if (exp < -4 || exp >= 17) {
    let m = e.slice(0, ei);
    if (m.includes('.')) m = m.replace(/0+$/, '').replace(/\.$/, '');
    const ae = Math.abs(exp);
    return m + 'e' + (exp < 0 ? '-' : '+') + (ae < 10 ? '0' + ae : String(ae));
  }
  let f = d.toFixed(16 - exp);
  if (f.includes('.')) f = f.replace(/0+$/, '').replace(/\.$/, '');
  return f;
}

/**
 * Redis's ld2string(LD_STR_HUMAN) for INCRBYFLOAT/HINCRBYFLOAT: "%.17Lf" with
 * trailing zeros removed. Redis computes in 80-bit long double, so small
 * decimal sums come out exact ("0.1"+"0.2" gives "0.3"); we compute in double
 * and round to 15 significant digits, which gives the same text for the
 * values people use (documented difference for >15 significant digits).
 */
export function fmtLongDouble(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  let v = Number(d.toPrecision(15));
  if (Object.is(v, -0) || v === 0) return '0';
  const s = String(v);
  if (!s.includes('e')) return s;
  return v.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 17 });
}

/**
 * Redis's stringmatchlen(): glob-style matching with * ? [abc] [^a] [a-z] and
 * backslash escapes. Operates on byte strings.
 */
export function globMatch(p: string, s: string, nocase = false): boolean {
  return matchAt(p, 0, s, 0, nocase, 0, { skip: false });
}

function lc(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

function matchAt(p: string, pi: number, s: string, si: number, nocase: boolean, depth: number, st: { skip: boolean }): boolean {
  const pl = p.length;
  const sl = s.length;
  if (depth > 1000) return false;
  while (pi < pl && si < sl) {
    const pc = p.charCodeAt(pi);
    switch (pc) {
      case 42: { // '*'
        while (pi + 1 < pl && p.charCodeAt(pi + 1) === 42) pi++;
        if (pi + 1 === pl) return true;
        for (let k = si; k < sl; k++) {
          if (matchAt(p, pi + 1, s, k, nocase, depth + 1, st)) return true;
          if (st.skip) return false; // a longer match cannot succeed either (Redis's skipLongerMatches)
        }
        st.skip = true;
        return false;
      }
      case 63: // '?'
        si++;
        break;
      case 91: { // '['
        pi++;
        const not = p.charCodeAt(pi) === 94; // '^'
        if (not) pi++;
        let match = false;
        const sc = s.charCodeAt(si);
        for (;;) {
          if (pi >= pl) { pi--; break; }
          const c = p.charCodeAt(pi);
          if (c === 92 && pi + 2 <= pl - 1 + 1 && pi + 1 < pl) { // '\\'
            pi++;
            if (p.charCodeAt(pi) === sc) match = true;
          } else if (c === 93) { // ']'
            break;
          } else if (pi + 2 < pl && p.charCodeAt(pi + 1) === 45) { // range a-b
            let start = c;
            let end = p.charCodeAt(pi + 2);
            let cc = sc;
            if (start > end) { const t = start; start = end; end = t; }
            if (nocase) { start = lc(start); end = lc(end); cc = lc(cc); }
            pi += 2;
            if (cc >= start && cc <= end) match = true;
          } else if (nocase ? lc(c) === lc(sc) : c === sc) {
            match = true;
          }
          pi++;
        }
        if (not) match = !match;
        if (!match) return false;
        si++;
        break;
      }
      default: {
        if (pc === 92 && pi + 1 < pl) pi++; // '\\' escapes the next pattern char
        const a = p.charCodeAt(pi);
        const b = s.charCodeAt(si);
        if (nocase ? lc(a) !== lc(b) : a !== b) return false;
        si++;
        break;
      }
    }
    pi++;
    if (si === sl) {
      while (pi < pl && p.charCodeAt(pi) === 42) pi++;
      break;
    }
  }
  return pi === pl && si === sl;
}

/** True for byte strings that are plain ASCII (fast path of the UTF-8 conversions). */
const NON_ASCII = /[^\x00-\x7f]/;

/** A JS (UTF-16) string to the server's internal byte string (UTF-8 bytes, one char per byte). */
export function toBytes(s: string): string {
  return NON_ASCII.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s;
}

/** The server's internal byte string back to a JS string (decoding UTF-8). */
export function fromBytes(s: string): string {
  return NON_ASCII.test(s) ? Buffer.from(s, 'latin1').toString('utf8') : s;
}

// ---- 80-bit long double emulation for INCRBYFLOAT / HINCRBYFLOAT ----------
// Redis parses both operands with strtold, adds them in x87 long double (64-bit
// mantissa) and prints "%.17Lf" with trailing zeros removed. Doubles would
// print e.g. 1005.6 where Redis prints 1005.59999999999999998, so the sum is
// done exactly here with BigInt: each operand rounded to a 64-bit mantissa,
// the sum rounded again, then formatted with 17 decimals (round half even).

interface LD { m: bigint; e: number } // value = m * 2^e, |m| < 2^64

function bitLen(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** Rounds num/den (num >= 0, den > 0) to the nearest integer, ties to even. */
function divRound(num: bigint, den: bigint): bigint {
  const q = num / den;
  const r2 = (num % den) * 2n;
  if (r2 > den || (r2 === den && (q & 1n) === 1n)) return q + 1n;
  return q;
}

/** Normalises sign * num/den * 2^e to a 64-bit mantissa. */
function ldFromRational(neg: boolean, num: bigint, den: bigint): LD {
  if (num === 0n) return { m: 0n, e: 0 };
  // choose e so that 2^63 <= num/den / 2^e < 2^64
  let e = bitLen(num) - bitLen(den) - 64;
  for (;;) {
    const n = e >= 0 ? num : num << BigInt(-e);
    const d = e >= 0 ? den << BigInt(e) : den;
    const m = divRound(n, d);
    if (m >= 1n << 64n) { e++; continue; }
    if (m < 1n << 63n) { e--; continue; }
    return { m: neg ? -m : m, e };
  }
}

function ldParse(s: string): LD {
  const mt = /^([+-]?)([0-9]*)\.?([0-9]*)(?:[eE]([+-]?[0-9]+))?$/.exec(s);
  if (!mt) throw new Error('bad number');
  const neg = mt[1] === '-';
  const digits = (mt[2] + mt[3]).replace(/^0+/, '') || '0';
  let exp = (mt[4] ? parseInt(mt[4], 10) : 0) - mt[3].length;
  let num = BigInt(digits);
  let den = 1n;
  if (exp >= 0) num *= 10n ** BigInt(exp);
  else den = 10n ** BigInt(-exp);
  exp = 0;
  return ldFromRational(neg, num, den);
}

function ldAdd(a: LD, b: LD): LD {
  const e = Math.min(a.e, b.e);
  const s = (a.m << BigInt(a.e - e)) + (b.m << BigInt(b.e - e));
  const neg = s < 0n;
  const abs = neg ? -s : s;
  return e >= 0 ? ldFromRational(neg, abs << BigInt(e), 1n) : ldFromRational(neg, abs, 1n << BigInt(-e));
}

function ldFormat(v: LD): string {
  const neg = v.m < 0n;
  const m = neg ? -v.m : v.m;
  const scale = 10n ** 17n;
  const q = v.e >= 0 ? (m << BigInt(v.e)) * scale : divRound(m * scale, 1n << BigInt(-v.e));
  let s = q.toString().padStart(18, '0');
  s = s.slice(0, -17) + '.' + s.slice(-17);
  s = s.replace(/0+$/, '').replace(/\.$/, '');
  if (s === '0' || s === '-0') return '0';
  return (neg ? '-' : '') + s;
}

/** Redis's INCRBYFLOAT result text for current + increment (both already validated finite decimal texts). */
export function ldAddText(cur: string, incr: string): string {
  return ldFormat(ldAdd(ldParse(cur), ldParse(incr)));
}
