// The reply encoder: one writer for RESP2 and RESP3. Output is accumulated as
// a latin1 "byte string" (every internal string is one char per byte), so a
// bulk's length is the string's length and the whole batch of replies goes
// to the socket in one write.
import { fmtDouble } from './util';

export type Proto = 2 | 3;

export class ReplyWriter {
  /** Pending output (latin1 byte string). */
  out = '';
  proto: Proto = 2;

  simple(s: string): void {
    this.out += '+' + s + '\r\n';
  }

  ok(): void {
    this.out += '+OK\r\n';
  }

  /** An error reply; `msg` carries its code ("ERR ...", "WRONGTYPE ..."). CR/LF are replaced as Redis does. */
  error(msg: string): void {
    if (msg.includes('\r') || msg.includes('\n')) msg = msg.replace(/[\r\n]/g, ' ');
    this.out += '-' + msg + '\r\n';
  }

  int(n: number | bigint): void {
    this.out += ':' + n + '\r\n';
  }

  bulk(s: string | number): void {
    if (typeof s === 'number') s = String(s);
    this.out += '$' + s.length + '\r\n' + s + '\r\n';
  }

  /** A bulk or the null bulk when undefined/null. */
  bulkOrNull(s: string | number | undefined | null): void {
    if (s === undefined || s === null) this.nullBulk();
    else this.bulk(s);
  }

  nullBulk(): void {
    this.out += this.proto === 3 ? '_\r\n' : '$-1\r\n';
  }

  nullArray(): void {
    this.out += this.proto === 3 ? '_\r\n' : '*-1\r\n';
  }

  array(n: number): void {
    this.out += '*' + n + '\r\n';
  }

  /** A map of n pairs (RESP2: a flat array of 2n). */
  map(n: number): void {
    this.out += this.proto === 3 ? '%' + n + '\r\n' : '*' + 2 * n + '\r\n';
  }

  /** A set of n elements (RESP2: an array). */
  set(n: number): void {
    this.out += this.proto === 3 ? '~' + n + '\r\n' : '*' + n + '\r\n';
  }

  /** An out-of-band push (RESP2: an array). */
  push(n: number): void {
    this.out += this.proto === 3 ? '>' + n + '\r\n' : '*' + n + '\r\n';
  }

  /** A double: RESP3 ',' type; RESP2 a bulk string, formatted as Redis 7.0 ("%.17g", inf, -inf). */
  double(d: number): void {
    const s = fmtDouble(d);
    if (this.proto === 3) this.out += ',' + s + '\r\n';
    else this.out += '$' + s.length + '\r\n' + s + '\r\n';
  }

  bool(b: boolean): void {
    if (this.proto === 3) this.out += b ? '#t\r\n' : '#f\r\n';
    else this.out += b ? ':1\r\n' : ':0\r\n';
  }

  /** Verbatim string (RESP3 '=' with the "txt:" format); RESP2 a bulk. */
  verbatim(s: string): void {
    if (this.proto === 3) this.out += '=' + (s.length + 4) + '\r\ntxt:' + s + '\r\n';
    else this.bulk(s);
  }

  bulkArray(items: ArrayLike<string | number>): void {
    this.array(items.length);
    for (let i = 0; i < items.length; i++) this.bulk(items[i]);
  }

  /** Encodes a plain JS value: string->bulk, number->int, null->null, array->array, object->map. */
  value(v: unknown): void {
    if (v === null || v === undefined) this.nullBulk();
    else if (typeof v === 'string') this.bulk(v);
    else if (typeof v === 'number' || typeof v === 'bigint') this.int(v);
    else if (typeof v === 'boolean') this.bool(v);
    else if (Array.isArray(v)) {
      this.array(v.length);
      for (const x of v) this.value(x);
    } else if (typeof v === 'object') {
      const ent = Object.entries(v as Record<string, unknown>);
      this.map(ent.length);
      for (const [k, x] of ent) {
        this.bulk(k);
        this.value(x);
      }
    }
  }

  /** Takes the pending output, leaving the writer empty. */
  take(): string {
    const s = this.out;
    this.out = '';
    return s;
  }
}
