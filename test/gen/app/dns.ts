// DNS messages (RFC 1035): one question, optional A/AAAA answers that point
// back at the question name with a compression pointer.

import { cat, ipv4Bytes, ipv6Bytes, labels, u16, u32, u8 } from '../bytes';

export const DnsType = { A: 1, NS: 2, CNAME: 5, AAAA: 28 } as const;
export const DnsRcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;
const CLASS_IN = 1;
const POINTER_TO_QUESTION = 0xc00c; // the question name always starts at offset 12

export interface DnsQuestion {
  id: number;
  name: string;
  type?: number;
}

function header(id: number, flags: number, qd: number, an: number): Buffer {
  return cat(u16(id), u16(flags), u16(qd), u16(an), u16(0), u16(0));
}

function question(name: string, type: number): Buffer {
  return cat(labels(name), u8(0), u16(type), u16(CLASS_IN));
}

export function dnsQuery(q: DnsQuestion): Buffer {
  const RECURSION_DESIRED = 0x0100;
  return cat(header(q.id, RECURSION_DESIRED, 1, 0), question(q.name, q.type ?? DnsType.A));
}

export interface DnsAnswerOptions extends DnsQuestion {
  /** Addresses for the answer section; IPv4 ones become A records, IPv6 ones AAAA. */
  answers?: readonly string[];
  rcode?: number;
  ttl?: number;
}

export function dnsResponse(r: DnsAnswerOptions): Buffer {
  const RESPONSE_RD_RA = 0x8180; // QR, recursion desired, recursion available
  const answers = (r.answers ?? []).map((addr) => {
    const isV6 = addr.includes(':');
    const rdata = isV6 ? ipv6Bytes(addr) : ipv4Bytes(addr);
    return cat(u16(POINTER_TO_QUESTION), u16(isV6 ? DnsType.AAAA : DnsType.A), u16(CLASS_IN), u32(r.ttl ?? 300), u16(rdata.length), rdata);
  });
  return cat(header(r.id, RESPONSE_RD_RA | ((r.rcode ?? 0) & 0xf), 1, answers.length), question(r.name, r.type ?? DnsType.A), ...answers);
}
