/**
 * HTTP/1.x message heads from both directions of one TCP connection
 * (RFC 9112 message syntax, RFC 9110 semantics), for a passive probe.
 *
 * The caller feeds each direction's new bytes in order (TcpSequence removed
 * retransmissions) and reports lost bytes with gap(). For every request head
 * the parser reports method, target, version, Host and User-Agent; for every
 * response head status code, version, Server and Content-Type. Bodies are
 * skipped, not kept: Content-Length and chunked transfer coding are followed
 * byte by byte across segments, so keep-alive and pipelined messages line up.
 *
 * Costs: a head that lies whole inside a segment is parsed by offsets in the
 * caller's buffer; only a head split across segments is copied (into one
 * buffer per direction, at most MAX_HEAD bytes). Strings are made only for the
 * fields returned, once per message.
 *
 * Recovery: after a gap, at the capture's start and after bytes that cannot
 * start a message, a direction waits for a segment that begins like a message
 * (a registered method and a space, or "HTTP/1."), as a human reading the
 * capture would; a message that starts in the middle of such a segment is
 * missed. A request cut by a gap keeps its place in the request/response
 * pairing (which HEAD and CONNECT need); one lost whole cannot, and a HEAD
 * lost that way makes its response's body length wrong until the next
 * resynchronisation.
 *
 * End (`done`): a 2xx answer to CONNECT, a 101 answer, the HTTP/2 preface, a
 * head over MAX_HEAD, or MAX_UNRECOGNISED_SEGMENTS segments skipped before any
 * message was recognised (TLS or another protocol on an HTTP port). A response
 * delimited by the connection's end only stops its own direction. Nothing
 * here throws on any input.
 */

const TAB = 9;
const LF = 10;
const CR = 13;
const SP = 32;
const COLON = 58;

/** A head longer than this is not HTTP a probe wants to follow (servers typically refuse 8-16 KB too). */
export const MAX_HEAD = 16 * 1024;
/** Requests waiting for their response; deeper pipelines are tracked only this far. */
const MAX_PENDING = 64;
/** Segments skipped before any message was recognised after which the connection is declared not HTTP. */
const MAX_UNRECOGNISED_SEGMENTS = 32;
/** Longest method token accepted at a message boundary (the registered ones are ≤ 17). */
const MAX_METHOD = 24;
/** Leading empty lines tolerated before a start line at a resynchronisation point. */
const MAX_LEADING_EOL = 4;

export interface HttpRequestHead {
  method: string;
  /**
   * The request-target as sent (origin, absolute, authority or asterisk form), not decoded: the
   * word after the method, as tshark's http.request.uri (a target with a stray space ends there).
   */
  target: string;
  /** "HTTP/1.1" or "HTTP/1.0" (another or a damaged minor digit as sent). */
  version: string;
  /** First Host header's value as sent (surrounding whitespace removed), null when absent. */
  host: string | null;
  userAgent: string | null;
}

export interface HttpResponseHead {
  statusCode: number;
  version: string;
  server: string | null;
  contentType: string | null;
}

export interface HttpEvents {
  onRequest(head: HttpRequestHead): void;
  onResponse(head: HttpResponseHead): void;
}

// ---------------------------------------------------------------------------
// Methods

/**
 * Methods accepted where the stream position is unknown (capture start, after
 * a gap): IANA's HTTP Method Registry, plus UPnP's NOTIFY/SUBSCRIBE/UNSUBSCRIBE/
 * M-SEARCH and the PURGE that caches accept. At a known message boundary any
 * token is accepted as a method (RFC 9110 9.1 lets new methods appear).
 */
const KNOWN_METHODS: readonly string[] = [
  'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH',
  'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'QUERY',
  'REPORT', 'CHECKOUT', 'CHECKIN', 'UNCHECKOUT', 'MKWORKSPACE', 'UPDATE', 'LABEL', 'MERGE',
  'BASELINE-CONTROL', 'MKACTIVITY', 'VERSION-CONTROL', 'ORDERPATCH', 'ACL', 'MKCALENDAR',
  'BIND', 'UNBIND', 'REBIND', 'LINK', 'UNLINK', 'MKREDIRECTREF', 'UPDATEREDIRECTREF',
  'PRI', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE', 'M-SEARCH', 'PURGE',
];

/** Known methods grouped by length, as byte arrays, for comparison without strings. */
const METHODS_BY_LENGTH: { name: string; bytes: Uint8Array }[][] = (() => {
  const table: { name: string; bytes: Uint8Array }[][] = [];
  for (let n = 0; n <= MAX_METHOD; n++) table.push([]);
  for (const name of KNOWN_METHODS) table[name.length].push({ name, bytes: Uint8Array.from(name, (c) => c.charCodeAt(0)) });
  return table;
})();

/** The registered method spelled by b[s..e) (case-sensitive, RFC 9110 9.1), as an interned string; null otherwise. */
function knownMethod(b: Uint8Array, s: number, e: number): string | null {
  const n = e - s;
  if (n <= 0 || n > MAX_METHOD) return null;
  for (const m of METHODS_BY_LENGTH[n]) {
    let i = 0;
    while (i < n && b[s + i] === m.bytes[i]) i++;
    if (i === n) return m.name;
  }
  return null;
}

/** True when `method` is a registered HTTP method (see KNOWN_METHODS). */
export function isHttpMethod(method: string): boolean {
  return KNOWN_METHODS.includes(method);
}

/** RFC 9110 5.6.2 tchar. */
const TCHAR: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let c = 0x30; c <= 0x39; c++) t[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) t[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) t[c] = 1;
  for (const c of "!#$%&'*+-.^_`|~") t[c.charCodeAt(0)] = 1;
  return t;
})();

// ---------------------------------------------------------------------------
// Strings, built only for returned fields

const utf8 = new TextDecoder('utf-8');

/** b[s..e) as text: UTF-8 with invalid sequences replaced (header values are ASCII in practice). */
function text(b: Uint8Array, s: number, e: number): string {
  if (e <= s) return '';
  if (Buffer.isBuffer(b)) return b.toString('utf8', s, e);
  return utf8.decode(b.subarray(s, e));
}

/** A header value continued over obsolete folded lines (RFC 9112 5.2): each fold becomes one space. */
function foldedText(b: Uint8Array, s: number, e: number): string {
  let out = '';
  let i = s;
  while (i < e) {
    let lf = i;
    while (lf < e && b[lf] !== LF) lf++;
    let lineEnd = lf;
    if (lineEnd > i && b[lineEnd - 1] === CR) lineEnd--;
    while (lineEnd > i && (b[lineEnd - 1] === SP || b[lineEnd - 1] === TAB)) lineEnd--;
    if (lineEnd > i) out += (out === '' ? '' : ' ') + text(b, i, lineEnd);
    i = lf + 1;
    while (i < e && (b[i] === SP || b[i] === TAB)) i++;
  }
  return out;
}

function headerText(b: Uint8Array, s: number, e: number, folded: boolean): string | null {
  if (s < 0) return null;
  return folded ? foldedText(b, s, e) : text(b, s, e);
}

// ---------------------------------------------------------------------------
// One head's interesting header values, as offsets (module-wide scratch: a head
// is parsed to completion, strings included, before any callback runs).

const NO_LENGTH = -1;
const BAD_LENGTH = -2;

const enum Field {
  Host,
  UserAgent,
  Server,
  ContentType,
  ContentLength,
  TransferEncoding,
  Count,
}

const fieldStart = new Int32Array(Field.Count);
const fieldEnd = new Int32Array(Field.Count);
const fieldFolded = new Uint8Array(Field.Count);
/** Content-Length so far (NO_LENGTH, BAD_LENGTH or the value), over every Content-Length line of the head. */
let contentLength = NO_LENGTH;
/** Transfer-Encoding seen, and whether its last coding (of the last line) is chunked. */
let transferEncoding = false;
let chunked = false;

function lowerEquals(b: Uint8Array, s: number, e: number, lower: string): boolean {
  if (e - s !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    const c = b[s + i];
    // ASCII letters fold with 0x20; other bytes must match exactly.
    if (c !== lower.charCodeAt(i) && (c | 0x20) !== lower.charCodeAt(i)) return false;
    if (c < 0x41 && c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

function fieldOf(b: Uint8Array, s: number, e: number): number {
  switch (e - s) {
    case 4:
      return lowerEquals(b, s, e, 'host') ? Field.Host : -1;
    case 6:
      return lowerEquals(b, s, e, 'server') ? Field.Server : -1;
    case 10:
      return lowerEquals(b, s, e, 'user-agent') ? Field.UserAgent : -1;
    case 12:
      return lowerEquals(b, s, e, 'content-type') ? Field.ContentType : -1;
    case 14:
      return lowerEquals(b, s, e, 'content-length') ? Field.ContentLength : -1;
    case 17:
      return lowerEquals(b, s, e, 'transfer-encoding') ? Field.TransferEncoding : -1;
    default:
      return -1;
  }
}

const isWhite = (c: number): boolean => c === SP || c === TAB || c === CR || c === LF;

/**
 * Content-Length value b[s..e): 1*DIGIT, or a comma list of equal values
 * (RFC 9110 8.6 lets a recipient accept those). Folds into `contentLength`.
 */
function noteContentLength(b: Uint8Array, s: number, e: number): void {
  let i = s;
  for (;;) {
    while (i < e && (isWhite(b[i]) || b[i] === 0x2c)) i++;
    if (i >= e) return;
    let v = 0;
    let digits = 0;
    while (i < e && b[i] >= 0x30 && b[i] <= 0x39) {
      v = v * 10 + (b[i] - 0x30);
      digits++;
      i++;
    }
    while (i < e && (b[i] === SP || b[i] === TAB || b[i] === CR || b[i] === LF)) i++;
    if (digits === 0 || digits > 15 || (i < e && b[i] !== 0x2c)) {
      contentLength = BAD_LENGTH;
      return;
    }
    if (contentLength === NO_LENGTH) contentLength = v;
    else if (contentLength !== v) contentLength = BAD_LENGTH;
  }
}

/** Transfer-Encoding value b[s..e): remembers whether the final coding is "chunked" (RFC 9112 6.1). */
function noteTransferEncoding(b: Uint8Array, s: number, e: number): void {
  transferEncoding = true;
  // The last list element, without parameters or surrounding whitespace.
  let end = e;
  while (end > s && (isWhite(b[end - 1]) || b[end - 1] === 0x2c)) end--;
  let start = end;
  while (start > s && b[start - 1] !== 0x2c) start--;
  while (start < end && isWhite(b[start])) start++;
  let stop = start;
  while (stop < end && b[stop] !== 0x3b && !isWhite(b[stop])) stop++;
  chunked = lowerEquals(b, start, stop, 'chunked');
}

/**
 * Header lines of a head, b[s..e) starting after the start line. Records the
 * value spans of the fields we report and the framing fields.
 */
function scanHeaders(b: Uint8Array, s: number, e: number): void {
  fieldStart.fill(-1);
  fieldFolded.fill(0);
  contentLength = NO_LENGTH;
  transferEncoding = false;
  chunked = false;
  let current = -1; // field whose value the previous line held, for obsolete folding
  let i = s;
  while (i < e) {
    let lf = i;
    while (lf < e && b[lf] !== LF) lf++;
    let lineEnd = lf;
    if (lineEnd > i && b[lineEnd - 1] === CR) lineEnd--;
    const next = lf + 1;
    if (lineEnd === i) break; // the empty line ending the head
    if (b[i] === SP || b[i] === TAB) {
      // obs-fold: the line continues the previous field's value
      if (current >= 0) {
        let t = lineEnd;
        while (t > i && (b[t - 1] === SP || b[t - 1] === TAB)) t--;
        if (t > i) {
          fieldEnd[current] = t;
          fieldFolded[current] = 1;
        }
      }
      i = next;
      continue;
    }
    current = -1;
    let colon = i;
    while (colon < lineEnd && b[colon] !== COLON) colon++;
    if (colon < lineEnd) {
      let nameEnd = colon;
      // Whitespace before the colon is forbidden (RFC 9112 5.1); tolerate it rather than lose the field.
      while (nameEnd > i && (b[nameEnd - 1] === SP || b[nameEnd - 1] === TAB)) nameEnd--;
      const f = fieldOf(b, i, nameEnd);
      if (f >= 0) {
        let vs = colon + 1;
        while (vs < lineEnd && (b[vs] === SP || b[vs] === TAB)) vs++;
        let ve = lineEnd;
        while (ve > vs && (b[ve - 1] === SP || b[ve - 1] === TAB)) ve--;
        if (f === Field.ContentLength || f === Field.TransferEncoding) {
          // Framing fields are evaluated once their (possibly folded) value is complete.
          fieldStart[f] = vs;
          fieldEnd[f] = ve;
          current = f;
          i = next;
          finishFraming(b, i, e, f);
          continue;
        }
        if (fieldStart[f] < 0) {
          fieldStart[f] = vs;
          fieldEnd[f] = ve;
          current = f;
        }
      }
    }
    i = next;
  }
}

/** Reads the framing field `f` whose value starts at fieldStart[f], including folded continuation lines from `i`. */
function finishFraming(b: Uint8Array, i: number, e: number, f: number): void {
  let end = fieldEnd[f];
  while (i < e && (b[i] === SP || b[i] === TAB)) {
    let lf = i;
    while (lf < e && b[lf] !== LF) lf++;
    let t = lf;
    if (t > i && b[t - 1] === CR) t--;
    while (t > i && (b[t - 1] === SP || b[t - 1] === TAB)) t--;
    if (t > i) end = t;
    i = lf + 1;
  }
  if (f === Field.ContentLength) noteContentLength(b, fieldStart[f], end);
  else noteTransferEncoding(b, fieldStart[f], end);
}

// ---------------------------------------------------------------------------
// Per-direction state

const enum State {
  /** At or inside a message head. */
  Head,
  /** `remaining` body bytes of a Content-Length body. */
  Body,
  /** Chunk size digits (RFC 9112 7.1). */
  ChunkSize,
  /** Chunk extensions or whitespace up to the end of the size line. */
  ChunkSizeRest,
  /** `remaining` chunk data bytes. */
  ChunkData,
  /** The CRLF after chunk data. */
  ChunkDataCr,
  ChunkDataLf,
  /** Start of a trailer line, or the empty line ending the message. */
  TrailerStart,
  TrailerLine,
  TrailerEndLf,
  /** Position unknown: wait for a segment that starts like a message. */
  Resync,
  /** A response body that ends with the connection: nothing more to read in this direction. */
  UntilClose,
  /** The client after CONNECT: its bytes are tunnel data if the response is 2xx. */
  TunnelPending,
}

const enum Pending {
  Other = 0,
  Head = 1,
  Connect = 2,
}

class Direction {
  state = State.Resync;
  /** Body or chunk bytes still to skip. */
  remaining = 0;
  chunkDigits = 0;
  /** Copy of a head split across segments (allocated on first need, grown up to MAX_HEAD). */
  partial: Uint8Array | null = null;
  partialLength = 0;
  /** End-of-head scanner: 0 inside a line, 1 right after LF, 2 after LF CR. */
  eol = 0;
  /** The head in progress starts like a message (method and space, or "HTTP/"). */
  startChecked = false;
  /** The head in progress began where the stream position was unknown: demand a registered method or "HTTP/1.". */
  strictStart = false;

  reset(state: State): void {
    this.state = state;
    this.remaining = 0;
    this.partialLength = 0;
    this.eol = 0;
    this.startChecked = false;
    this.strictStart = false;
  }
}

const enum Verdict {
  No,
  Maybe,
  Yes,
}

/**
 * Whether b[s..e) starts like a request (`method SP`) or a response ("HTTP/");
 * Maybe when the bytes end before that is decided. `strict` demands a known
 * method and "HTTP/1.", for positions where any byte sequence could appear.
 */
function startVerdict(b: Uint8Array, s: number, e: number, request: boolean, response: boolean, strict: boolean): Verdict {
  let maybe = false;
  if (response) {
    const prefix = strict ? 'HTTP/1.' : 'HTTP/';
    let i = 0;
    while (i < prefix.length && s + i < e && b[s + i] === prefix.charCodeAt(i)) i++;
    if (i === prefix.length) return Verdict.Yes;
    if (s + i === e) maybe = true;
  }
  if (request) {
    let i = s;
    while (i < e && i - s <= MAX_METHOD && TCHAR[b[i]] === 1) i++;
    if (i < e && b[i] === SP && i > s && i - s <= MAX_METHOD) {
      if (!strict || knownMethod(b, s, i) !== null) return Verdict.Yes;
    } else if (i === e && i - s <= MAX_METHOD) {
      maybe = true;
    }
  }
  return maybe ? Verdict.Maybe : Verdict.No;
}

/**
 * The major version of "HTTP/" DIGIT "." X at b[s..s+8), or -1. The minor
 * digit is not checked: a damaged one ("HTTP/1.\xc5 200 OK" in a fuzzed
 * capture) still frames the message like any 1.x.
 */
function httpMajor(b: Uint8Array, s: number, e: number): number {
  if (e - s < 8) return -1;
  if (b[s] !== 0x48 || b[s + 1] !== 0x54 || b[s + 2] !== 0x54 || b[s + 3] !== 0x50 || b[s + 4] !== 0x2f || b[s + 6] !== 0x2e) return -1;
  const major = b[s + 5] - 0x30;
  const minor = b[s + 7];
  if (major < 0 || major > 9 || minor === SP || minor === TAB || minor === CR || minor === LF) return -1;
  return major;
}

/** The version at b[s..s+8), interned for the usual two. */
function versionText(b: Uint8Array, s: number): string {
  if (b[s + 5] === 0x31 && b[s + 7] === 0x31) return 'HTTP/1.1';
  if (b[s + 5] === 0x31 && b[s + 7] === 0x30) return 'HTTP/1.0';
  return text(b, s, s + 8);
}

// ---------------------------------------------------------------------------

/**
 * Both directions of one TCP connection. `fromInitiator` tells which side sent
 * the bytes (the flow's first-packet sender); the side that sends the first
 * request line (or receives the first status line) is the client. The caller
 * trims retransmissions (TcpSequence) and calls gap() when bytes were lost.
 */
export class HttpConversation {
  private readonly initiator = new Direction();
  private readonly responder = new Direction();
  /** null until a message tells which side is the client. */
  private clientIsInitiator: boolean | null = null;
  /** Request kinds awaiting their response (ring buffer). */
  private readonly pending = new Uint8Array(MAX_PENDING);
  private pendingFirst = 0;
  private pendingCount = 0;
  private unrecognisedSegments = 0;
  private isDone = false;
  private requestCount = 0;
  private responseCount = 0;

  constructor(private readonly events: HttpEvents) {}

  /** True once the connection is not HTTP/1.x any more (tunnel, HTTP/2, 101 upgrade, never HTTP, head too long): stop feeding. */
  get done(): boolean {
    return this.isDone;
  }

  get requests(): number {
    return this.requestCount;
  }

  get responses(): number {
    return this.responseCount;
  }

  /** New in-order bytes buf[off..off+len) sent by the initiator (true) or the responder (false). */
  feed(buf: Uint8Array, off: number, len: number, fromInitiator: boolean): void {
    if (this.isDone) return;
    let pos = Math.max(0, off | 0);
    const end = Math.min(buf.length, pos + Math.max(0, len | 0));
    if (pos >= end) return;
    const d = fromInitiator ? this.initiator : this.responder;
    if (d.state === State.Resync) {
      pos = this.resync(d, buf, pos, end, fromInitiator);
      if (pos < 0) {
        this.unrecognised();
        return;
      }
    }
    while (pos < end && !this.isDone) {
      switch (d.state) {
        case State.Head:
          pos = this.head(d, buf, pos, end, fromInitiator);
          break;
        case State.Body: {
          const n = Math.min(d.remaining, end - pos);
          d.remaining -= n;
          pos += n;
          if (d.remaining === 0) d.reset(State.Head);
          break;
        }
        case State.ChunkData: {
          const n = Math.min(d.remaining, end - pos);
          d.remaining -= n;
          pos += n;
          if (d.remaining === 0) d.state = State.ChunkDataCr;
          break;
        }
        case State.Resync:
        case State.UntilClose:
        case State.TunnelPending:
          return;
        default:
          pos = chunkSyntax(d, buf, pos, end);
          break;
      }
    }
  }

  /** Bytes of one direction were lost: drop the message in progress and wait for the next one to start. */
  gap(fromInitiator: boolean): void {
    if (this.isDone) return;
    const d = fromInitiator ? this.initiator : this.responder;
    if (d.state === State.UntilClose || d.state === State.TunnelPending) return;
    const partial = d.partial;
    if (d.state === State.Head && partial !== null && d.partialLength > 0 && d.startChecked && this.mayRequest(fromInitiator) && !isStatusLineStart(partial, d.partialLength)) {
      // A request whose head was cut by the loss still gets a response: keep its place in
      // the queue, so that the responses after it are matched to the right requests (HEAD).
      if (this.clientIsInitiator === null) this.clientIsInitiator = fromInitiator;
      this.expectResponse(pendingKind(partial, 0, d.partialLength));
    }
    d.reset(State.Resync);
  }

  private expectResponse(kind: Pending): void {
    if (this.pendingCount < MAX_PENDING) {
      this.pending[(this.pendingFirst + this.pendingCount) % MAX_PENDING] = kind;
      this.pendingCount++;
    }
  }

  private mayRequest(fromInitiator: boolean): boolean {
    return this.clientIsInitiator === null || this.clientIsInitiator === fromInitiator;
  }

  private mayRespond(fromInitiator: boolean): boolean {
    return this.clientIsInitiator === null || this.clientIsInitiator !== fromInitiator;
  }

  private unrecognised(): void {
    if (this.requestCount + this.responseCount === 0 && ++this.unrecognisedSegments >= MAX_UNRECOGNISED_SEGMENTS) this.isDone = true;
  }

  /**
   * A segment in Resync state: the offset of the message it starts with, or -1
   * to skip it. A segment too short to tell (a head cut after "GE") starts a
   * head that is checked strictly once more bytes arrive.
   */
  private resync(d: Direction, b: Uint8Array, pos: number, end: number, fromInitiator: boolean): number {
    let s = pos;
    while (s < end && s - pos < MAX_LEADING_EOL && (b[s] === CR || b[s] === LF)) s++;
    if (s === end) return -1;
    const v = startVerdict(b, s, end, this.mayRequest(fromInitiator), this.mayRespond(fromInitiator), true);
    if (v === Verdict.No) return -1;
    d.reset(State.Head);
    d.startChecked = v === Verdict.Yes;
    d.strictStart = true;
    return s;
  }

  /** Bytes that cannot be where they are: resynchronise this direction; returns the end of the segment. */
  private garbage(d: Direction, end: number): number {
    d.reset(State.Resync);
    this.unrecognised();
    return end;
  }

  /** Head bytes from `pos`: parses the head when its end is in this segment, else keeps the part seen. */
  private head(d: Direction, b: Uint8Array, pos: number, end: number, fromInitiator: boolean): number {
    if (d.partialLength === 0) {
      if (!d.startChecked) {
        // Empty lines before a start line are ignored (RFC 9112 2.2), e.g. a CRLF after a POST body.
        while (pos < end && (b[pos] === CR || b[pos] === LF)) pos++;
        if (pos === end) return end;
        const v = startVerdict(b, pos, end, this.mayRequest(fromInitiator), this.mayRespond(fromInitiator), d.strictStart);
        if (v === Verdict.No) return this.garbage(d, end);
        d.startChecked = v === Verdict.Yes;
        d.eol = 0;
      }
      const stop = scanHeadEnd(d, b, pos, end);
      if (stop >= 0) {
        if (stop - pos > MAX_HEAD) return this.tooLong(d, end);
        this.message(d, b, pos, stop, fromInitiator);
        return stop;
      }
      this.keep(d, b, pos, end);
      return end;
    }
    const stop = scanHeadEnd(d, b, pos, end);
    const upto = stop >= 0 ? stop : end;
    if (this.keep(d, b, pos, upto) < 0) return end;
    const h = d.partial as Uint8Array;
    if (!d.startChecked) {
      const v = startVerdict(h, 0, d.partialLength, this.mayRequest(fromInitiator), this.mayRespond(fromInitiator), d.strictStart);
      if (v === Verdict.No) return this.garbage(d, end);
      d.startChecked = v === Verdict.Yes;
    }
    if (stop >= 0) {
      const n = d.partialLength;
      d.partialLength = 0;
      this.message(d, h, 0, n, fromInitiator);
    }
    return upto;
  }

  /** A head over MAX_HEAD: whatever this is, following it would mean buffering without bound. */
  private tooLong(d: Direction, end: number): number {
    d.reset(State.Resync);
    this.isDone = true;
    return end;
  }

  /** Appends b[s..e) to the direction's partial head; a head over MAX_HEAD ends the conversation (returns -1). */
  private keep(d: Direction, b: Uint8Array, s: number, e: number): number {
    const n = d.partialLength + (e - s);
    if (n > MAX_HEAD) {
      this.tooLong(d, e);
      return -1;
    }
    let p = d.partial;
    if (p === null || p.length < n) {
      const grown = new Uint8Array(Math.min(MAX_HEAD, Math.max(1024, n, p === null ? 0 : p.length * 2)));
      if (p !== null) grown.set(p.subarray(0, d.partialLength));
      d.partial = p = grown;
    }
    p.set(b.subarray(s, e), d.partialLength);
    d.partialLength = n;
    return e;
  }

  /** A complete head h[s..e) (ending with its empty line): report it and set up the body that follows. */
  private message(d: Direction, h: Uint8Array, s: number, e: number, fromInitiator: boolean): void {
    let lf = s;
    while (lf < e && h[lf] !== LF) lf++;
    let lineEnd = lf;
    if (lineEnd > s && h[lineEnd - 1] === CR) lineEnd--;
    if (this.mayRespond(fromInitiator) && httpMajor(h, s, lineEnd) >= 0) this.response(d, h, s, lineEnd, lf + 1, e, fromInitiator);
    else if (this.mayRequest(fromInitiator)) this.request(d, h, s, lineEnd, lf + 1, e, fromInitiator);
    else this.garbage(d, e);
  }

  private request(d: Direction, h: Uint8Array, s: number, lineEnd: number, headers: number, e: number, fromInitiator: boolean): void {
    // request-line = method SP request-target SP HTTP-version (RFC 9112 3). The version is
    // the line's last word; the target is the word after the method (extra spaces skipped), as
    // tshark's http.request.uri: a target with stray spaces ("/cgi;cat /etc/passwd") is cut there.
    let methodEnd = s;
    while (methodEnd < lineEnd && TCHAR[h[methodEnd]] === 1) methodEnd++;
    let lineStop = lineEnd;
    while (lineStop > methodEnd && (h[lineStop - 1] === SP || h[lineStop - 1] === TAB)) lineStop--;
    let lastSpace = lineStop;
    while (lastSpace > methodEnd && h[lastSpace - 1] !== SP) lastSpace--;
    let targetStart = methodEnd;
    while (targetStart < lastSpace && h[targetStart] === SP) targetStart++;
    let targetEnd = targetStart;
    while (targetEnd < lastSpace && h[targetEnd] !== SP) targetEnd++;
    const major = lineStop - lastSpace === 8 ? httpMajor(h, lastSpace, lineStop) : -1;
    if (methodEnd === s || h[methodEnd] !== SP || targetEnd <= targetStart || major < 0) {
      this.garbage(d, e);
      return;
    }
    if (major === 2) {
      // "PRI * HTTP/2.0": the HTTP/2 connection preface (RFC 9113 3.4); h2 is not parsed here.
      this.isDone = true;
      return;
    }
    if (major !== 1) {
      this.garbage(d, e);
      return;
    }
    if (this.clientIsInitiator === null) this.clientIsInitiator = fromInitiator;
    scanHeaders(h, headers, e);
    const method = knownMethod(h, s, methodEnd) ?? text(h, s, methodEnd);
    const kind = pendingKind(h, s, methodEnd + 1);
    const head: HttpRequestHead = {
      method,
      target: text(h, targetStart, targetEnd),
      version: versionText(h, lastSpace),
      host: headerText(h, fieldStart[Field.Host], fieldEnd[Field.Host], fieldFolded[Field.Host] === 1),
      userAgent: headerText(h, fieldStart[Field.UserAgent], fieldEnd[Field.UserAgent], fieldFolded[Field.UserAgent] === 1),
    };
    // Framing from the scratch before the callback, which may parse another conversation.
    const te = transferEncoding;
    const isChunked = chunked;
    const length = contentLength;
    this.expectResponse(kind);
    this.requestCount++;
    d.reset(State.Head);
    if (kind === Pending.Connect) d.state = State.TunnelPending;
    // Request body length (RFC 9112 6.3): chunked, else Content-Length, else none.
    // Any other transfer coding or a bad length leaves the body's end unknown.
    else if (te) {
      if (isChunked) startChunks(d);
      else d.state = State.Resync;
    } else if (length === BAD_LENGTH) d.state = State.Resync;
    else if (length > 0) {
      d.state = State.Body;
      d.remaining = length;
    }
    this.events.onRequest(head);
  }

  private response(d: Direction, h: Uint8Array, s: number, lineEnd: number, headers: number, e: number, fromInitiator: boolean): void {
    // status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 4)
    const major = httpMajor(h, s, lineEnd);
    let i = s + 8;
    if (i >= lineEnd || h[i] !== SP) {
      this.garbage(d, e);
      return;
    }
    while (i < lineEnd && h[i] === SP) i++;
    let status = 0;
    let digits = 0;
    while (i < lineEnd && h[i] >= 0x30 && h[i] <= 0x39 && digits < 4) {
      status = status * 10 + (h[i] - 0x30);
      digits++;
      i++;
    }
    if (digits !== 3 || status < 100 || (i < lineEnd && h[i] !== SP && h[i] !== TAB) || major !== 1) {
      this.garbage(d, e);
      return;
    }
    if (this.clientIsInitiator === null) this.clientIsInitiator = !fromInitiator;
    scanHeaders(h, headers, e);
    const head: HttpResponseHead = {
      statusCode: status,
      version: versionText(h, s),
      server: headerText(h, fieldStart[Field.Server], fieldEnd[Field.Server], fieldFolded[Field.Server] === 1),
      contentType: headerText(h, fieldStart[Field.ContentType], fieldEnd[Field.ContentType], fieldFolded[Field.ContentType] === 1),
    };
    const te = transferEncoding;
    const isChunked = chunked;
    const length = contentLength;
    this.responseCount++;
    d.reset(State.Head);
    if (status < 200) {
      // Interim responses have no body and do not answer the request (RFC 9110 15.2);
      // 101 hands the connection to another protocol.
      if (status === 101) this.isDone = true;
      this.events.onResponse(head);
      return;
    }
    let kind = Pending.Other;
    if (this.pendingCount > 0) {
      kind = this.pending[this.pendingFirst];
      this.pendingFirst = (this.pendingFirst + 1) % MAX_PENDING;
      this.pendingCount--;
    }
    if (kind === Pending.Connect) {
      const client = fromInitiator ? this.responder : this.initiator;
      if (status < 300) this.isDone = true; // the tunnel is established (RFC 9110 9.3.6)
      else if (client.state === State.TunnelPending) client.reset(State.Resync);
    }
    // Response body length (RFC 9112 6.3).
    if (!this.isDone) {
      if (kind === Pending.Head || status === 204 || status === 304) {
        // no body
      } else if (te) {
        if (isChunked) startChunks(d);
        else d.state = State.UntilClose;
      } else if (length >= 0) {
        if (length > 0) {
          d.state = State.Body;
          d.remaining = length;
        }
      } else d.state = State.UntilClose;
    }
    this.events.onResponse(head);
  }
}

/** b[0..n) starts with "HTTP/": a status line, not a request line (a method token has no "/"). */
function isStatusLineStart(b: Uint8Array, n: number): boolean {
  return n >= 5 && b[0] === 0x48 && b[1] === 0x54 && b[2] === 0x54 && b[3] === 0x50 && b[4] === 0x2f;
}

/** What a request starting at b[s..e) means for its response's framing. */
function pendingKind(b: Uint8Array, s: number, e: number): Pending {
  const n = e - s;
  if (n >= 5 && b[s] === 0x48 && b[s + 1] === 0x45 && b[s + 2] === 0x41 && b[s + 3] === 0x44 && b[s + 4] === SP) return Pending.Head;
  if (n >= 8 && b[s] === 0x43 && knownMethod(b, s, s + 7) === 'CONNECT' && b[s + 7] === SP) return Pending.Connect;
  return Pending.Other;
}

/** Scans for the empty line ending a head; returns the offset after it, or -1 (state kept in d.eol). */
function scanHeadEnd(d: Direction, b: Uint8Array, pos: number, end: number): number {
  let s = d.eol;
  for (let i = pos; i < end; i++) {
    const c = b[i];
    if (c === LF) {
      if (s !== 0) {
        d.eol = 0;
        return i + 1;
      }
      s = 1;
    } else if (c === CR) {
      s = s === 1 ? 2 : 0;
    } else {
      s = 0;
    }
  }
  d.eol = s;
  return -1;
}

function startChunks(d: Direction): void {
  d.state = State.ChunkSize;
  d.remaining = 0;
  d.chunkDigits = 0;
}

const HEX: Int8Array = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let c = 0; c < 10; c++) t[0x30 + c] = c;
  for (let c = 0; c < 6; c++) {
    t[0x41 + c] = 10 + c;
    t[0x61 + c] = 10 + c;
  }
  return t;
})();

/** Largest chunk size accepted: 13 hex digits keep the arithmetic exact. */
const MAX_CHUNK_DIGITS = 13;

/**
 * The byte-level parts of chunked coding (RFC 9112 7.1): size lines,
 * the CRLF after data, trailer section. Returns the new position.
 */
function chunkSyntax(d: Direction, b: Uint8Array, pos: number, end: number): number {
  while (pos < end) {
    const c = b[pos];
    switch (d.state) {
      case State.ChunkSize: {
        const v = HEX[c];
        if (v >= 0) {
          if (++d.chunkDigits > MAX_CHUNK_DIGITS) {
            d.reset(State.Resync);
            return end;
          }
          d.remaining = d.remaining * 16 + v;
          pos++;
          continue;
        }
        if (d.chunkDigits === 0) {
          d.reset(State.Resync);
          return end;
        }
        d.state = State.ChunkSizeRest;
        continue;
      }
      case State.ChunkSizeRest:
        pos++;
        if (c === LF) {
          if (d.remaining === 0) d.state = State.TrailerStart;
          else {
            d.state = State.ChunkData;
            return pos;
          }
        }
        continue;
      case State.ChunkDataCr:
        pos++;
        if (c === CR) d.state = State.ChunkDataLf;
        else if (c === LF) {
          d.state = State.ChunkSize;
          d.chunkDigits = 0;
        } else {
          d.reset(State.Resync);
          return end;
        }
        continue;
      case State.ChunkDataLf:
        pos++;
        if (c === LF) {
          d.state = State.ChunkSize;
          d.chunkDigits = 0;
        } else {
          d.reset(State.Resync);
          return end;
        }
        continue;
      case State.TrailerStart:
        pos++;
        if (c === LF) {
          d.reset(State.Head);
          return pos;
        }
        d.state = c === CR ? State.TrailerEndLf : State.TrailerLine;
        continue;
      case State.TrailerEndLf:
        pos++;
        if (c === LF) {
          d.reset(State.Head);
          return pos;
        }
        d.state = State.TrailerLine;
        continue;
      case State.TrailerLine:
        pos++;
        if (c === LF) d.state = State.TrailerStart;
        continue;
      default:
        return pos;
    }
  }
  return pos;
}
