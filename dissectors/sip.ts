/**
 * SIP messages (RFC 3261) and the media their SDP bodies announce (RFC 4566).
 *
 * Pure parsing: `parseSip` takes one SIP message (a UDP payload, or one
 * message taken off a TCP stream; `sipMessageLength` tells where a stream
 * message ends) and returns the fields call tracking needs: method or status,
 * Call-ID, From/To and their URIs, CSeq, User-Agent, and the media streams
 * (type, port, protocol, connection address) of an application/sdp body.
 * It never throws: every read is bounds-checked against the message first.
 *
 * Parsing is done by offsets into the caller's buffer (a reused capture
 * buffer): one pass records where the interesting header values are in a
 * module-level scratch object, and strings are built only for the values
 * returned, so nothing keeps a reference to the buffer.
 *
 * What makes a message (anything else is null):
 *  - a start line without control characters other than HT, ended by CRLF
 *    (or a bare LF or CR, as for every line): either a Status-Line
 *    `SIP/2.0 SP 3DIGIT [SP reason]` with a code in 100..699, or a
 *    Request-Line `token SP Request-URI SP SIP/2.0`, the Request-URI holding a
 *    ':' (every SIP, SIPS or absolute URI has a scheme). The version is
 *    matched case-insensitively (RFC 3261 7.1); CRLFs before the start line
 *    are skipped (RFC 3261 7.5, and RFC 5626 keep-alives).
 * Header lines (RFC 3261 7.3): names are case-insensitive and the compact
 * forms of RFC 3261 20 are understood (i, f, t, l, c, e); a line starting
 * with SP or HT continues the previous header (folding), and the returned
 * value has each fold replaced by one space. The first occurrence of a
 * header wins. A line without `token [WSP] ':'` is skipped rather than
 * failing the message: the start line already said SIP, and the remaining
 * headers are still worth having. A header is dropped when its line end is not
 * in the buffer, or when nothing follows it (the next line could still be a
 * continuation): a truncated capture would otherwise give a truncated Call-ID
 * or URI that looks valid.
 *
 * Values are returned as sent (UTF-8, invalid sequences replaced), trimmed;
 * an empty value is null.
 *
 * From/To URIs (RFC 3261 20.20, 20.39): inside <...> for the name-addr form
 * (a leading quoted display name may hold '<' and ';'), else the addr-spec up
 * to the first ';' (its parameters are header parameters, RFC 3261 20), which
 * must start with a URI scheme. CSeq (RFC 3261 20.16): a decimal number below
 * 2^32 first, else number 0 and method null; the method is taken as sent, up
 * to whitespace.
 *
 * The body starts after the empty line and is bounded by Content-Length
 * (compact l). Without Content-Length it runs to the end of the datagram
 * (RFC 3261 18.3, UDP). When Content-Length claims more bytes than there are
 * (a truncated or fragmented datagram) or is not a number, the headers are
 * still returned but the body is not parsed: a cut SDP could give a cut port.
 * SDP is read from a body whose Content-Type is application/sdp, or from the
 * first application/sdp part of a multipart/* body (RFC 2046 5.1, used by
 * RFC 5621), and only when there is no Content-Encoding other than identity.
 *
 * SDP: each m= line gives one media (type, first port of `port[/count]`,
 * protocol); its address is the first media-level c= after it, else the
 * session-level c= (RFC 4566 5.7). Only `c=IN IP4|IP6 <address>` lines count;
 * the address is returned as written (IPv6 not canonicalised; IP4 may be a
 * domain name), without a multicast `/ttl[/count]` suffix. An m= line whose port is not a decimal number <= 65535 is skipped.
 */

/**
 * UDP/TCP ports SIP is parsed on. 5061 is left out on purpose: it is SIP over
 * TLS (RFC 3261 26.2), so its payload is ciphertext.
 */
export const SIP_PORTS: readonly number[] = [5060];

export interface SdpMedia {
  /** m= media type: audio, video, image, application, ... */
  type: string;
  /** connection address for this media (media-level c= else session-level c=), null if none */
  address: string | null;
  /** First transport port of the m= line; 0 means the stream is disabled or rejected (RFC 3264 6). */
  port: number;
  /** m= transport protocol: RTP/AVP, RTP/SAVP, udptl, ... */
  protocol: string;
}

export interface SipMessage {
  isRequest: boolean;
  /** Request method as sent (methods are case-sensitive, RFC 3261 7.1); null for responses. */
  method: string | null;
  /** Response code, 0 for requests. */
  statusCode: number;
  requestUri: string | null;
  /** Call-ID (compact form i: too), as sent. */
  callId: string | null;
  /** From header value as sent (compact f:), folds replaced by a space. */
  from: string | null;
  /** The URI inside From (e.g. sip:alice@example.com), tag parameters excluded. */
  fromUri: string | null;
  to: string | null;
  toUri: string | null;
  /** CSeq sequence number, 0 when absent or not a number below 2^32. */
  cseqNumber: number;
  cseqMethod: string | null;
  userAgent: string | null;
  /** From an application/sdp body (also inside multipart/*), [] otherwise. */
  media: SdpMedia[];
}

const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;
const COLON = 58;
const SEMI = 59;
const QUOTE = 34;
const BACKSLASH = 92;
const LT = 60;
const GT = 62;
const SLASH = 47;
const EQ = 61;
const DASH = 45;

/** RFC 3261 25.1 token characters: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~". */
const TOKEN = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;
for (const ch of "-.!%*_+`'~") TOKEN[ch.charCodeAt(0)] = 1;

/** Longest method name looksLikeSip accepts (real ones are at most 9 characters). */
const MAX_METHOD = 32;
/** CSeq numbers are below 2^31 (RFC 3261 8.1.1.5); ten digits is past any 32-bit value. */
const MAX_CSEQ_DIGITS = 10;

/**
 * The message's bytes as a Buffer for decoding strings (Buffer's UTF-8
 * decoding is much faster than TextDecoder on small slices). Capture buffers
 * already are Buffers; another Uint8Array gets a view (no copy). Reset after
 * each parse so no reference outlives the call.
 */
let bytes: Buffer | null = null;

// ---------------------------------------------------------------------------
// One pass over the message: offsets only, into a reused scratch object.

/** Header values the parser keeps: [start, end) of the first occurrence, -1 when absent. */
const H_CALL_ID = 0;
const H_FROM = 1;
const H_TO = 2;
const H_CSEQ = 3;
const H_USER_AGENT = 4;
const H_CONTENT_LENGTH = 5;
const H_CONTENT_TYPE = 6;
const H_CONTENT_ENCODING = 7;
const H_COUNT = 8;

class Scan {
  isRequest = false;
  methodStart = 0;
  methodEnd = 0;
  uriStart = 0;
  uriEnd = 0;
  statusCode = 0;
  /** Offset of the first byte after the empty line; -1 when the header section does not end in the buffer. */
  bodyStart = -1;
  readonly valueStart = new Int32Array(H_COUNT);
  readonly valueEnd = new Int32Array(H_COUNT);
}
const scan = new Scan();

/** Where the line after the one `lineEnd` found starts. */
let nextLine = 0;

/**
 * End of the line starting at p: the offset of its terminator, CRLF as
 * RFC 3261 and RFC 4566 want, or a bare LF or bare CR as some senders write
 * (and as tshark reads them); `nextLine` is set past the terminator. -1 when
 * there is no terminator in [p, end). A CR as the last byte counts only when
 * `complete` (the bytes end there for sure); otherwise its LF may still be
 * on its way (a cut datagram, a stream).
 */
function lineEnd(buf: Uint8Array, p: number, end: number, complete: boolean): number {
  for (; p < end; p++) {
    const c = buf[p];
    if (c === LF) {
      nextLine = p + 1;
      return p;
    }
    if (c === CR) {
      if (p + 1 < end) {
        nextLine = buf[p + 1] === LF ? p + 2 : p + 1;
        return p;
      }
      if (!complete) return -1;
      nextLine = end;
      return p;
    }
  }
  return -1;
}

/** Does [s, e) hold a CR or LF (a folded header value)? */
function hasLineBreak(buf: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (buf[i] === LF || buf[i] === CR) return true;
  return false;
}

/** "SIP/2.0" at p (case-insensitive), p + 7 <= end. */
function isVersion(buf: Uint8Array, p: number, end: number): boolean {
  return (
    p + 7 <= end &&
    (buf[p] | 0x20) === 0x73 && // s
    (buf[p + 1] | 0x20) === 0x69 && // i
    (buf[p + 2] | 0x20) === 0x70 && // p
    buf[p + 3] === SLASH &&
    buf[p + 4] === 0x32 && // 2
    buf[p + 5] === 0x2e && // .
    buf[p + 6] === 0x30 // 0
  );
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isWsp = (c: number): boolean => c === SP || c === HT;
/** Control characters other than HT: never in a start line (RFC 3261 25.1 Request-URI and Reason-Phrase). */
const isCtl = (c: number): boolean => (c < 0x20 && c !== HT) || c === 0x7f;

/** Skip CR and LF before a start line (RFC 3261 7.5). */
function skipLineEnds(buf: Uint8Array, p: number, end: number): number {
  while (p < end && (buf[p] === CR || buf[p] === LF)) p++;
  return p;
}

/**
 * Parse the start line in [p, stop) into `scan`. Returns false when it is
 * neither a Status-Line nor a Request-Line.
 */
function startLine(buf: Uint8Array, p: number, stop: number): boolean {
  for (let i = p; i < stop; i++) if (isCtl(buf[i])) return false;
  if (isVersion(buf, p, stop) && p + 7 < stop && buf[p + 7] === SP) {
    const c = p + 8;
    if (c + 3 > stop || !isDigit(buf[c]) || !isDigit(buf[c + 1]) || !isDigit(buf[c + 2])) return false;
    if (c + 3 < stop && !isWsp(buf[c + 3])) return false;
    const code = (buf[c] - 0x30) * 100 + (buf[c + 1] - 0x30) * 10 + (buf[c + 2] - 0x30);
    if (code < 100 || code > 699) return false;
    scan.isRequest = false;
    scan.statusCode = code;
    return true;
  }
  let q = p;
  while (q < stop && TOKEN[buf[q]] === 1) q++;
  if (q === p || q >= stop || buf[q] !== SP) return false;
  scan.methodStart = p;
  scan.methodEnd = q;
  const uriStart = ++q;
  let colon = false;
  while (q < stop && buf[q] !== SP) {
    if (buf[q] === COLON) colon = true;
    q++;
  }
  if (q === uriStart || !colon || q >= stop) return false;
  scan.uriStart = uriStart;
  scan.uriEnd = q;
  q++;
  if (!isVersion(buf, q, stop)) return false;
  // Trailing whitespace after the version is tolerated.
  for (q += 7; q < stop; q++) if (!isWsp(buf[q])) return false;
  scan.isRequest = true;
  scan.statusCode = 0;
  return true;
}

/** Case-insensitive match of buf[start, end) against a lower-case ASCII name. */
function nameIs(buf: Uint8Array, start: number, end: number, name: string): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) if ((buf[start + i] | 0x20) !== name.charCodeAt(i)) return false;
  return true;
}

/** Which kept header a name is (full or compact form, RFC 3261 20), or -1. */
function headerIndex(buf: Uint8Array, s: number, e: number): number {
  switch (e - s) {
    case 1:
      switch (buf[s] | 0x20) {
        case 0x69: return H_CALL_ID; // i
        case 0x66: return H_FROM; // f
        case 0x74: return H_TO; // t
        case 0x6c: return H_CONTENT_LENGTH; // l
        case 0x63: return H_CONTENT_TYPE; // c
        case 0x65: return H_CONTENT_ENCODING; // e
        default: return -1;
      }
    case 2:
      return nameIs(buf, s, e, 'to') ? H_TO : -1;
    case 4:
      return nameIs(buf, s, e, 'from') ? H_FROM : nameIs(buf, s, e, 'cseq') ? H_CSEQ : -1;
    case 7:
      return nameIs(buf, s, e, 'call-id') ? H_CALL_ID : -1;
    case 10:
      return nameIs(buf, s, e, 'user-agent') ? H_USER_AGENT : -1;
    case 12:
      return nameIs(buf, s, e, 'content-type') ? H_CONTENT_TYPE : -1;
    case 14:
      return nameIs(buf, s, e, 'content-length') ? H_CONTENT_LENGTH : -1;
    case 16:
      return nameIs(buf, s, e, 'content-encoding') ? H_CONTENT_ENCODING : -1;
    default:
      return -1;
  }
}

/**
 * Scan one message starting at `p` (leading CRLFs allowed) up to `end`:
 * start line and header section into `scan`. False when it is not SIP.
 */
function scanMessage(buf: Uint8Array, p: number, end: number): boolean {
  scan.bodyStart = -1;
  scan.valueStart.fill(-1);
  scan.valueEnd.fill(-1);
  p = skipLineEnds(buf, p, end);
  const firstEnd = lineEnd(buf, p, end, false);
  if (firstEnd < 0 || !startLine(buf, p, firstEnd)) return false;
  let pos = nextLine;
  while (pos < end) {
    const stop = lineEnd(buf, pos, end, false);
    if (stop < 0) return true; // the last line is cut: dropped (see the module comment)
    if (stop === pos) {
      scan.bodyStart = nextLine;
      return true;
    }
    // Its extent: this line plus the continuation lines after it.
    let valueEnd = stop;
    let next = nextLine;
    while (next < end && isWsp(buf[next])) {
      const stop2 = lineEnd(buf, next, end, false);
      if (stop2 < 0) return true; // cut inside a folded value: dropped
      valueEnd = stop2;
      next = nextLine;
    }
    // Nothing after it yet: the next line could still be a continuation of it, so it may be cut.
    if (next >= end) return true;
    // A stray continuation line right after the start line has no header to continue: skipped.
    if (!isWsp(buf[pos])) {
      let q = pos;
      while (q < stop && TOKEN[buf[q]] === 1) q++;
      const nameEnd = q;
      while (q < stop && isWsp(buf[q])) q++;
      if (nameEnd > pos && q < stop && buf[q] === COLON) {
        const h = headerIndex(buf, pos, nameEnd);
        if (h >= 0 && scan.valueStart[h] < 0) {
          let vs = q + 1;
          while (vs < valueEnd && (isWsp(buf[vs]) || buf[vs] === CR || buf[vs] === LF)) vs++;
          let ve = valueEnd;
          while (ve > vs && (isWsp(buf[ve - 1]) || buf[ve - 1] === CR || buf[ve - 1] === LF)) ve--;
          scan.valueStart[h] = vs;
          scan.valueEnd[h] = ve;
        }
      }
    }
    pos = next;
  }
  return true;
}

/** Content-Length as a number; -1 when absent, -2 when not a decimal number. */
function contentLength(buf: Uint8Array): number {
  const s = scan.valueStart[H_CONTENT_LENGTH];
  if (s < 0) return -1;
  const e = scan.valueEnd[H_CONTENT_LENGTH];
  if (e === s || e - s > 9) return -2;
  let n = 0;
  for (let i = s; i < e; i++) {
    if (!isDigit(buf[i])) return -2;
    n = n * 10 + buf[i] - 0x30;
  }
  return n;
}

// ---------------------------------------------------------------------------
// Strings for the returned values

function text(buf: Uint8Array, s: number, e: number): string {
  bytes ??= Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return bytes.toString('utf8', s, e);
}

/** A header value with each fold (CRLF followed by whitespace) replaced by one space. */
function headerText(buf: Uint8Array, h: number): string | null {
  const s = scan.valueStart[h];
  const e = scan.valueEnd[h];
  if (s < 0 || e === s) return null;
  const v = text(buf, s, e);
  return hasLineBreak(buf, s, e) ? v.replace(/(?:\r\n|\r|\n)[ \t]*/g, ' ') : v;
}

/**
 * The URI of a From/To value (RFC 3261 20.20): inside <...> for the
 * name-addr form (the '<' outside a quoted display name), else the addr-spec
 * up to the first ';' (its parameters are header parameters, RFC 3261 20).
 */
function addressUri(buf: Uint8Array, h: number): string | null {
  const s = scan.valueStart[h];
  if (s < 0) return null;
  const e = scan.valueEnd[h];
  const lt = angleOpen(buf, s, e);
  if (lt === UNCLOSED_QUOTE) return null;
  if (lt >= 0) {
    let j = lt + 1;
    while (j < e && buf[j] !== GT) j++;
    return j < e ? trimmedText(buf, lt + 1, j) : null;
  }
  // addr-spec: scheme ":" ..., up to the first ';' or whitespace.
  if (!isAlpha(buf[s])) return null;
  let j = s + 1;
  while (j < e && (isAlpha(buf[j]) || isDigit(buf[j]) || buf[j] === 0x2b || buf[j] === DASH || buf[j] === 0x2e)) j++;
  if (j >= e || buf[j] !== COLON) return null;
  while (j < e && buf[j] !== SEMI && !isWsp(buf[j]) && buf[j] !== CR && buf[j] !== LF) j++;
  return text(buf, s, j);
}

const UNCLOSED_QUOTE = -2;
const isAlpha = (c: number): boolean => ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);

/**
 * Offset of the '<' opening the name-addr of a From/To value in [s, e); -1
 * for the addr-spec form (a ';' or the end comes first). A quoted-string can
 * only be the display name, at the start of the value: '<' and ';' inside it
 * do not count, and UNCLOSED_QUOTE is returned when it never closes.
 */
function angleOpen(buf: Uint8Array, s: number, e: number): number {
  let i = s;
  if (buf[i] === QUOTE) {
    for (i++; i < e && buf[i] !== QUOTE; i++) if (buf[i] === BACKSLASH) i++;
    if (i >= e) return UNCLOSED_QUOTE;
    i++;
  }
  for (; i < e; i++) {
    if (buf[i] === LT) return i;
    if (buf[i] === SEMI) return -1;
  }
  return -1;
}

function trimmedText(buf: Uint8Array, s: number, e: number): string | null {
  while (s < e && isWsp(buf[s])) s++;
  while (e > s && isWsp(buf[e - 1])) e--;
  return e > s ? text(buf, s, e) : null;
}

// ---------------------------------------------------------------------------
// Bodies: Content-Type, multipart, SDP

/** Does [s, e) start with a media type (case-insensitive) followed by its end, whitespace or ';'? */
function mediaTypeIs(buf: Uint8Array, s: number, e: number, type: string): boolean {
  if (e - s < type.length) return false;
  for (let i = 0; i < type.length; i++) if ((buf[s + i] | 0x20) !== type.charCodeAt(i)) return false;
  const after = s + type.length;
  return after === e || isWsp(buf[after]) || buf[after] === SEMI;
}

/** Media type starting with "multipart/" (any subtype). */
function isMultipart(buf: Uint8Array, s: number, e: number): boolean {
  const prefix = 'multipart/';
  if (e - s <= prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if ((buf[s + i] | 0x20) !== prefix.charCodeAt(i)) return false;
  return true;
}

// The boundary parameter of a multipart Content-Type, as offsets (no string).
let boundaryStart = 0;
let boundaryEnd = 0;

/** Find `boundary=` among the Content-Type parameters in [s, e); false when absent or empty. */
function findBoundary(buf: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    if (buf[i] !== SEMI) continue;
    let p = i + 1;
    while (p < e && isWsp(buf[p])) p++;
    if (!nameIs(buf, p, Math.min(p + 8, e), 'boundary')) continue;
    p += 8;
    while (p < e && isWsp(buf[p])) p++;
    if (p >= e || buf[p] !== EQ) continue;
    p++;
    while (p < e && isWsp(buf[p])) p++;
    let q: number;
    if (buf[p] === QUOTE) {
      p++;
      q = p;
      while (q < e && buf[q] !== QUOTE) q++;
    } else {
      q = p;
      while (q < e && buf[q] !== SEMI && !isWsp(buf[q])) q++;
    }
    if (q === p) return false;
    boundaryStart = p;
    boundaryEnd = q;
    return true;
  }
  return false;
}

/** "--boundary" at p? */
function isDelimiter(buf: Uint8Array, p: number, end: number): boolean {
  const n = boundaryEnd - boundaryStart;
  if (p + 2 + n > end || buf[p] !== DASH || buf[p + 1] !== DASH) return false;
  for (let i = 0; i < n; i++) if (buf[p + 2 + i] !== buf[boundaryStart + i]) return false;
  return true;
}

/** Offset of the next line starting with "--boundary" at or after p, or -1. */
function nextDelimiter(buf: Uint8Array, p: number, end: number): number {
  if (isDelimiter(buf, p, end)) return p;
  for (;;) {
    if (lineEnd(buf, p, end, true) < 0) return -1;
    p = nextLine;
    if (isDelimiter(buf, p, end)) return p;
  }
}

/** SDP media of the first application/sdp part of a multipart body in [s, e). */
function multipartMedia(buf: Uint8Array, s: number, e: number, out: SdpMedia[]): void {
  const n = boundaryEnd - boundaryStart;
  let d = nextDelimiter(buf, s, e);
  while (d >= 0) {
    const after = d + 2 + n;
    if (after + 1 < e && buf[after] === DASH && buf[after + 1] === DASH) return; // close delimiter
    if (lineEnd(buf, after, e, true) < 0) return;
    const partStart = nextLine;
    const nextD = nextDelimiter(buf, partStart, e);
    if (nextD < 0) return; // a part without its closing delimiter is cut: not parsed
    // The CRLF before a delimiter belongs to the delimiter (RFC 2046 5.1.1).
    let partEnd = nextD;
    if (partEnd > partStart && buf[partEnd - 1] === LF) partEnd--;
    if (partEnd > partStart && buf[partEnd - 1] === CR) partEnd--;
    // Part headers: only Content-Type matters.
    let p = partStart;
    let isSdp = false;
    let bodyStart = -1;
    while (p < partEnd) {
      const l = lineEnd(buf, p, partEnd, true);
      const stop = l < 0 ? partEnd : l;
      const next = l < 0 ? partEnd : nextLine;
      if (stop === p) {
        bodyStart = next;
        break;
      }
      let q = p;
      while (q < stop && TOKEN[buf[q]] === 1) q++;
      const nameEnd = q;
      while (q < stop && isWsp(buf[q])) q++;
      if (q < stop && buf[q] === COLON && (nameIs(buf, p, nameEnd, 'content-type') || nameIs(buf, p, nameEnd, 'c'))) {
        q++;
        while (q < stop && isWsp(buf[q])) q++;
        isSdp = mediaTypeIs(buf, q, stop, 'application/sdp');
      }
      p = next;
    }
    if (isSdp && bodyStart >= 0) {
      sdpMedia(buf, bodyStart, partEnd, out);
      return;
    }
    d = nextD;
  }
}

/** First whitespace-delimited word in [p, e): sets wordEnd, returns its start (== wordEnd when none). */
let wordEnd = 0;
function word(buf: Uint8Array, p: number, e: number): number {
  while (p < e && buf[p] === SP) p++;
  let q = p;
  while (q < e && buf[q] !== SP && buf[q] !== HT) q++;
  wordEnd = q;
  return p;
}

/**
 * Connection address of a c= value in [s, e) (RFC 4566 5.7):
 * "IN IP4|IP6 address[/ttl][/count]"; null unless IN and IP4/IP6.
 */
function connectionAddress(buf: Uint8Array, s: number, e: number): string | null {
  const nt = word(buf, s, e);
  if (!nameIs(buf, nt, wordEnd, 'in')) return null;
  const at = word(buf, wordEnd, e);
  if (!nameIs(buf, at, wordEnd, 'ip4') && !nameIs(buf, at, wordEnd, 'ip6')) return null;
  const a = word(buf, wordEnd, e);
  let ae = a;
  while (ae < wordEnd && buf[ae] !== SLASH) ae++;
  return ae > a ? text(buf, a, ae) : null;
}

/** The media of an SDP body in [s, e), appended to `out`. */
function sdpMedia(buf: Uint8Array, s: number, e: number, out: SdpMedia[]): void {
  let sessionAddress: string | null = null;
  // The media of the last m= line (null when that line was unusable) and whether it has its own c= yet.
  let current: SdpMedia | null = null;
  let currentHasAddress = false;
  let inMediaSection = false;
  const first = out.length;
  let p = s;
  while (p < e) {
    const l = lineEnd(buf, p, e, true);
    const stop = l < 0 ? e : l;
    const next = l < 0 ? e : nextLine;
    if (stop - p >= 2 && buf[p + 1] === EQ) {
      const kind = buf[p];
      if (kind === 0x6d /* m */) {
        current = mediaLine(buf, p + 2, stop);
        currentHasAddress = false;
        inMediaSection = true;
        if (current !== null) out.push(current);
      } else if (kind === 0x63 /* c */) {
        if (!inMediaSection) {
          // Session level: the first usable c= wins.
          if (sessionAddress === null) sessionAddress = connectionAddress(buf, p + 2, stop);
        } else if (current !== null && !currentHasAddress) {
          const a = connectionAddress(buf, p + 2, stop);
          if (a !== null) {
            current.address = a;
            currentHasAddress = true;
          }
        }
      }
    }
    p = next;
  }
  if (sessionAddress !== null) {
    for (let i = first; i < out.length; i++) if (out[i].address === null) out[i].address = sessionAddress;
  }
}

/** An m= value "media port[/count] proto fmt..." in [s, e), or null when the port is not a number <= 65535. */
function mediaLine(buf: Uint8Array, s: number, e: number): SdpMedia | null {
  const t = word(buf, s, e);
  const te = wordEnd;
  if (te === t) return null;
  const ps = word(buf, te, e);
  const pe = wordEnd;
  let port = 0;
  let q = ps;
  while (q < pe && isDigit(buf[q]) && q - ps < 6) port = port * 10 + buf[q++] - 0x30;
  if (q === ps || port > 65535 || (q < pe && buf[q] !== SLASH)) return null;
  const pr = word(buf, pe, e);
  const pre = wordEnd;
  if (pre === pr) return null;
  return { type: text(buf, t, te), address: null, port, protocol: text(buf, pr, pre) };
}

/** Media announced by the body in [s, e), per Content-Type / Content-Encoding. */
function bodyMedia(buf: Uint8Array, s: number, e: number): SdpMedia[] {
  const media: SdpMedia[] = [];
  const ct = scan.valueStart[H_CONTENT_TYPE];
  if (ct < 0 || e <= s) return media;
  const enc = scan.valueStart[H_CONTENT_ENCODING];
  if (enc >= 0 && !mediaTypeIs(buf, enc, scan.valueEnd[H_CONTENT_ENCODING], 'identity')) return media;
  const cte = scan.valueEnd[H_CONTENT_TYPE];
  if (mediaTypeIs(buf, ct, cte, 'application/sdp')) sdpMedia(buf, s, e, media);
  else if (isMultipart(buf, ct, cte) && findBoundary(buf, ct, cte)) multipartMedia(buf, s, e, media);
  return media;
}

// ---------------------------------------------------------------------------
// API

function validBounds(buf: Uint8Array, off: number, len: number): boolean {
  return Number.isInteger(off) && Number.isInteger(len) && off >= 0 && len > 0 && off + len <= buf.length;
}

/** One SIP message in a UDP datagram (or one message taken off a TCP stream). null when not SIP or malformed. Never throws. */
export function parseSip(buf: Uint8Array, off: number, len: number): SipMessage | null {
  if (!validBounds(buf, off, len)) return null;
  const end = off + len;
  if (!scanMessage(buf, off, end)) return null;
  try {
    return message(buf, end);
  } finally {
    bytes = null;
  }
}

/** The returned object, from a successful scan. */
function message(buf: Uint8Array, end: number): SipMessage {

  let media: SdpMedia[] = [];
  if (scan.bodyStart >= 0) {
    const cl = contentLength(buf);
    // Without Content-Length the body is the rest of the datagram (RFC 3261 18.3).
    const bodyEnd = cl === -1 ? end : cl >= 0 && scan.bodyStart + cl <= end ? scan.bodyStart + cl : -1;
    if (bodyEnd > scan.bodyStart) media = bodyMedia(buf, scan.bodyStart, bodyEnd);
  }

  let cseqNumber = 0;
  let cseqMethod: string | null = null;
  const cs = scan.valueStart[H_CSEQ];
  if (cs >= 0) {
    const ce = scan.valueEnd[H_CSEQ];
    let q = cs;
    let n = 0;
    while (q < ce && isDigit(buf[q]) && q - cs < MAX_CSEQ_DIGITS) n = n * 10 + buf[q++] - 0x30;
    const digits = q - cs;
    if (digits > 0 && n <= 0xffffffff && (q === ce || !isDigit(buf[q]))) {
      cseqNumber = n;
      while (q < ce && (isWsp(buf[q]) || buf[q] === CR || buf[q] === LF)) q++;
      // The method as sent: up to whitespace (a method is a token, but a broken byte should not cut it short).
      const ms = q;
      while (q < ce && buf[q] > SP && buf[q] !== 0x7f) q++;
      if (q > ms) cseqMethod = text(buf, ms, q);
    }
  }

  return {
    isRequest: scan.isRequest,
    method: scan.isRequest ? text(buf, scan.methodStart, scan.methodEnd) : null,
    statusCode: scan.statusCode,
    requestUri: scan.isRequest ? text(buf, scan.uriStart, scan.uriEnd) : null,
    callId: headerText(buf, H_CALL_ID),
    from: headerText(buf, H_FROM),
    fromUri: addressUri(buf, H_FROM),
    to: headerText(buf, H_TO),
    toUri: addressUri(buf, H_TO),
    cseqNumber,
    cseqMethod,
    userAgent: headerText(buf, H_USER_AGENT),
    media,
  };
}

/**
 * For stream transports (TCP): the length of the SIP message at the start of
 * [off, off + len), including CRLFs before its start line and its body
 * (Content-Length, taken as 0 when absent: it is mandatory on streams,
 * RFC 3261 18.3). 0 when the bytes are not SIP or the Content-Length is not a
 * number (the stream cannot be framed), -1 when more bytes are needed.
 */
export function sipMessageLength(buf: Uint8Array, off: number, len: number): number {
  if (!validBounds(buf, off, len)) return 0;
  const end = off + len;
  const p = skipLineEnds(buf, off, end);
  if (p === end) return -1;
  if (lineEnd(buf, p, end, false) < 0) return startLinePrefix(buf, p, end) ? -1 : 0;
  if (!scanMessage(buf, off, end)) return 0;
  if (scan.bodyStart < 0) return -1;
  const cl = contentLength(buf);
  if (cl === -2) return 0;
  const total = scan.bodyStart + Math.max(cl, 0) - off;
  return total <= len ? total : -1;
}

/** Longest start line a stream may still be waiting for the end of. */
const MAX_START_LINE = 8192;
const VERSION_SP = 'sip/2.0 ';

/** Do the bytes of [p, end) match the start of "SIP/2.0 " (letters in any case)? */
function versionPrefix(buf: Uint8Array, p: number, end: number, withSpace: boolean): boolean {
  const n = Math.min(end - p, withSpace ? 8 : 7);
  for (let i = 0; i < n; i++) {
    const c = i < 3 ? buf[p + i] | 0x20 : buf[p + i];
    if (c !== VERSION_SP.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Could the unterminated first line in [p, end) still become a SIP start
 * line: a prefix of "SIP/2.0 " or of `token SP URI SP SIP/2.0`?
 */
function startLinePrefix(buf: Uint8Array, p: number, end: number): boolean {
  if (end - p > MAX_START_LINE) return false;
  for (let i = p; i < end; i++) if (isCtl(buf[i])) return false;
  if (versionPrefix(buf, p, end, true)) return true;
  let q = p;
  while (q < end && TOKEN[buf[q]] === 1) q++;
  if (q === p || q - p > MAX_METHOD) return false;
  if (q === end) return true;
  if (buf[q] !== SP) return false;
  const uri = ++q;
  while (q < end && buf[q] !== SP) q++;
  if (q === end) return true;
  if (q === uri) return false;
  return versionPrefix(buf, q + 1, end, false);
}

/** Cheap check on the first bytes: a SIP request line or 'SIP/2.0 ' status line. */
export function looksLikeSip(buf: Uint8Array, off: number, len: number): boolean {
  if (!validBounds(buf, off, len)) return false;
  const end = off + len;
  if (isVersion(buf, off, end)) {
    // "SIP/2.0 " and a status code 100..699, then SP, a line end or the end of the bytes given.
    const c = off + 8;
    if (c + 3 > end || buf[off + 7] !== SP || buf[c] < 0x31 || buf[c] > 0x36 || !isDigit(buf[c + 1]) || !isDigit(buf[c + 2])) return false;
    return c + 3 === end || buf[c + 3] === SP || buf[c + 3] === CR || buf[c + 3] === LF;
  }
  // Request-Line: token SP URI-with-':' SP SIP/2.0 (CR)LF.
  let q = off;
  while (q < end && TOKEN[buf[q]] === 1) q++;
  if (q === off || q - off > MAX_METHOD || q >= end || buf[q] !== SP) return false;
  const uri = ++q;
  let colon = false;
  while (q < end && buf[q] !== SP) {
    const c = buf[q];
    if (c === COLON) colon = true;
    else if (isCtl(c) || c === HT) return false;
    q++;
  }
  if (!colon || q === uri || !isVersion(buf, q + 1, end)) return false;
  const after = q + 8;
  return after < end && (buf[after] === CR || buf[after] === LF || isWsp(buf[after]));
}
