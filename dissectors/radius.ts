/**
 * RADIUS (RFC 2865 authentication, RFC 2866 accounting, RFC 5176 dynamic
 * authorization codes) with the IPv6 attributes of RFC 3162 and RFC 6911 and
 * the 3GPP vendor attributes of TS 29.061 (IMSI, IMEISV).
 *
 * Pure parsing: `parseRadius` takes a UDP payload and returns the fields the
 * knowledge base needs (who, which address, which session, how much traffic),
 * or null when the payload is not a well-formed RADIUS packet. It never
 * throws: every read is bounds-checked against the packet first.
 *
 * Validation is strict on purpose, because RADIUS is recognised by port and
 * UDP ports carry other things (nDPI's radius_false_positive capture):
 *  - the code is one this module knows (RadiusCode);
 *  - 20 <= Length <= 4096 and Length <= the payload; octets after Length are
 *    padding and ignored (RFC 2865 3);
 *  - the attributes tile [20, Length) exactly, each with Length >= 2;
 *  - attributes whose RFC gives them a fixed size (addresses, integers, times,
 *    IPv6 addresses, Framed-Interface-Id, Message-Authenticator, CHAP-Password)
 *    have that size; the IPv6 prefix attributes (RFC 3162 / 4818 / 6911) have
 *    4..20 octets and a prefix length <= 128;
 *  - a Vendor-Specific attribute has Length >= 7 and a vendor id whose high
 *    octet is zero (RFC 2865 5.26); a 3GPP one (vendor 10415) holds
 *    sub-attributes that tile it exactly, each with length >= 2.
 * Strings are built only after the whole packet has passed validation.
 */
import { u16, u32 } from '../capture/bytes';
import { ipv4Text, ipv6Text } from '../export/address-text';

export const RADIUS_AUTH_PORTS: readonly number[] = [1812, 1645];
export const RADIUS_ACCT_PORTS: readonly number[] = [1813, 1646];

export const RadiusCode = {
  AccessRequest: 1,
  AccessAccept: 2,
  AccessReject: 3,
  AccountingRequest: 4,
  AccountingResponse: 5,
  AccessChallenge: 11,
  StatusServer: 12,
  StatusClient: 13,
  DisconnectRequest: 40,
  DisconnectAck: 41,
  DisconnectNak: 42,
  CoaRequest: 43,
  CoaAck: 44,
  CoaNak: 45,
} as const;

export const AcctStatus = { Start: 1, Stop: 2, InterimUpdate: 3, AccountingOn: 7, AccountingOff: 8 } as const;

export interface RadiusMessage {
  code: number;
  identifier: number;
  /** Access-Request, Accounting-Request, Status-Server, Disconnect-Request, CoA-Request. */
  isRequest: boolean;
  /** Attribute 1, UTF-8 (invalid sequences replaced). */
  userName: string | null;
  /** Attribute 8 as a dotted quad; null when absent or one of the special values below. */
  framedIpAddress: string | null;
  /** Attribute 8 when it is 255.255.255.254 (NAS selects) or 255.255.255.255 (user selects), RFC 2865 5.8. */
  framedIpSpecial: string | null;
  /** Attribute 168 (RFC 6911), RFC 5952 text. */
  framedIpv6Address: string | null;
  /** Attribute 97 (RFC 3162), "prefix/length" with the bits beyond the length cleared. */
  framedIpv6Prefix: string | null;
  callingStationId: string | null;
  calledStationId: string | null;
  nasIpAddress: string | null;
  nasIpv6Address: string | null;
  nasIdentifier: string | null;
  acctStatusType: number | null;
  acctSessionId: string | null;
  acctMultiSessionId: string | null;
  acctInputOctets: number | null;
  acctOutputOctets: number | null;
  acctInputGigawords: number | null;
  acctOutputGigawords: number | null;
  acctSessionTime: number | null;
  terminateCause: number | null;
  /** Vendor-Specific, vendor 10415 (3GPP), sub-attribute 1: 3GPP-IMSI. */
  vendor3gppImsi: string | null;
  /** Vendor-Specific, vendor 10415 (3GPP), sub-attribute 20: 3GPP-IMEISV. */
  vendor3gppImeisv: string | null;
}

/** Why a payload is not RADIUS (diagnostics and tests; the hot path uses parseRadius). */
export interface RadiusProblem {
  reason: string;
  /** Offset of the offending attribute inside the packet, or -1 for header problems. */
  at: number;
  /** Type and length octets of the offending attribute (-1 for header problems). */
  attrType: number;
  attrLength: number;
}

const HEADER = 20;
const MAX_LENGTH = 4096;
const VENDOR_3GPP = 10415;
const SUB_3GPP_IMSI = 1;
const SUB_3GPP_IMEISV = 20;

const A = {
  USER_NAME: 1,
  CHAP_PASSWORD: 3,
  NAS_IP_ADDRESS: 4,
  FRAMED_IP_ADDRESS: 8,
  VENDOR_SPECIFIC: 26,
  CALLED_STATION_ID: 30,
  CALLING_STATION_ID: 31,
  NAS_IDENTIFIER: 32,
  ACCT_STATUS_TYPE: 40,
  ACCT_INPUT_OCTETS: 42,
  ACCT_OUTPUT_OCTETS: 43,
  ACCT_SESSION_ID: 44,
  ACCT_SESSION_TIME: 46,
  ACCT_TERMINATE_CAUSE: 49,
  ACCT_MULTI_SESSION_ID: 50,
  ACCT_INPUT_GIGAWORDS: 52,
  ACCT_OUTPUT_GIGAWORDS: 53,
  NAS_IPV6_ADDRESS: 95,
  FRAMED_IPV6_PREFIX: 97,
  DELEGATED_IPV6_PREFIX: 123,
  FRAMED_IPV6_ADDRESS: 168,
  ROUTE_IPV6_INFORMATION: 170,
} as const;

/** Known codes; REQUEST_CODE marks the ones a client sends. */
const KNOWN_CODE = new Uint8Array(256);
const REQUEST_CODE = new Uint8Array(256);
for (const c of Object.values(RadiusCode)) KNOWN_CODE[c] = 1;
for (const c of [RadiusCode.AccessRequest, RadiusCode.AccountingRequest, RadiusCode.StatusServer, RadiusCode.DisconnectRequest, RadiusCode.CoaRequest]) {
  REQUEST_CODE[c] = 1;
}

/**
 * Value size (octets after type and length) of the attributes whose RFC fixes
 * it; 0 = variable. PREFIX marks the RFC 3162 ipv6prefix format.
 */
const PREFIX = 255;
const FIXED_SIZE = new Uint8Array(256);
// RFC 2865: addresses, integers and CHAP-Password (ident + 16 octets).
for (const t of [4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 23, 27, 28, 29, 37, 38, 61, 62]) FIXED_SIZE[t] = 4;
FIXED_SIZE[A.CHAP_PASSWORD] = 17;
// RFC 2866 integers; RFC 2869 Gigawords, Event-Timestamp, Acct-Interim-Interval; Message-Authenticator (RFC 3579).
for (const t of [40, 41, 42, 43, 45, 46, 47, 48, 49, 51, 52, 53, 55, 85]) FIXED_SIZE[t] = 4;
FIXED_SIZE[80] = 16;
// RFC 3162: NAS-IPv6-Address, Framed-Interface-Id, Login-IPv6-Host; RFC 6911: Framed-IPv6-Address, DNS-Server-IPv6-Address.
FIXED_SIZE[A.NAS_IPV6_ADDRESS] = 16;
FIXED_SIZE[96] = 8;
FIXED_SIZE[98] = 16;
FIXED_SIZE[A.FRAMED_IPV6_ADDRESS] = 16;
FIXED_SIZE[169] = 16;
// ipv6prefix: RFC 3162 Framed-IPv6-Prefix, RFC 4818 Delegated-IPv6-Prefix, RFC 6911 Route-IPv6-Information.
FIXED_SIZE[A.FRAMED_IPV6_PREFIX] = PREFIX;
FIXED_SIZE[A.DELEGATED_IPV6_PREFIX] = PREFIX;
FIXED_SIZE[A.ROUTE_IPV6_INFORMATION] = PREFIX;

// Validation outcome codes (0 = well formed); the texts are for radiusProblem.
const OK = 0;
const BAD_BOUNDS = 1;
const TOO_SHORT = 2;
const UNKNOWN_CODE = 3;
const BAD_LENGTH = 4;
const ATTR_HEADER_CUT = 5;
const ATTR_TOO_SHORT = 6;
const ATTR_OVERRUNS = 7;
const ATTR_WRONG_SIZE = 8;
const BAD_PREFIX = 9;
const VSA_TOO_SHORT = 10;
const VSA_BAD_VENDOR = 11;
const VSA_3GPP_BAD_SUB = 12;
const REASONS = [
  'ok',
  'offset/length outside the buffer',
  'shorter than the 20-octet header',
  'unknown code',
  'Length field < 20, > 4096 or beyond the payload',
  'attribute header cut by the end of the packet',
  'attribute Length < 2',
  'attribute runs past the packet Length',
  'attribute does not have its fixed size',
  'IPv6 prefix attribute: size outside 4..20 or prefix length > 128',
  'Vendor-Specific shorter than 7 octets',
  'Vendor-Specific vendor id with a non-zero high octet',
  '3GPP Vendor-Specific sub-attributes do not tile the attribute',
];

// Where the last failed validation stopped (read by radiusProblem only).
let failAt = -1;

/** Walk the whole packet without allocating; OK or the first problem found. */
function validate(buf: Uint8Array, off: number, len: number): number {
  failAt = -1;
  if (!Number.isInteger(off) || !Number.isInteger(len) || off < 0 || len < 0 || off + len > buf.length) return BAD_BOUNDS;
  if (len < HEADER) return TOO_SHORT;
  if (KNOWN_CODE[buf[off]] === 0) return UNKNOWN_CODE;
  const length = u16(buf, off + 2);
  if (length < HEADER || length > MAX_LENGTH || length > len) return BAD_LENGTH;
  const end = off + length;
  let p = off + HEADER;
  while (p < end) {
    failAt = p - off;
    if (p + 2 > end) return ATTR_HEADER_CUT;
    const type = buf[p];
    const alen = buf[p + 1];
    if (alen < 2) return ATTR_TOO_SHORT;
    if (p + alen > end) return ATTR_OVERRUNS;
    const size = FIXED_SIZE[type];
    if (size === PREFIX) {
      if (alen < 4 || alen > 20 || buf[p + 3] > 128) return BAD_PREFIX;
    } else if (size !== 0 && alen - 2 !== size) {
      return ATTR_WRONG_SIZE;
    } else if (type === A.VENDOR_SPECIFIC) {
      if (alen < 7) return VSA_TOO_SHORT;
      if (buf[p + 2] !== 0) return VSA_BAD_VENDOR;
      if (u32(buf, p + 2) === VENDOR_3GPP && !subAttributesTile(buf, p + 6, p + alen)) return VSA_3GPP_BAD_SUB;
    }
    p += alen;
  }
  failAt = -1;
  return OK;
}

function subAttributesTile(buf: Uint8Array, from: number, end: number): boolean {
  let q = from;
  while (q < end) {
    if (q + 2 > end) return false;
    const slen = buf[q + 1];
    if (slen < 2 || q + slen > end) return false;
    q += slen;
  }
  return true;
}

/** Why `parseRadius` would return null for this payload, or null when it is well formed. */
export function radiusProblem(buf: Uint8Array, off: number, len: number): RadiusProblem | null {
  const code = validate(buf, off, len);
  if (code === OK) return null;
  const at = failAt;
  return {
    reason: REASONS[code],
    at,
    attrType: at >= 0 ? buf[off + at] : -1,
    attrLength: at >= 0 && code !== ATTR_HEADER_CUT ? buf[off + at + 1] : -1,
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/**
 * Text attribute value: UTF-8 with invalid sequences replaced by U+FFFD, cut at
 * the first NUL (some NAS send C strings; tshark and FreeRADIUS cut there too);
 * null when nothing is left.
 */
function text(buf: Uint8Array, from: number, to: number): string | null {
  let stop = from;
  while (stop < to && buf[stop] !== 0) stop++;
  if (stop === from) return null;
  return utf8.decode(buf.subarray(from, stop));
}

function ipv6At(buf: Uint8Array, p: number): string {
  return ipv6Text(u32(buf, p), u32(buf, p + 4), u32(buf, p + 8), u32(buf, p + 12));
}

/** RFC 3162 ipv6prefix value at [p, p + size): reserved, prefix length, up to 16 prefix octets. */
function prefixText(buf: Uint8Array, p: number, size: number): string {
  const plen = buf[p + 1];
  const bytes = new Uint8Array(16);
  for (let i = 0; i < size - 2; i++) bytes[i] = buf[p + 2 + i];
  for (let bit = plen; bit < 128; bit++) bytes[bit >> 3] &= ~(0x80 >> (bit & 7));
  return `${ipv6At(bytes, 0)}/${plen}`;
}

const FRAMED_IP_NAS_SELECTS = 0xfffffffe;

/** Parses a UDP payload buf[off, off+len); null when it is not a well-formed RADIUS packet. */
export function parseRadius(buf: Uint8Array, off: number, len: number): RadiusMessage | null {
  if (validate(buf, off, len) !== OK) return null;
  const code = buf[off];
  const m: RadiusMessage = {
    code,
    identifier: buf[off + 1],
    isRequest: REQUEST_CODE[code] === 1,
    userName: null,
    framedIpAddress: null,
    framedIpSpecial: null,
    framedIpv6Address: null,
    framedIpv6Prefix: null,
    callingStationId: null,
    calledStationId: null,
    nasIpAddress: null,
    nasIpv6Address: null,
    nasIdentifier: null,
    acctStatusType: null,
    acctSessionId: null,
    acctMultiSessionId: null,
    acctInputOctets: null,
    acctOutputOctets: null,
    acctInputGigawords: null,
    acctOutputGigawords: null,
    acctSessionTime: null,
    terminateCause: null,
    vendor3gppImsi: null,
    vendor3gppImeisv: null,
  };
  // Validated above: every attribute lies inside [off + 20, end) with its fixed size.
  // An attribute that occurs more than once counts by its first occurrence.
  let seenFramedIp = false;
  const end = off + u16(buf, off + 2);
  for (let p = off + HEADER; p < end; p += buf[p + 1]) {
    const v = p + 2;
    const vend = p + buf[p + 1];
    switch (buf[p]) {
      case A.USER_NAME:
        m.userName ??= text(buf, v, vend);
        break;
      case A.FRAMED_IP_ADDRESS:
        if (!seenFramedIp) {
          seenFramedIp = true;
          const a = u32(buf, v);
          if (a >= FRAMED_IP_NAS_SELECTS) m.framedIpSpecial = ipv4Text(a);
          else m.framedIpAddress = ipv4Text(a);
        }
        break;
      case A.FRAMED_IPV6_ADDRESS:
        m.framedIpv6Address ??= ipv6At(buf, v);
        break;
      case A.FRAMED_IPV6_PREFIX:
        m.framedIpv6Prefix ??= prefixText(buf, v, vend - v);
        break;
      case A.CALLING_STATION_ID:
        m.callingStationId ??= text(buf, v, vend);
        break;
      case A.CALLED_STATION_ID:
        m.calledStationId ??= text(buf, v, vend);
        break;
      case A.NAS_IP_ADDRESS:
        m.nasIpAddress ??= ipv4Text(u32(buf, v));
        break;
      case A.NAS_IPV6_ADDRESS:
        m.nasIpv6Address ??= ipv6At(buf, v);
        break;
      case A.NAS_IDENTIFIER:
        m.nasIdentifier ??= text(buf, v, vend);
        break;
      case A.ACCT_STATUS_TYPE:
        m.acctStatusType ??= u32(buf, v);
        break;
      case A.ACCT_SESSION_ID:
        m.acctSessionId ??= text(buf, v, vend);
        break;
      case A.ACCT_MULTI_SESSION_ID:
        m.acctMultiSessionId ??= text(buf, v, vend);
        break;
      case A.ACCT_INPUT_OCTETS:
        m.acctInputOctets ??= u32(buf, v);
        break;
      case A.ACCT_OUTPUT_OCTETS:
        m.acctOutputOctets ??= u32(buf, v);
        break;
      case A.ACCT_INPUT_GIGAWORDS:
        m.acctInputGigawords ??= u32(buf, v);
        break;
      case A.ACCT_OUTPUT_GIGAWORDS:
        m.acctOutputGigawords ??= u32(buf, v);
        break;
      case A.ACCT_SESSION_TIME:
        m.acctSessionTime ??= u32(buf, v);
        break;
      case A.ACCT_TERMINATE_CAUSE:
        m.terminateCause ??= u32(buf, v);
        break;
      case A.VENDOR_SPECIFIC:
        if (u32(buf, v) === VENDOR_3GPP) vendor3gpp(m, buf, v + 4, vend);
        break;
      default:
        break;
    }
  }
  return m;
}

/** 3GPP sub-attributes (TS 29.061 16.4.7), already checked to tile [from, end). */
function vendor3gpp(m: RadiusMessage, buf: Uint8Array, from: number, end: number): void {
  for (let q = from; q < end; q += buf[q + 1]) {
    const sub = buf[q];
    if (sub === SUB_3GPP_IMSI) m.vendor3gppImsi ??= text(buf, q + 2, q + buf[q + 1]);
    else if (sub === SUB_3GPP_IMEISV) m.vendor3gppImeisv ??= text(buf, q + 2, q + buf[q + 1]);
  }
}
