// RADIUS (RFC 2865 authentication, RFC 2866 accounting) with real
// authenticators computed from a shared secret, so a dissector configured with
// the secret can validate them.

import { createHash } from 'node:crypto';
import { cat, ipv4Bytes, u16, u32, u8 } from '../bytes';

export const RadiusCode = { ACCESS_REQUEST: 1, ACCESS_ACCEPT: 2, ACCESS_REJECT: 3, ACCOUNTING_REQUEST: 4, ACCOUNTING_RESPONSE: 5 } as const;
export const RadiusAttr = {
  USER_NAME: 1,
  USER_PASSWORD: 2,
  NAS_IP_ADDRESS: 4,
  NAS_PORT: 5,
  SERVICE_TYPE: 6,
  FRAMED_PROTOCOL: 7,
  FRAMED_IP_ADDRESS: 8,
  CALLING_STATION_ID: 31,
  ACCT_STATUS_TYPE: 40,
  ACCT_INPUT_OCTETS: 42,
  ACCT_OUTPUT_OCTETS: 43,
  ACCT_SESSION_ID: 44,
  ACCT_SESSION_TIME: 46,
  ACCT_TERMINATE_CAUSE: 49,
} as const;
export const AcctStatusType = { START: 1, STOP: 2, INTERIM_UPDATE: 3, ACCOUNTING_ON: 7, ACCOUNTING_OFF: 8 } as const;

export type RadiusAttribute = { type: number; value: Buffer };

export const attr = {
  string: (type: number, s: string): RadiusAttribute => ({ type, value: Buffer.from(s, 'utf8') }),
  int: (type: number, v: number): RadiusAttribute => ({ type, value: u32(v) }),
  address: (type: number, a: string): RadiusAttribute => ({ type, value: ipv4Bytes(a) }),
};

function encodeAttributes(attrs: readonly RadiusAttribute[]): Buffer {
  return cat(
    ...attrs.map((a) => {
      if (a.value.length > 253) throw new Error(`RADIUS attribute ${a.type} too long`);
      return cat(u8(a.type), u8(2 + a.value.length), a.value);
    }),
  );
}

function md5(...parts: Buffer[]): Buffer {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Assemble a packet; `authenticator` is either given (Access-Request) or derived from the secret. */
function packet(code: number, id: number, attrs: readonly RadiusAttribute[], authFor: (unsigned: Buffer) => Buffer): Buffer {
  const body = encodeAttributes(attrs);
  const length = 20 + body.length;
  const unsigned = cat(u8(code), u8(id), u16(length), Buffer.alloc(16), body);
  const auth = authFor(unsigned);
  auth.copy(unsigned, 4);
  return unsigned;
}

/** User-Password hiding (RFC 2865 5.2). */
function hidePassword(password: string, secret: string, requestAuthenticator: Buffer): Buffer {
  const p = Buffer.from(password, 'utf8');
  // Padded with zeros to a multiple of 16; an empty password still takes one block.
  const padLen = p.length === 0 ? 16 : (16 - (p.length % 16)) % 16;
  const padded = cat(p, Buffer.alloc(padLen));
  const out = Buffer.alloc(padded.length);
  let prev = requestAuthenticator;
  for (let i = 0; i < padded.length; i += 16) {
    const b = md5(Buffer.from(secret), prev);
    for (let j = 0; j < 16; j++) out[i + j] = padded[i + j] ^ b[j];
    prev = out.subarray(i, i + 16);
  }
  return out;
}

export interface AccessRequestOptions {
  id: number;
  secret: string;
  /** 16 random bytes chosen by the NAS; pass a deterministic value. */
  authenticator: Buffer;
  userName: string;
  password?: string;
  nasIp: string;
  callingStationId?: string;
}

export function radiusAccessRequest(o: AccessRequestOptions): Buffer {
  const attrs: RadiusAttribute[] = [attr.string(RadiusAttr.USER_NAME, o.userName)];
  if (o.password !== undefined) attrs.push({ type: RadiusAttr.USER_PASSWORD, value: hidePassword(o.password, o.secret, o.authenticator) });
  attrs.push(attr.address(RadiusAttr.NAS_IP_ADDRESS, o.nasIp));
  if (o.callingStationId) attrs.push(attr.string(RadiusAttr.CALLING_STATION_ID, o.callingStationId));
  return packet(RadiusCode.ACCESS_REQUEST, o.id, attrs, () => Buffer.from(o.authenticator));
}

/** Response authenticator: MD5(Code+ID+Length+RequestAuth+Attributes+Secret). */
function responseAuth(requestAuthenticator: Buffer, secret: string) {
  return (unsigned: Buffer) => md5(unsigned.subarray(0, 4), requestAuthenticator, unsigned.subarray(20), Buffer.from(secret));
}

export function radiusAccessAccept(o: { id: number; secret: string; requestAuthenticator: Buffer; framedIp?: string }): Buffer {
  const FRAMED = 2;
  const PPP = 1;
  const attrs = [attr.int(RadiusAttr.SERVICE_TYPE, FRAMED), attr.int(RadiusAttr.FRAMED_PROTOCOL, PPP)];
  if (o.framedIp) attrs.push(attr.address(RadiusAttr.FRAMED_IP_ADDRESS, o.framedIp));
  return packet(RadiusCode.ACCESS_ACCEPT, o.id, attrs, responseAuth(o.requestAuthenticator, o.secret));
}

export interface AccountingRequestOptions {
  id: number;
  secret: string;
  statusType: number;
  nasIp: string;
  /** Absent for Accounting-On/Off, which concern the NAS, not a user. */
  userName?: string;
  sessionId?: string;
  framedIp?: string;
  callingStationId?: string;
  sessionTime?: number;
  inputOctets?: number;
  outputOctets?: number;
}

export function radiusAccountingRequest(o: AccountingRequestOptions): Buffer {
  const attrs: RadiusAttribute[] = [attr.int(RadiusAttr.ACCT_STATUS_TYPE, o.statusType)];
  if (o.userName) attrs.push(attr.string(RadiusAttr.USER_NAME, o.userName));
  attrs.push(attr.address(RadiusAttr.NAS_IP_ADDRESS, o.nasIp));
  if (o.framedIp) attrs.push(attr.address(RadiusAttr.FRAMED_IP_ADDRESS, o.framedIp));
  if (o.callingStationId) attrs.push(attr.string(RadiusAttr.CALLING_STATION_ID, o.callingStationId));
  if (o.sessionId) attrs.push(attr.string(RadiusAttr.ACCT_SESSION_ID, o.sessionId));
  if (o.sessionTime !== undefined) attrs.push(attr.int(RadiusAttr.ACCT_SESSION_TIME, o.sessionTime));
  if (o.inputOctets !== undefined) attrs.push(attr.int(RadiusAttr.ACCT_INPUT_OCTETS, o.inputOctets));
  if (o.outputOctets !== undefined) attrs.push(attr.int(RadiusAttr.ACCT_OUTPUT_OCTETS, o.outputOctets));
  if (o.statusType === AcctStatusType.STOP) {
    const USER_REQUEST = 1;
    attrs.push(attr.int(RadiusAttr.ACCT_TERMINATE_CAUSE, USER_REQUEST));
  }
  // Request authenticator (RFC 2866 3): MD5 over the packet with a zero authenticator, then the secret.
  return packet(RadiusCode.ACCOUNTING_REQUEST, o.id, attrs, (unsigned) => md5(unsigned, Buffer.from(o.secret)));
}

/** Accounting-Response to `request` (the full Accounting-Request packet). */
export function radiusAccountingResponse(o: { secret: string; request: Buffer }): Buffer {
  const id = o.request[1];
  const requestAuthenticator = o.request.subarray(4, 20);
  return packet(RadiusCode.ACCOUNTING_RESPONSE, id, [], responseAuth(requestAuthenticator, o.secret));
}
