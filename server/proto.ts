// The request parser: RESP multibulk and inline commands, incremental, with
// Redis's limits and exact protocol-error texts (networking.c
// processMultibulkBuffer / processInlineBuffer). redis-parser is a *reply*
// parser: it accepts any RESP type inside a request, buffers whatever bulk
// length is declared and knows no inline commands, so requests are parsed
// here. A declared bulk larger than the limit is refused from its header,
// before any of it is buffered.

/** Redis's PROTO_INLINE_MAX_SIZE. */
export const INLINE_MAX = 64 * 1024;
const INT_MAX = 2147483647;
const CR = 13;
const LF = 10;

export interface ParserLimits {
  /** proto-max-bulk-len: largest bulk argument accepted. */
  maxBulkLen: number;
  /** Largest number of arguments in one multibulk request. */
  maxMultibulkLen: number;
}

export interface ProtocolError {
  error: string;
}

/** Result of next(): a command's argv, null (need more data) or a protocol error (the connection must close). */
export type ParseResult = string[] | null | ProtocolError;

/** Redis's string2ll restricted to what request headers need; NaN when invalid. */
function headerInt(buf: Buffer, start: number, end: number): number {
  const n = end - start;
  if (n <= 0 || n > 20) return NaN;
  let i = start;
  let neg = false;
  if (buf[i] === 45) { // '-'
    neg = true;
    i++;
    if (i === end) return NaN;
  }
  if (buf[i] === 48) return (i + 1 === end && !neg) ? 0 : NaN; // leading zeros and "-0" refused
  let v = 0;
  for (; i < end; i++) {
    const c = buf[i] - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  if (v > 9223372036854775807) return NaN; // overflow of int64 (approximate at the limit; harmless: larger than any limit)
  return neg ? -v : v;
}

/** Finds '\r' (or another byte) as C's strchr would: a NUL byte ends the search. */
function strchr(buf: Buffer, from: number, byte: number): number {
  const i = buf.indexOf(byte, from);
  if (i < 0) return -1;
  for (let k = from; k < i; k++) if (buf[k] === 0) return -1; // header lines are short: scan only up to the match
  return i;
}

export class RequestParser {
  private qb: Buffer = Buffer.alloc(0);
  private pos = 0;
  private reqtype = 0; // 0 unknown, 1 multibulk, 2 inline
  private multibulklen = 0;
  private bulklen = -1;
  private argv: string[] = [];
  /** Bytes of the arguments of the request being assembled (count toward the query-buffer limit). */
  private argvBytes = 0;
  /** A pre-allocated buffer for a large bulk being received. */
  private big: Buffer | null = null;
  private bigFill = 0;
  /** Set by the owner: whether the client still has to authenticate (tighter header limits). */
  authRequired = false;

  constructor(public limits: ParserLimits) {}

  /** Bytes received and not yet consumed (what the query-buffer limit applies to). */
  get pending(): number {
    return this.qb.length - this.pos + (this.big ? this.bigFill : 0) + this.argvBytes;
  }

  feed(data: Buffer): void {
    if (this.big) {
      // Receiving a large bulk directly into its own buffer.
      const need = this.big.length - this.bigFill;
      const n = Math.min(need, data.length);
      data.copy(this.big, this.bigFill, 0, n);
      this.bigFill += n;
      data = data.subarray(n);
      if (data.length === 0) return;
    }
    if (this.pos >= this.qb.length) {
      this.qb = data;
      this.pos = 0;
    } else {
      this.qb = Buffer.concat([this.qb.subarray(this.pos), data]);
      this.pos = 0;
    }
  }

  /** Resets all state (after a protocol error the connection closes anyway). */
  reset(): void {
    this.qb = Buffer.alloc(0);
    this.pos = 0;
    this.resetRequest();
    this.big = null;
  }

  private resetRequest(): void {
    this.reqtype = 0;
    this.multibulklen = 0;
    this.bulklen = -1;
    this.argv = [];
    this.argvBytes = 0;
  }

  next(): ParseResult {
    for (;;) {
      if (this.reqtype === 0) {
        if (this.pos >= this.qb.length) return null;
        this.reqtype = this.qb[this.pos] === 42 ? 1 : 2; // '*'
      }
      if (this.reqtype === 2) {
        const r = this.inline();
        if (r === null || 'error' in r) return r;
        this.resetRequest();
        if (r.length === 0) continue; // empty line: nothing to run
        return r;
      }
      const r = this.multibulk();
      if (r === null || (!Array.isArray(r))) return r;
      this.resetRequest();
      if (r.length === 0) continue; // *0 or *-1
      return r;
    }
  }

  private inline(): ParseResult | string[] {
    const buf = this.qb;
    const start = this.pos;
    let nl = strchr(buf, start, LF);
    if (nl < 0) {
      if (buf.length - start > INLINE_MAX) return { error: 'ERR Protocol error: too big inline request' };
      return null;
    }
    let linefeed = 1;
    if (nl !== start && buf[nl - 1] === CR) {
      nl--;
      linefeed = 2;
    }
    const line = buf.toString('latin1', start, nl);
    const argv = splitArgs(line);
    if (argv === null) return { error: 'ERR Protocol error: unbalanced quotes in request' };
    this.pos = nl + linefeed;
    return argv;
  }

  private multibulk(): ParseResult | string[] {
    const buf = this.qb;
    if (this.multibulklen === 0) {
      const nl = strchr(buf, this.pos, CR);
      if (nl < 0) {
        if (buf.length - this.pos > INLINE_MAX) return { error: 'ERR Protocol error: too big mbulk count string' };
        return null;
      }
      if (nl - this.pos > buf.length - this.pos - 2) return null; // no room for "\n" yet
      const ll = headerInt(buf, this.pos + 1, nl);
      if (Number.isNaN(ll) || ll > INT_MAX || ll > this.limits.maxMultibulkLen) {
        return { error: 'ERR Protocol error: invalid multibulk length' };
      }
      if (ll > 10 && this.authRequired) return { error: 'ERR Protocol error: unauthenticated multibulk length' };
      this.pos = nl + 2;
      if (ll <= 0) return [];
      this.multibulklen = ll;
      this.bulklen = -1;
    }
    while (this.multibulklen > 0) {
      if (this.bulklen === -1) {
        const b = this.qb;
        const nl = strchr(b, this.pos, CR);
        if (nl < 0) {
          if (b.length - this.pos > INLINE_MAX) return { error: 'ERR Protocol error: too big bulk count string' };
          return null;
        }
        if (nl - this.pos > b.length - this.pos - 2) return null;
        if (b[this.pos] !== 36) { // '$'
          return { error: "ERR Protocol error: expected '$', got '" + String.fromCharCode(b[this.pos]) + "'" };
        }
        const ll = headerInt(b, this.pos + 1, nl);
        if (Number.isNaN(ll) || ll < 0 || ll > this.limits.maxBulkLen) {
          return { error: 'ERR Protocol error: invalid bulk length' };
        }
        if (ll > 16384 && this.authRequired) return { error: 'ERR Protocol error: unauthenticated bulk length' };
        this.pos = nl + 2;
        this.bulklen = ll;
        if (ll >= 32 * 1024 && this.qb.length - this.pos < ll + 2) {
          // Large argument: receive it into a buffer of its own size instead of re-concatenating.
          this.big = Buffer.allocUnsafe(ll + 2);
          const have = this.qb.length - this.pos;
          this.qb.copy(this.big, 0, this.pos, this.qb.length);
          this.bigFill = have;
          this.qb = Buffer.alloc(0);
          this.pos = 0;
        }
      }
      if (this.big) {
        if (this.bigFill < this.big.length) return null;
        this.argv.push(this.big.toString('latin1', 0, this.bulklen));
        this.big = null;
        this.bigFill = 0;
      } else {
        if (this.qb.length - this.pos < this.bulklen + 2) return null;
        this.argv.push(this.qb.toString('latin1', this.pos, this.pos + this.bulklen));
        this.pos += this.bulklen + 2;
      }
      this.argvBytes += this.bulklen;
      this.bulklen = -1;
      this.multibulklen--;
    }
    return this.argv;
  }
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

function hexVal(c: number): number {
  if (c <= 57) return c - 48;
  if (c >= 97) return c - 87;
  return c - 55;
}

/**
 * Redis's sdssplitargs(): splits an inline command line honouring "double
 * quotes" (with \n \r \t \b \a \xHH escapes) and 'single quotes'. Returns null
 * on unbalanced quotes. A NUL byte ends the line, as in C.
 */
export function splitArgs(line: string): string[] | null {
  const z = line.indexOf('\0');
  if (z >= 0) line = line.slice(0, z);
  const n = line.length;
  const out: string[] = [];
  let p = 0;
  for (;;) {
    while (p < n && isSpace(line.charCodeAt(p))) p++;
    if (p >= n) return out;
    let inq = false;
    let insq = false;
    let done = false;
    let cur = '';
    while (!done) {
      const c = p < n ? line.charCodeAt(p) : 0;
      if (inq) {
        if (c === 92 && p + 3 < n + 0 && line.charCodeAt(p + 1) === 120 && isHex(line.charCodeAt(p + 2)) && isHex(line.charCodeAt(p + 3))) {
          cur += String.fromCharCode(hexVal(line.charCodeAt(p + 2)) * 16 + hexVal(line.charCodeAt(p + 3)));
          p += 3;
        } else if (c === 92 && p + 1 < n) {
          p++;
          const e = line[p];
          cur += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === 'b' ? '\b' : e === 'a' ? '\x07' : e;
        } else if (c === 34) { // closing quote must be followed by a space or nothing at all
          if (p + 1 < n && !isSpace(line.charCodeAt(p + 1))) return null;
          done = true;
        } else if (p >= n) {
          return null; // unterminated quotes
        } else {
          cur += line[p];
        }
      } else if (insq) {
        if (c === 92 && p + 1 < n && line.charCodeAt(p + 1) === 39) {
          p++;
          cur += "'";
        } else if (c === 39) {
          if (p + 1 < n && !isSpace(line.charCodeAt(p + 1))) return null;
          done = true;
        } else if (p >= n) {
          return null;
        } else {
          cur += line[p];
        }
      } else {
        switch (c) {
          case 32: case 10: case 13: case 9: case 0:
            done = true;
            break;
          case 34:
            inq = true;
            break;
          case 39:
            insq = true;
            break;
          default:
            cur += line[p];
        }
      }
      if (p < n) p++;
    }
    out.push(cur);
  }
}
