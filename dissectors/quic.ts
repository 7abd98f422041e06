/**
 * QUIC client Initial packets: remove their protection with the keys every
 * observer can derive from the client's Destination Connection ID (RFC 9001
 * 5.2 / 5.4, RFC 9369 3.3), reassemble the CRYPTO stream and read the TLS
 * ClientHello in it (dissectors/tls.ts `parseClientHello`).
 *
 * Versions and their initial salts (each checked against real captures: a
 * wrong salt cannot pass the AEAD tag):
 *  - QUIC v1 (RFC 9001 5.2), also used by draft-33 and draft-34;
 *  - QUIC v2 (RFC 9369 3.3.1), with its own HKDF labels and packet type bits;
 *  - draft-29 to draft-32 (draft-ietf-quic-tls-29 5.2);
 *  - draft-23 to draft-28 (draft-ietf-quic-tls-23 5.2; the salt changed again
 *    only in -29); Facebook's mvfst 0xfaceb002 and 0xfaceb00e use it too;
 *  - draft-21 and draft-22 (draft-ietf-quic-tls-21 5.2), and mvfst 0xfaceb001;
 *  - reserved versions 0x?a?a?a?a (RFC 9000 15), sent to force version
 *    negotiation: they have no keys of their own, and clients protect them
 *    with those of a version they speak, so the v1 and draft-29 keys are
 *    tried (the tag tells which, if any).
 * Other versions (Google QUIC Q0xx/T0xx, whose salts are in no public spec,
 * and drafts before 21) are not decrypted.
 *
 * Decryption allocates (node:crypto works on Buffers, and the packet is
 * copied so the caller's capture buffer is never written): it happens only
 * for the first few datagrams of a QUIC flow, and the reader gives up after
 * MAX_DATAGRAMS. Nothing here throws; a crypto failure skips the packet.
 */
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { u32 } from '../capture/bytes';
import { ClientHelloInfo, HelloProgress, MAX_CLIENT_HELLO, parseClientHello } from './tls';

export interface VersionParams {
  salt: Buffer;
  /** HKDF-Expand-Label labels of the packet protection keys. */
  keyLabel: string;
  ivLabel: string;
  hpLabel: string;
  /** Long-header type bits (byte 0, bits 4-5) of an Initial and of a Retry. */
  initialType: number;
  retryType: number;
}

const SALT_V1 = Buffer.from('38762cf7f55934b34d179ae6a4c80cadccbb7f0a', 'hex'); // RFC 9001 5.2
const SALT_V2 = Buffer.from('0dede3def700a6db819381be6e269dcbf9bd2ed9', 'hex'); // RFC 9369 3.3.1
const SALT_DRAFT_29 = Buffer.from('afbfec289993d24c9e9786f19c6111e04390a899', 'hex'); // draft-ietf-quic-tls-29 5.2
const SALT_DRAFT_23 = Buffer.from('c3eef712c72ebb5a11a7d2432bb46365bef9f502', 'hex'); // draft-ietf-quic-tls-23 5.2
const SALT_DRAFT_21 = Buffer.from('7fbcdb0e7c66bbe9193a96cd21519ebd7a02644a', 'hex'); // draft-ietf-quic-tls-21 5.2

const V1_LABELS = { keyLabel: 'quic key', ivLabel: 'quic iv', hpLabel: 'quic hp', initialType: 0, retryType: 3 };
const V2_LABELS = { keyLabel: 'quicv2 key', ivLabel: 'quicv2 iv', hpLabel: 'quicv2 hp', initialType: 1, retryType: 0 };

export const QUIC_V1 = 0x00000001;
export const QUIC_V2 = 0x6b3343cf;

const P_V1: VersionParams = { salt: SALT_V1, ...V1_LABELS };
const P_V2: VersionParams = { salt: SALT_V2, ...V2_LABELS };
const P_DRAFT_29: VersionParams = { salt: SALT_DRAFT_29, ...V1_LABELS };
const P_DRAFT_23: VersionParams = { salt: SALT_DRAFT_23, ...V1_LABELS };
const P_DRAFT_21: VersionParams = { salt: SALT_DRAFT_21, ...V1_LABELS };
const NONE: readonly VersionParams[] = [];
const ONLY_V1 = [P_V1];
const ONLY_V2 = [P_V2];
const ONLY_DRAFT_29 = [P_DRAFT_29];
const ONLY_DRAFT_23 = [P_DRAFT_23];
const ONLY_DRAFT_21 = [P_DRAFT_21];
const RESERVED = [P_V1, P_DRAFT_29];

/** RFC 9000 15: versions 0x?a?a?a?a are reserved to exercise version negotiation. */
export function isReservedQuicVersion(version: number): boolean {
  return (version & 0x0f0f0f0f) === 0x0a0a0a0a;
}

/** The Initial protections a client of this version may use, most likely first; empty for versions not decrypted. */
export function initialProtections(version: number): readonly VersionParams[] {
  if (version === QUIC_V1) return ONLY_V1;
  if (version === QUIC_V2) return ONLY_V2;
  if (version >>> 8 === 0xff0000) {
    const draft = version & 0xff;
    if (draft >= 33 && draft <= 34) return ONLY_V1;
    if (draft >= 29 && draft <= 32) return ONLY_DRAFT_29;
    if (draft >= 23 && draft <= 28) return ONLY_DRAFT_23;
    if (draft >= 21 && draft <= 22) return ONLY_DRAFT_21;
    return NONE;
  }
  if (version === 0xfaceb001) return ONLY_DRAFT_21;
  if (version === 0xfaceb002 || version === 0xfaceb00e) return ONLY_DRAFT_23;
  if (isReservedQuicVersion(version)) return RESERVED;
  return NONE;
}

/** The most likely Initial protection of a version, null for versions not decrypted. */
export function quicVersionParams(version: number): VersionParams | null {
  return initialProtections(version)[0] ?? null;
}

// ---------------------------------------------------------------------------
// Keys (RFC 9001 5.1, 5.2; RFC 8446 7.1 HKDF-Expand-Label over SHA-256)

export interface InitialKeys {
  key: Buffer; // AEAD_AES_128_GCM key, 16 bytes
  iv: Buffer; // 12 bytes
  hp: Buffer; // AES-128 header protection key, 16 bytes
}

function hkdfExtract(salt: Buffer, ikm: Uint8Array): Buffer {
  return createHmac('sha256', salt).update(ikm).digest();
}

/** HKDF-Expand-Label(secret, label, "", length) for length <= 32: one HMAC block (RFC 5869 2.3). */
function hkdfExpandLabel(secret: Buffer, label: string, length: number): Buffer {
  const full = 'tls13 ' + label;
  const info = Buffer.alloc(2 + 1 + full.length + 1 + 1);
  info.writeUInt16BE(length, 0);
  info[2] = full.length;
  info.write(full, 3, 'latin1');
  info[3 + full.length] = 0; // empty context
  info[4 + full.length] = 1; // counter of the first block
  return createHmac('sha256', secret).update(info).digest().subarray(0, length);
}

/** The client's initial_secret (RFC 9001 5.2) for a version and the Destination Connection ID of its first Initial. */
export function clientInitialSecret(version: number, dcid: Uint8Array, params = quicVersionParams(version)): Buffer | null {
  if (!params) return null;
  return hkdfExpandLabel(hkdfExtract(params.salt, dcid), 'client in', 32);
}

/** Client Initial packet protection keys (of the version's most likely protection unless `params` says), null for a version not decrypted. */
export function clientInitialKeys(version: number, dcid: Uint8Array, params = quicVersionParams(version)): InitialKeys | null {
  const secret = clientInitialSecret(version, dcid, params);
  if (!params || !secret) return null;
  return {
    key: hkdfExpandLabel(secret, params.keyLabel, 16),
    iv: hkdfExpandLabel(secret, params.ivLabel, 12),
    hp: hkdfExpandLabel(secret, params.hpLabel, 16),
  };
}

// ---------------------------------------------------------------------------
// Reading

/** RFC 9000 16: a variable-length integer at buf[p]; -1 when it does not fit before `end`. Values up to 2^53 are exact. */
function varint(buf: Uint8Array, p: number, end: number): number {
  if (p >= end) return -1;
  const len = 1 << (buf[p] >> 6);
  if (p + len > end) return -1;
  let v = buf[p] & 0x3f;
  for (let i = 1; i < len; i++) v = v * 256 + buf[p + i];
  return v;
}
function varintLength(buf: Uint8Array, p: number): number {
  return 1 << (buf[p] >> 6);
}

/** RFC 9000 A.3: the full packet number closest to the next expected one. */
function decodePacketNumber(largest: number, truncated: number, bits: number): number {
  const expected = largest + 1;
  const win = 2 ** bits;
  const hwin = win / 2;
  const candidate = expected - (expected % win) + truncated; // (expected & ~mask) | truncated, in doubles
  if (candidate <= expected - hwin && candidate < 2 ** 62 - win) return candidate + win;
  if (candidate > expected + hwin && candidate >= win) return candidate - win;
  return candidate;
}

/** One set of client Initial keys: for a version and the DCID they were derived from. */
interface KeySet {
  version: number;
  dcid: Buffer;
  keys: InitialKeys;
  params: VersionParams;
  /** Largest packet number decrypted with these keys, -1 before. */
  largestPn: number;
}

/** Datagrams from the client without a complete ClientHello after which the reader gives up. */
export const MAX_DATAGRAMS = 8;
/** Key sets remembered (the first Initial's, and those after a Retry or a version change). */
const MAX_KEY_SETS = 4;
/** Crypto byte ranges remembered out of order before giving up (a reassembly bound besides MAX_CLIENT_HELLO). */
const MAX_RANGES = 64;
const LONG_HEADER = 0x80;
const TAG = 16;
const SAMPLE = 16;

const FRAME_PADDING = 0x00;
const FRAME_PING = 0x01;
const FRAME_ACK = 0x02;
const FRAME_ACK_ECN = 0x03;
const FRAME_CRYPTO = 0x06;
const FRAME_CLOSE_TRANSPORT = 0x1c;
const FRAME_CLOSE_APPLICATION = 0x1d;

/**
 * The CRYPTO stream of the Initial packet number space: data placed by
 * offset, in any order, duplicates tolerated; `contiguous` is how many bytes
 * from offset 0 are known.
 */
class CryptoStream {
  data = new Uint8Array(0);
  /** Disjoint, sorted [start, end) ranges received. */
  private ranges: number[] = [];

  get contiguous(): number {
    return this.ranges.length > 0 && this.ranges[0] === 0 ? this.ranges[1] : 0;
  }

  /** false when the data lies beyond MAX_CLIENT_HELLO or the ranges are too scattered. */
  add(buf: Uint8Array, off: number, len: number, at: number): boolean {
    if (len === 0) return true;
    const end = at + len;
    if (end > MAX_CLIENT_HELLO + 4) return false;
    if (end > this.data.length) {
      const grown = new Uint8Array(Math.min(MAX_CLIENT_HELLO + 4, Math.max(end, this.data.length * 2, 2048)));
      grown.set(this.data);
      this.data = grown;
    }
    this.data.set(buf.subarray(off, off + len), at);
    // Merge [at, end) into the range list.
    const r = this.ranges;
    let s = at;
    let e = end;
    const out: number[] = [];
    let i = 0;
    while (i < r.length && r[i + 1] < s) {
      out.push(r[i], r[i + 1]);
      i += 2;
    }
    while (i < r.length && r[i] <= e) {
      s = Math.min(s, r[i]);
      e = Math.max(e, r[i + 1]);
      i += 2;
    }
    out.push(s, e);
    for (; i < r.length; i++) out.push(r[i]);
    this.ranges = out;
    return out.length / 2 <= MAX_RANGES;
  }

  reset(): void {
    this.data = new Uint8Array(0);
    this.ranges = [];
  }
}

/** The client's Initial packets of one QUIC connection (UDP datagrams from the client, in arrival order). */
export class QuicInitialReader {
  private state = HelloProgress.More;
  private datagrams = 0;
  private readonly keySets: KeySet[] = [];
  /** The key set whose packets fill `crypto`; another one starting over (Retry, version change) resets it. */
  private current: KeySet | null = null;
  private readonly crypto = new CryptoStream();
  private result: ClientHelloInfo | null = null;
  private version = 0;

  get hello(): ClientHelloInfo | null {
    return this.result;
  }

  /** QUIC version of the client's Initial, 0 before */
  get quicVersion(): number {
    return this.version;
  }

  /** One UDP datagram payload from the client. */
  feed(buf: Uint8Array, off: number, len: number): HelloProgress {
    if (this.state !== HelloProgress.More) return this.state;
    if (off < 0 || len < 0 || off + len > buf.length) return this.giveUp();
    this.datagrams++;
    try {
      this.readDatagram(buf, off, off + len);
    } catch {
      // node:crypto throws on bad key or tag sizes; nothing else should, but a probe never dies of a packet.
      return this.giveUp();
    }
    if (this.state === HelloProgress.More && this.datagrams >= MAX_DATAGRAMS) return this.giveUp();
    return this.state;
  }

  private giveUp(): HelloProgress {
    this.state = HelloProgress.Fail;
    this.crypto.reset();
    return this.state;
  }

  /** Coalesced packets (RFC 9000 12.2): long-header packets one after the other, a short-header one last. */
  private readDatagram(buf: Uint8Array, p: number, end: number): void {
    while (p < end && this.state === HelloProgress.More) {
      const first = buf[p];
      if ((first & LONG_HEADER) === 0) return; // short header: runs to the end, and is not an Initial
      if (p + 7 > end) return;
      const version = u32(buf, p + 1);
      if (version === 0) return; // Version Negotiation: a server's
      let q = p + 5;
      const dcidLen = buf[q];
      if (dcidLen > 20 || q + 1 + dcidLen + 1 > end) return;
      const dcid = q + 1;
      q = dcid + dcidLen;
      const scidLen = buf[q];
      if (scidLen > 20 || q + 1 + scidLen > end) return;
      q += 1 + scidLen;
      const params = quicVersionParams(version);
      if (!params) {
        this.version = version;
        return; // unknown layout from here on: nothing more can be read in this datagram
      }
      const type = (first >> 4) & 3;
      if (type === params.retryType) return; // a server's; has no Length
      if (type === params.initialType) {
        const tokenLen = varint(buf, q, end);
        if (tokenLen < 0) return;
        q += varintLength(buf, q) + tokenLen;
      }
      const length = varint(buf, q, end);
      if (length < 0) return;
      q += varintLength(buf, q);
      const packetEnd = q + length;
      if (packetEnd > end) return;
      if (type === params.initialType) {
        this.version = version;
        this.readInitial(buf, p, q, packetEnd, version, buf.subarray(dcid, dcid + dcidLen));
      }
      p = packetEnd;
    }
  }

  /** An Initial from byte `start`, packet number at `pnOffset`, ending at `end`. */
  private readInitial(buf: Uint8Array, start: number, pnOffset: number, end: number, version: number, dcid: Uint8Array): void {
    if (pnOffset + 4 + SAMPLE > end) return;
    // The keys of the first Initial stay valid for the whole connection even as the client's DCID changes
    // (RFC 9001 5.2); keys from this packet's own DCID are tried when they fail (after a Retry, a new version).
    let plain: Buffer | null = null;
    let used: KeySet | null = null;
    if (this.current && this.current.version === version) {
      plain = unprotect(buf, start, pnOffset, end, this.current);
      if (plain) used = this.current;
    }
    for (const candidate of initialProtections(version)) {
      if (plain) break;
      let set = this.keySets.find((k) => k.version === version && k.params === candidate && k.dcid.equals(dcid));
      if (!set) {
        const keys = clientInitialKeys(version, dcid, candidate);
        if (!keys) continue;
        set = { version, dcid: Buffer.from(dcid), keys, params: candidate, largestPn: -1 };
        if (this.keySets.length >= MAX_KEY_SETS) this.keySets.shift();
        this.keySets.push(set);
      }
      if (set !== this.current) {
        plain = unprotect(buf, start, pnOffset, end, set);
        if (plain) used = set;
      }
    }
    if (!plain || !used) return;
    if (used !== this.current) {
      // A new start (Retry or another version): its ClientHello comes again from offset 0.
      this.current = used;
      this.crypto.reset();
    }
    this.readFrames(plain);
  }

  /** RFC 9000 19: the frames an Initial may carry (17.2.2: PADDING, PING, ACK, CRYPTO, CONNECTION_CLOSE). */
  private readFrames(b: Buffer): void {
    let p = 0;
    const end = b.length;
    while (p < end) {
      const type = varint(b, p, end);
      if (type < 0) return;
      p += varintLength(b, p);
      if (type === FRAME_PADDING || type === FRAME_PING) continue;
      if (type === FRAME_ACK || type === FRAME_ACK_ECN) {
        // Largest Acknowledged, ACK Delay, ACK Range Count, First ACK Range, ranges, ECN counts.
        const fixed: number[] = [];
        for (let i = 0; i < 3; i++) {
          const v = varint(b, p, end);
          if (v < 0) return;
          fixed.push(v);
          p += varintLength(b, p);
        }
        const rangeCount = fixed[2];
        const more = rangeCount * 2 + 1 + (type === FRAME_ACK_ECN ? 3 : 0);
        if (more > end - p) return;
        for (let i = 0; i < more; i++) {
          if (varint(b, p, end) < 0) return;
          p += varintLength(b, p);
        }
        continue;
      }
      if (type === FRAME_CRYPTO) {
        const offset = varint(b, p, end);
        if (offset < 0) return;
        p += varintLength(b, p);
        const length = varint(b, p, end);
        if (length < 0) return;
        p += varintLength(b, p);
        if (p + length > end) return;
        if (!this.crypto.add(b, p, length, offset)) {
          this.giveUp();
          return;
        }
        p += length;
        this.checkHello();
        if (this.state !== HelloProgress.More) return;
        continue;
      }
      if (type === FRAME_CLOSE_TRANSPORT || type === FRAME_CLOSE_APPLICATION) {
        // Error Code, [Frame Type], Reason Phrase Length, Reason Phrase.
        for (let i = 0; i < (type === FRAME_CLOSE_TRANSPORT ? 2 : 1); i++) {
          if (varint(b, p, end) < 0) return;
          p += varintLength(b, p);
        }
        const reason = varint(b, p, end);
        if (reason < 0) return;
        p += varintLength(b, p) + reason;
        continue;
      }
      return; // not allowed in an Initial: the rest of this packet is not trusted
    }
  }

  /** Once the stream holds the whole first handshake message, it must be a ClientHello. */
  private checkHello(): void {
    const have = this.crypto.contiguous;
    if (have < 4) return;
    const d = this.crypto.data;
    if (d[0] !== 1) {
      this.giveUp();
      return;
    }
    const length = (d[1] << 16) | (d[2] << 8) | d[3];
    if (length > MAX_CLIENT_HELLO) {
      this.giveUp();
      return;
    }
    if (have < 4 + length) return;
    this.result = parseClientHello(d, 4, length);
    this.state = this.result ? HelloProgress.Done : HelloProgress.Fail;
    this.crypto.reset();
  }
}

/**
 * Removes header protection (RFC 9001 5.4) and packet protection (5.3) from
 * a copy of the packet [start, end) whose packet number starts at
 * `pnOffset`. Returns the plaintext payload, or null when the AEAD tag does
 * not verify (wrong keys, corruption, not a client Initial).
 */
function unprotect(buf: Uint8Array, start: number, pnOffset: number, end: number, set: KeySet): Buffer | null {
  const { keys } = set;
  const sampleAt = pnOffset + 4;
  if (sampleAt + SAMPLE > end) return null;
  const ecb = createCipheriv('aes-128-ecb', keys.hp, null);
  ecb.setAutoPadding(false);
  const mask = ecb.update(buf.subarray(sampleAt, sampleAt + SAMPLE));
  const header = Buffer.from(buf.subarray(start, pnOffset + 4)); // a copy: the capture buffer is not ours to write
  header[0] ^= mask[0] & 0x0f; // long header: the low 4 bits are protected
  const pnLen = (header[0] & 3) + 1;
  const pnAt = pnOffset - start;
  let truncated = 0;
  for (let i = 0; i < pnLen; i++) {
    header[pnAt + i] ^= mask[1 + i];
    truncated = truncated * 256 + header[pnAt + i];
  }
  const payloadAt = pnOffset + pnLen;
  if (payloadAt + TAG > end) return null;
  const pn = decodePacketNumber(set.largestPn, truncated, pnLen * 8);
  const nonce = Buffer.from(keys.iv);
  // The packet number, left-padded to the IV's length, XORed into it (RFC 9001 5.3).
  let v = pn;
  for (let i = 11; i >= 4 && v > 0; i--) {
    nonce[i] ^= v % 256;
    v = Math.floor(v / 256);
  }
  const gcm = createDecipheriv('aes-128-gcm', keys.key, nonce);
  gcm.setAAD(header.subarray(0, pnAt + pnLen));
  gcm.setAuthTag(buf.subarray(end - TAG, end));
  try {
    const plain = Buffer.concat([gcm.update(buf.subarray(payloadAt, end - TAG)), gcm.final()]);
    if (pn > set.largestPn) set.largestPn = pn;
    return plain;
  } catch {
    return null;
  }
}
