/**
 * TLS ClientHello: the server name (RFC 6066 3), the ALPN protocol list
 * (RFC 7301 3.1) and the highest version offered (RFC 8446 4.2.1), read from
 * the client direction of a TLS-over-TCP connection, or from the CRYPTO
 * stream of a QUIC Initial (dissectors/quic.ts hands its reassembled
 * handshake message to `parseClientHello`).
 *
 * Everything is read by offset from the caller's buffer. The reader copies
 * bytes only when a ClientHello really spans segments or records (the usual
 * ClientHello sits whole in one segment and is parsed where it lies), and
 * strings are built only for the values returned. Nothing here throws: a
 * truncated or malformed message is a null / Fail.
 */
import { u16, u24 } from '../capture/bytes';

export interface ClientHelloInfo {
  serverName: string | null; // SNI host_name (RFC 6066), as sent
  alpn: string[]; // ALPN protocol names in order (RFC 7301)
  /** Highest version offered: the largest non-GREASE entry of supported_versions (RFC 8446 4.2.1) if present, else legacy_version. e.g. 0x0304 */
  version: number;
}

const EXT_SERVER_NAME = 0;
const EXT_ALPN = 16;
const EXT_SUPPORTED_VERSIONS = 43;
const SNI_HOST_NAME = 0;

const CONTENT_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const RECORD_HEADER = 5;
const HANDSHAKE_HEADER = 4;
/** RFC 8446 5.1: 2^14 plaintext bytes; 2^14 + 2048 is the ciphertext bound, used so that sloppy senders still pass. */
const MAX_RECORD = 16384 + 2048;
/** A ClientHello larger than this is given up on (post-quantum key shares make them ~2 KB; 64 KB is far above any real one). */
export const MAX_CLIENT_HELLO = 65536;

/** RFC 8701: 0x0A0A, 0x1A1A, ... 0xFAFA, reserved so that peers must ignore unknown values. */
export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff);
}

/**
 * Order of versions for "highest offered": the SSL/TLS family 0x03xx by
 * value; TLS 1.3 drafts (0x7fNN, RFC 8446 predecessors) and Facebook's
 * experimental 1.3 code points (0xfbNN) just below the final TLS 1.3, since a
 * client that offers 0x0304 next to 0x7f1c prefers the final one; anything
 * else (DTLS, unknown) below every known version.
 */
function versionRank(v: number): number {
  if (v >= 0x0300 && v <= 0x03ff) return v * 2;
  const hi = v >> 8;
  if (hi === 0x7f || hi === 0xfb) return 0x0304 * 2 - 1;
  return 0;
}

/** The highest of two versions by `versionRank`; ties (unknown values) keep the larger number. */
function higherVersion(a: number, b: number): number {
  const ra = versionRank(a);
  const rb = versionRank(b);
  if (ra !== rb) return ra > rb ? a : b;
  return a >= b ? a : b;
}

/** SNI and ALPN are ASCII in practice; anything else is decoded as UTF-8 (invalid bytes become U+FFFD), as a viewer shows it. */
const utf8 = new TextDecoder('utf-8');
function text(buf: Uint8Array, off: number, len: number): string {
  let ascii = true;
  for (let i = off; i < off + len; i++) {
    if (buf[i] >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (!ascii) return utf8.decode(buf.subarray(off, off + len));
  let s = '';
  for (let i = off; i < off + len; i++) s += String.fromCharCode(buf[i]);
  return s;
}

/**
 * Parses a ClientHello handshake message body (after the 4-byte handshake
 * header): RFC 8446 4.1.2 / RFC 5246 7.4.1.2. Extensions are optional (SSLv3
 * and early TLS clients send none). null when malformed.
 */
export function parseClientHello(buf: Uint8Array, off: number, len: number): ClientHelloInfo | null {
  if (off < 0 || len < 0 || off + len > buf.length) return null;
  const end = off + len;
  let p = off;
  if (p + 2 + 32 + 1 > end) return null;
  const legacyVersion = u16(buf, p);
  p += 2 + 32; // legacy_version, random
  const sessionIdLen = buf[p];
  if (sessionIdLen > 32) return null;
  p += 1 + sessionIdLen;
  if (p + 2 > end) return null;
  const suitesLen = u16(buf, p);
  if (suitesLen < 2 || (suitesLen & 1) !== 0) return null;
  p += 2 + suitesLen;
  if (p + 1 > end) return null;
  const compressionLen = buf[p];
  if (compressionLen < 1) return null;
  p += 1 + compressionLen;
  if (p > end) return null;

  const info: ClientHelloInfo = { serverName: null, alpn: [], version: legacyVersion };
  if (p === end) return info; // no extensions block
  if (p + 2 > end) return null;
  const extEnd = p + 2 + u16(buf, p);
  if (extEnd > end) return null;
  p += 2;
  let seenSni = false;
  let seenAlpn = false;
  let seenVersions = false;
  while (p < extEnd) {
    if (p + 4 > extEnd) return null;
    const type = u16(buf, p);
    const bodyLen = u16(buf, p + 2);
    const body = p + 4;
    p = body + bodyLen;
    if (p > extEnd) return null;
    // A repeated extension is a protocol error (RFC 8446 4.2); the first one counts.
    if (type === EXT_SERVER_NAME && !seenSni) {
      seenSni = true;
      if (!readServerName(buf, body, bodyLen, info)) return null;
    } else if (type === EXT_ALPN && !seenAlpn) {
      seenAlpn = true;
      if (!readAlpn(buf, body, bodyLen, info)) return null;
    } else if (type === EXT_SUPPORTED_VERSIONS && !seenVersions) {
      seenVersions = true;
      if (!readSupportedVersions(buf, body, bodyLen, info)) return null;
    }
  }
  return info;
}

/** RFC 6066 3: ServerNameList; the first host_name entry is the name. An empty extension body is what servers send back, tolerated. */
function readServerName(buf: Uint8Array, off: number, len: number, info: ClientHelloInfo): boolean {
  if (len === 0) return true;
  if (len < 2) return false;
  const listEnd = off + 2 + u16(buf, off);
  if (listEnd > off + len) return false;
  let p = off + 2;
  while (p < listEnd) {
    if (p + 3 > listEnd) return false;
    const nameType = buf[p];
    const nameLen = u16(buf, p + 1);
    const name = p + 3;
    p = name + nameLen;
    if (p > listEnd) return false;
    if (nameType === SNI_HOST_NAME && info.serverName === null) info.serverName = text(buf, name, nameLen);
  }
  return true;
}

/** RFC 7301 3.1: ProtocolNameList of non-empty 8-bit-length strings. */
function readAlpn(buf: Uint8Array, off: number, len: number, info: ClientHelloInfo): boolean {
  if (len < 2) return false;
  const listEnd = off + 2 + u16(buf, off);
  if (listEnd > off + len) return false;
  let p = off + 2;
  while (p < listEnd) {
    const nameLen = buf[p];
    const name = p + 1;
    p = name + nameLen;
    if (nameLen === 0 || p > listEnd) return false;
    info.alpn.push(text(buf, name, nameLen));
  }
  return true;
}

/** RFC 8446 4.2.1: in a ClientHello, an 8-bit-length list of 16-bit versions; GREASE entries skipped. */
function readSupportedVersions(buf: Uint8Array, off: number, len: number, info: ClientHelloInfo): boolean {
  if (len < 1) return false;
  const listLen = buf[off];
  if (listLen + 1 > len || (listLen & 1) !== 0) return false;
  let best = -1;
  for (let p = off + 1; p < off + 1 + listLen; p += 2) {
    const v = u16(buf, p);
    if (isGrease(v)) continue;
    best = best < 0 ? v : higherVersion(best, v);
  }
  if (best >= 0) info.version = best;
  return true;
}

/**
 * SSL 2.0's CLIENT-HELLO (and the SSLv3/TLS clients that still wrap their
 * first hello in it, RFC 5246 E.2): no extensions, only the version. `off`
 * is at msg_type, `len` the message length from the 2-byte record header.
 */
function parseSslv2ClientHello(buf: Uint8Array, off: number, len: number): ClientHelloInfo | null {
  if (len < 9 || buf[off] !== HANDSHAKE_CLIENT_HELLO) return null;
  const version = u16(buf, off + 1);
  const specsLen = u16(buf, off + 3);
  const sessionLen = u16(buf, off + 5);
  const challengeLen = u16(buf, off + 7);
  if (specsLen === 0 || specsLen % 3 !== 0 || 9 + specsLen + sessionLen + challengeLen > len) return null;
  return { serverName: null, alpn: [], version };
}

export const enum HelloProgress {
  More = 0,
  Done = 1,
  Fail = 2,
}

const enum Phase {
  /** Nothing received yet. */
  Start,
  /** Collecting a 5-byte record header. */
  RecordHeader,
  /** Inside a handshake record: `recordLeft` bytes of it to go. */
  RecordBody,
  /** An SSLv2-format hello: `recordLeft` bytes of it to go, collected in `msg`. */
  Sslv2Body,
  Done,
  Fail,
}

/**
 * The client direction of a TLS-over-TCP connection: records spanning
 * segments, a ClientHello spanning several records (bounded by
 * MAX_CLIENT_HELLO). One per flow; feed it in-order new bytes.
 */
export class TlsClientHelloReader {
  private phase = Phase.Start;
  /** The record header being collected (a header may straddle two segments). */
  private readonly recordHeader = new Uint8Array(RECORD_HEADER);
  private recordHeaderHave = 0;
  private recordLeft = 0;
  /** The 4-byte handshake header, possibly split across records or segments. */
  private readonly hsHeader = new Uint8Array(HANDSHAKE_HEADER);
  private hsHeaderHave = 0;
  /** Body length of the ClientHello, -1 before its header is complete. */
  private hsLength = -1;
  /** The body being assembled when it does not arrive in one piece (allocated only then). */
  private msg: Uint8Array | null = null;
  private msgHave = 0;
  private result: ClientHelloInfo | null = null;

  get hello(): ClientHelloInfo | null {
    return this.result;
  }

  /** In-order new bytes of the client direction (the caller trims retransmissions). */
  feed(buf: Uint8Array, off: number, len: number): HelloProgress {
    if (off < 0 || len < 0 || off + len > buf.length) return this.fail();
    const end = off + len;
    let p = off;
    while (p < end) {
      switch (this.phase) {
        case Phase.Done:
          return HelloProgress.Done;
        case Phase.Fail:
          return HelloProgress.Fail;
        case Phase.Start:
          // SSLv2 framing: a 2-byte length with the top bit set, then msg_type 1.
          // A TLS record starts with content type 22, which never has that bit.
          if ((buf[p] & 0x80) !== 0) {
            if (p + 3 > end) return this.fail(); // not worth buffering: SSLv2 hellos arrive whole
            const msgLen = ((buf[p] & 0x7f) << 8) | buf[p + 1];
            if (buf[p + 2] !== HANDSHAKE_CLIENT_HELLO || msgLen < 9) return this.fail();
            p += 2;
            this.phase = Phase.Sslv2Body;
            this.recordLeft = msgLen;
            continue;
          }
          this.phase = Phase.RecordHeader;
          continue;
        case Phase.RecordHeader: {
          if (this.recordHeaderHave === 0 && end - p >= RECORD_HEADER) {
            if (!this.startRecord(buf, p)) return this.fail();
            p += RECORD_HEADER;
          } else {
            const n = Math.min(RECORD_HEADER - this.recordHeaderHave, end - p);
            this.recordHeader.set(buf.subarray(p, p + n), this.recordHeaderHave);
            this.recordHeaderHave += n;
            p += n;
            if (this.recordHeaderHave === RECORD_HEADER) {
              this.recordHeaderHave = 0;
              if (!this.startRecord(this.recordHeader, 0)) return this.fail();
            }
          }
          continue;
        }
        case Phase.RecordBody: {
          const n = Math.min(this.recordLeft, end - p);
          const progress = this.handshakeBytes(buf, p, n);
          p += n;
          this.recordLeft -= n;
          if (progress !== HelloProgress.More) return progress;
          if (this.recordLeft === 0) this.phase = Phase.RecordHeader;
          continue;
        }
        case Phase.Sslv2Body: {
          const n = Math.min(this.recordLeft, end - p);
          if (this.msg === null && n === this.recordLeft) {
            this.result = parseSslv2ClientHello(buf, p, n);
            return this.result ? this.done() : this.fail();
          }
          if (this.msg === null) {
            this.msg = new Uint8Array(this.recordLeft);
            this.msgHave = 0;
          }
          this.msg.set(buf.subarray(p, p + n), this.msgHave);
          this.msgHave += n;
          this.recordLeft -= n;
          p += n;
          if (this.recordLeft === 0) {
            this.result = parseSslv2ClientHello(this.msg, 0, this.msgHave);
            this.msg = null;
            return this.result ? this.done() : this.fail();
          }
          continue;
        }
      }
    }
    return this.progress();
  }

  /** Bytes were lost: the hello in progress cannot be completed. Before any byte arrived there is nothing to lose. */
  gap(): void {
    if (this.phase === Phase.Start || this.phase === Phase.Done || this.phase === Phase.Fail) return;
    this.fail();
  }

  private progress(): HelloProgress {
    if (this.phase === Phase.Done) return HelloProgress.Done;
    if (this.phase === Phase.Fail) return HelloProgress.Fail;
    return HelloProgress.More;
  }

  /** A record header at buf[p]: only handshake records may carry the client's first flight. */
  private startRecord(buf: Uint8Array, p: number): boolean {
    const contentType = buf[p];
    const versionMajor = buf[p + 1];
    const length = u16(buf, p + 3);
    if (contentType !== CONTENT_HANDSHAKE || versionMajor !== 3 || length > MAX_RECORD) return false;
    this.recordLeft = length;
    this.phase = length === 0 ? Phase.RecordHeader : Phase.RecordBody;
    return true;
  }

  /** `n` handshake-record bytes at buf[p]: the ClientHello header, then its body. */
  private handshakeBytes(buf: Uint8Array, p: number, n: number): HelloProgress {
    const end = p + n;
    if (this.hsLength < 0) {
      if (this.hsHeaderHave === 0 && n >= HANDSHAKE_HEADER) {
        if (!this.startHandshake(buf, p)) return this.fail();
        p += HANDSHAKE_HEADER;
      } else {
        const k = Math.min(HANDSHAKE_HEADER - this.hsHeaderHave, n);
        this.hsHeader.set(buf.subarray(p, p + k), this.hsHeaderHave);
        this.hsHeaderHave += k;
        p += k;
        if (this.hsHeaderHave < HANDSHAKE_HEADER) return HelloProgress.More;
        if (!this.startHandshake(this.hsHeader, 0)) return this.fail();
      }
    }
    const want = this.hsLength - this.msgHave;
    const k = Math.min(want, end - p);
    if (this.msg === null && k === want) {
      // The whole body is here: parse it in place, no copy.
      this.result = parseClientHello(buf, p, k);
      return this.result ? this.done() : this.fail();
    }
    if (this.msg === null) {
      this.msg = new Uint8Array(this.hsLength);
      this.msgHave = 0;
    }
    this.msg.set(buf.subarray(p, p + k), this.msgHave);
    this.msgHave += k;
    if (this.msgHave < this.hsLength) return HelloProgress.More;
    this.result = parseClientHello(this.msg, 0, this.hsLength);
    this.msg = null;
    return this.result ? this.done() : this.fail();
  }

  private startHandshake(buf: Uint8Array, p: number): boolean {
    if (buf[p] !== HANDSHAKE_CLIENT_HELLO) return false;
    const length = u24(buf, p + 1);
    if (length > MAX_CLIENT_HELLO) return false;
    this.hsLength = length;
    return true;
  }

  private done(): HelloProgress {
    this.phase = Phase.Done;
    return HelloProgress.Done;
  }

  private fail(): HelloProgress {
    if (this.phase === Phase.Done) return HelloProgress.Done;
    this.phase = Phase.Fail;
    this.msg = null;
    return HelloProgress.Fail;
  }
}

const VERSION_NAMES: Record<number, string> = {
  0x0002: 'SSLv2',
  0x0300: 'SSLv3',
  0x0301: 'TLSv1',
  0x0302: 'TLSv1.1',
  0x0303: 'TLSv1.2',
  0x0304: 'TLSv1.3',
};

/** 0x0304 -> 'TLSv1.3', 0x0303 -> 'TLSv1.2', ... 'SSLv3'; a TLS 1.3 draft 0x7fNN -> 'TLSv1.3-draftNN'; unknown -> '0x....'. */
export function tlsVersionName(v: number): string {
  const known = VERSION_NAMES[v];
  if (known !== undefined) return known;
  if (v >> 8 === 0x7f) return `TLSv1.3-draft${v & 0xff}`;
  return '0x' + (v & 0xffff).toString(16).padStart(4, '0');
}
