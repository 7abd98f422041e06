/**
 * DNS messages (RFC 1035 4.1) and DNS over TCP framing (RFC 1035 4.2.2,
 * RFC 7766 8). mDNS (RFC 6762) and LLMNR (RFC 4795) use the same message
 * format on other ports, so the same parser serves them.
 *
 * `parseDns` reads the header and the first question by offsets into the
 * capture buffer, into a DnsMessage the pipeline reuses; it builds a string
 * only for the query name, and only when asked. It never throws.
 *
 * A payload is accepted as DNS when (the rules keep other traffic on port 53,
 * say DNSCrypt, from being read as DNS):
 *  - it holds the 12-octet header and the opcode is assigned (QUERY, IQUERY,
 *    STATUS, NOTIFY, UPDATE, DSO: RFC 1035, 1996, 2136, 8490);
 *  - with QDCOUNT >= 1, the first question parses: a valid name followed by
 *    QTYPE and QCLASS;
 *  - with QDCOUNT = 0, the message is one of the kinds that legitimately have
 *    no question, and the first record it has (if any) parses in its place:
 *      * a response: servers answer FORMERR/NOTIMP/REFUSED without echoing
 *        the question, and AXFR continuation messages have none (RFC 5936
 *        2.2.1);
 *      * an inverse query (IQUERY, RFC 1035 6.4.1: empty question, one
 *        answer record), which therefore needs ANCOUNT >= 1;
 *      * a DSO message (RFC 8490 5.4: all four counts are zero);
 *      * a standard query that carries only an OPT record, which is how a
 *        client asks for a server cookie (RFC 7873 5.4): ARCOUNT >= 1 and no
 *        answer or authority records.
 *    An UPDATE always names its zone (RFC 2136 3.1.1: ZOCOUNT is 1), NOTIFY
 *    and STATUS queries their subject: those need a question.
 * Questions and records after the first are not checked: a datagram
 * truncated by the sender (TC) or by a snap length is still DNS.
 *
 * Names (RFC 1035 3.1, 4.1.4): labels of at most 63 octets; at most 255
 * octets on the wire once pointers are followed; label types 0x40 and 0x80
 * (RFC 6891 deprecates the extended ones) are invalid; a compression pointer
 * must point before the start of the labels being read (the name itself or
 * the name segment it jumped to), so every jump moves strictly backward and a
 * loop is impossible; jumps are also capped.
 *
 * The query name is shown the way tshark 4.0 shows dns.qry.name, so the two
 * can be compared and operators see familiar text: labels joined with '.'
 * (a '.' or '\' inside a label is not escaped), "<Root>" for the root,
 * control octets as C escapes (\t, \n...) or three-digit octal (\001),
 * octets >= 0x80 decoded as UTF-8 where they form a sequence (overlong forms
 * included), U+FFFD for each invalid sequence, and code points that are not
 * printable (controls, format characters, unassigned ones) as \uXXXX or
 * \UXXXXXXXX. Printability uses this runtime's Unicode tables, which may be
 * newer than tshark's.
 */
import { u16 } from '../capture/bytes';

export const DNS_PORT = 53;

/** Reused per pipeline: parseDns overwrites every field. */
export class DnsMessage {
  id = 0;
  isResponse = false;
  opcode = 0;
  /** header RCODE (4 bits) */
  rcode = 0;
  truncated = false;
  questionCount = 0;
  answerCount = 0;
  authorityCount = 0;
  additionalCount = 0;
  /** First question's name, built only when wantName; '.'-joined labels without trailing dot, '<Root>' for the root (as tshark shows it) */
  queryName: string | null = null;
  queryType = 0;
  /** The 16 bits as sent: in mDNS the top bit is the unicast-response (QU) flag, RFC 6762 5.4. */
  queryClass = 0;
}

const HEADER_LENGTH = 12;
/** QTYPE and QCLASS after the question name. */
const QUESTION_FIXED_LENGTH = 4;
/** TYPE, CLASS, TTL, RDLENGTH after a record's name. */
const RECORD_FIXED_LENGTH = 10;

const Opcode = { Query: 0, IQuery: 1, Status: 2, Notify: 4, Update: 5, Dso: 6 } as const;
/** Bit n set: opcode n is assigned (IANA DNS OPCODEs registry). */
const ASSIGNED_OPCODES = (1 << Opcode.Query) | (1 << Opcode.IQuery) | (1 << Opcode.Status) | (1 << Opcode.Notify) | (1 << Opcode.Update) | (1 << Opcode.Dso);

const MAX_LABEL_LENGTH = 63;
const MAX_NAME_WIRE_LENGTH = 255;
const POINTER_BITS = 0xc0;
/**
 * Jumps followed in one name. Since each jump must go strictly backward this
 * is only a cost bound; a name of 255 octets has at most 127 labels, so even
 * a name compressed after every label needs fewer.
 */
const MAX_POINTER_JUMPS = 128;

/**
 * The text of the name being read, '.'-separated, before display escaping:
 * at most 253 octets (255 on the wire minus the first length octet and the
 * root). Module-level so that decoding a name allocates nothing but the
 * string returned.
 */
const nameText = Buffer.alloc(MAX_NAME_WIRE_LENGTH);
let nameTextLength = 0;
/** Set when nameText holds an octet that is not printable ASCII. */
let nameNeedsEscaping = false;

/**
 * Walks the name at `pos` in the message that starts at `msgStart`. Returns
 * the offset right after the name where it is written (after its root label
 * or its first pointer), or -1 when it is not a valid name inside [msgStart,
 * end). With `collect`, its labels are copied into nameText.
 */
function walkName(buf: Uint8Array, msgStart: number, pos: number, end: number, collect: boolean): number {
  let after = -1;
  let segmentStart = pos;
  let wireLength = 0;
  let jumps = 0;
  let n = 0;
  let escaping = false;
  for (;;) {
    if (pos >= end) return -1;
    const octet = buf[pos];
    if (octet === 0) {
      if (collect) {
        nameTextLength = n;
        nameNeedsEscaping = escaping;
      }
      return after < 0 ? pos + 1 : after;
    }
    if ((octet & POINTER_BITS) === POINTER_BITS) {
      if (pos + 1 >= end) return -1;
      const target = msgStart + (((octet & 0x3f) << 8) | buf[pos + 1]);
      if (target >= segmentStart || ++jumps > MAX_POINTER_JUMPS) return -1;
      if (after < 0) after = pos + 2;
      pos = segmentStart = target;
      continue;
    }
    if (octet > MAX_LABEL_LENGTH) return -1; // types 0x40 (extended) and 0x80 (reserved)
    const labelEnd = pos + 1 + octet;
    // The root octet that must follow is counted too.
    wireLength += 1 + octet;
    if (labelEnd >= end || wireLength + 1 > MAX_NAME_WIRE_LENGTH) return -1;
    if (collect) {
      if (n > 0) nameText[n++] = 0x2e;
      for (let i = pos + 1; i < labelEnd; i++) {
        const c = buf[i];
        if (c < 0x20 || c > 0x7e) escaping = true;
        nameText[n++] = c;
      }
    }
    pos = labelEnd;
  }
}

/** The name collected by walkName, as tshark displays it. */
function collectedNameText(): string {
  if (nameTextLength === 0) return '<Root>';
  if (!nameNeedsEscaping) return nameText.toString('latin1', 0, nameTextLength);
  return escapedText(nameText, nameTextLength);
}

const C_ESCAPES: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r' };
/** Controls, format characters and unassigned code points (surrogates never get here). */
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cn}]/u;
const REPLACEMENT = '\ufffd';

/**
 * Slow path for names with octets outside printable ASCII. Single octets
 * below 0x80 get C or octal escapes; from 0x80 on, a lead octet announces 1
 * to 5 continuation octets (the original, pre-RFC 3629 UTF-8 forms) and the
 * decoded code point is kept, escaped when not printable, or replaced by
 * U+FFFD when it is a surrogate or beyond U+10FFFF. A sequence that breaks
 * off becomes one U+FFFD and the octet that broke it is read again.
 */
function escapedText(bytes: Uint8Array, length: number): string {
  let out = '';
  let i = 0;
  while (i < length) {
    const c = bytes[i];
    if (c < 0x80) {
      i++;
      if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
      else out += C_ESCAPES[c] ?? '\\' + c.toString(8).padStart(3, '0');
      continue;
    }
    const continuations = c >= 0xfe ? -1 : c >= 0xfc ? 5 : c >= 0xf8 ? 4 : c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : -1;
    i++;
    if (continuations < 0) {
      out += REPLACEMENT;
      continue;
    }
    let cp = c & (0x3f >> continuations);
    let k = 0;
    while (k < continuations && i < length && (bytes[i] & 0xc0) === 0x80) {
      cp = cp * 64 + (bytes[i] & 0x3f);
      i++;
      k++;
    }
    if (k < continuations || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      out += REPLACEMENT;
      continue;
    }
    const ch = String.fromCodePoint(cp);
    if (!NOT_PRINTABLE.test(ch)) out += ch;
    else if (cp <= 0xffff) out += '\\u' + cp.toString(16).toUpperCase().padStart(4, '0');
    else out += '\\U' + cp.toString(16).toUpperCase().padStart(8, '0');
  }
  return out;
}

/** Offset after the resource record at `pos`, or -1 when it does not fit. */
function skipRecord(buf: Uint8Array, msgStart: number, pos: number, end: number): number {
  const fixed = walkName(buf, msgStart, pos, end, false);
  if (fixed < 0 || fixed + RECORD_FIXED_LENGTH > end) return -1;
  const recordEnd = fixed + RECORD_FIXED_LENGTH + u16(buf, fixed + 8);
  return recordEnd <= end ? recordEnd : -1;
}

/** Type of the resource record at `pos` (already known to fit). */
function recordType(buf: Uint8Array, msgStart: number, pos: number, end: number): number {
  return u16(buf, walkName(buf, msgStart, pos, end, false));
}

const TYPE_OPT = 41;

/** QDCOUNT = 0: is this one of the messages that may have no question (see the module comment)? */
function plausibleWithoutQuestion(buf: Uint8Array, msgStart: number, end: number, out: DnsMessage): boolean {
  const records = out.answerCount + out.authorityCount + out.additionalCount;
  if (!out.isResponse) {
    switch (out.opcode) {
      case Opcode.IQuery:
        if (out.answerCount === 0) return false;
        break;
      case Opcode.Dso:
        if (records !== 0) return false;
        break;
      case Opcode.Query:
        if (out.additionalCount === 0 || out.answerCount + out.authorityCount !== 0) return false;
        break;
      default:
        return false;
    }
  }
  if (records === 0) return true;
  const first = msgStart + HEADER_LENGTH;
  if (skipRecord(buf, msgStart, first, end) < 0) return false;
  // The cookie query's lone record section must start with an OPT record.
  return out.isResponse || out.opcode !== Opcode.Query || recordType(buf, msgStart, first, end) === TYPE_OPT;
}

/**
 * Reads the DNS message in buf[off..off+len). Returns false when it is not a
 * plausible DNS message (see the module comment); the fields are then reset
 * or partly filled and must not be used. Never throws.
 */
export function parseDns(buf: Uint8Array, off: number, len: number, out: DnsMessage, wantName: boolean): boolean {
  out.queryName = null;
  out.queryType = 0;
  out.queryClass = 0;
  if (!Number.isInteger(off) || !Number.isInteger(len) || off < 0 || len < HEADER_LENGTH || off + len > buf.length) {
    out.id = 0;
    out.isResponse = false;
    out.opcode = 0;
    out.rcode = 0;
    out.truncated = false;
    out.questionCount = out.answerCount = out.authorityCount = out.additionalCount = 0;
    return false;
  }
  const end = off + len;
  const flags = u16(buf, off + 2);
  out.id = u16(buf, off);
  out.isResponse = (flags & 0x8000) !== 0;
  out.opcode = (flags >> 11) & 0xf;
  out.truncated = (flags & 0x0200) !== 0;
  out.rcode = flags & 0xf;
  out.questionCount = u16(buf, off + 4);
  out.answerCount = u16(buf, off + 6);
  out.authorityCount = u16(buf, off + 8);
  out.additionalCount = u16(buf, off + 10);
  if ((ASSIGNED_OPCODES & (1 << out.opcode)) === 0) return false;
  if (out.questionCount === 0) return plausibleWithoutQuestion(buf, off, end, out);

  const nameStart = off + HEADER_LENGTH;
  const fixed = walkName(buf, off, nameStart, end, wantName);
  if (fixed < 0 || fixed + QUESTION_FIXED_LENGTH > end) return false;
  out.queryType = u16(buf, fixed);
  out.queryClass = u16(buf, fixed + 2);
  if (wantName) out.queryName = collectedNameText();
  return true;
}

/** Longest DNS message over TCP: the length prefix is 16 bits. */
const MAX_TCP_MESSAGE = 0xffff;

/**
 * DNS over TCP (RFC 1035 4.2.2 / RFC 7766): 2-byte length prefix, several
 * messages per segment, messages split across segments. One per direction.
 * The partial message buffer grows to the largest message seen (at most 64
 * KiB) and is kept for the next ones.
 */
export class DnsTcpFramer {
  /** Length of the message being read; -1 while reading its prefix. */
  private expected = -1;
  /** First octet of a length prefix split across segments; -1 when none. */
  private prefixHigh = -1;
  private partial: Uint8Array = new Uint8Array(0);
  private partialLength = 0;

  constructor(private readonly onMessage: (buf: Uint8Array, off: number, len: number) => void) {}

  /** In-order new bytes of this direction (the caller trims retransmissions with TcpSequence). Complete messages are passed to onMessage, from the given buffer when whole inside it, otherwise from an internal copy. */
  feed(buf: Uint8Array, off: number, len: number): void {
    if (!Number.isInteger(off) || !Number.isInteger(len) || off < 0 || len <= 0 || off + len > buf.length) return;
    let pos = off;
    const end = off + len;
    while (pos < end) {
      if (this.expected < 0) {
        if (this.prefixHigh >= 0) {
          this.expected = (this.prefixHigh << 8) | buf[pos];
          pos += 1;
          this.prefixHigh = -1;
        } else if (end - pos >= 2) {
          this.expected = u16(buf, pos);
          pos += 2;
        } else {
          this.prefixHigh = buf[pos];
          return;
        }
        this.partialLength = 0;
        if (end - pos >= this.expected) {
          // The whole message is in this segment: no copy.
          const length = this.expected;
          this.expected = -1;
          this.onMessage(buf, pos, length);
          pos += length;
          continue;
        }
        if (this.partial.length < this.expected) this.partial = new Uint8Array(Math.min(MAX_TCP_MESSAGE, Math.max(512, 2 * this.expected)));
      }
      const take = Math.min(this.expected - this.partialLength, end - pos);
      // A loop rather than set(subarray()): no view object per segment.
      const partial = this.partial;
      let n = this.partialLength;
      for (let i = pos; i < pos + take; i++) partial[n++] = buf[i];
      this.partialLength = n;
      pos += take;
      if (this.partialLength === this.expected) {
        const length = this.expected;
        this.expected = -1;
        this.partialLength = 0;
        this.onMessage(this.partial, 0, length);
      }
    }
  }

  /** Bytes were lost: drop any partial message and resynchronise at the next segment start. */
  reset(): void {
    this.expected = -1;
    this.prefixHigh = -1;
    this.partialLength = 0;
  }
}
