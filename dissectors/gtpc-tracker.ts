import { GtpcFteid, GtpcMessage, parseGtpc } from './gtpc';
import { Bearer, GtpSession, Subscriber, SubscriberDirectory, TunnelEndpoint, tunnelKeys } from './subscriber-directory';
import { PendingRequests } from './pending-requests';

/** GTPv1-C message types (TS 29.060 7.1). */
const V1 = { CreatePdpReq: 16, CreatePdpResp: 17, UpdatePdpReq: 18, UpdatePdpResp: 19, DeletePdpReq: 20, DeletePdpResp: 21 } as const;
/** GTPv2-C message types (TS 29.274 6.1). */
const V2 = {
  CreateSessionReq: 32, CreateSessionResp: 33, ModifyBearerReq: 34, ModifyBearerResp: 35,
  DeleteSessionReq: 36, DeleteSessionResp: 37, CreateBearerReq: 95, CreateBearerResp: 96,
  DeleteBearerReq: 99, DeleteBearerResp: 100,
} as const;

/**
 * F-TEID interface types (TS 29.274 table 8.22-1) by the direction of the
 * traffic their node receives, most preferred first: the access side
 * (S1-U, S12, S4, S11-U) names a bearer's endpoints before S5/S8 and S2b.
 */
const UPLINK_RECEIVERS = [1, 3, 16, 37, 5, 32];
const DOWNLINK_RECEIVERS = [0, 2, 15, 36, 4, 31];

const MAX_PENDING = 65_536;
/** GTP-C peers retransmit within seconds (T3-RESPONSE); a response later than this is ignored. */
const PENDING_TTL_US = 30e6;

interface PendingGtp {
  request: GtpcMessage;
  /** The session the request is about (null for a Create: it does not exist yet). */
  session: Subscriber | null;
}

/**
 * GTP-C signalling turned into mobile subscribers: GTPv1 PDP contexts and
 * GTPv2 sessions and bearers. A request waits for its response (matched by
 * version, sequence number and flow); only an accepted response changes
 * state. Later messages find their session by the header TEID, which names
 * the receiver's control endpoint.
 */
export class GtpcTracker {
  messages = 0;
  malformed = 0;
  private readonly pending = new PendingRequests<PendingGtp>(MAX_PENDING, PENDING_TTL_US);
  /** `<node>.<teid>` of control endpoints -> session; TEID alone as a fallback (NAT, multi-homed nodes). */
  private readonly byControl = new Map<string, Subscriber>();
  private readonly byControlTeid = new Map<number, Subscriber>();

  constructor(private readonly users: SubscriberDirectory) {}

  /** A UDP payload on the GTP-C port; `dstIp` gives the receiver's address text. */
  packet(buf: Uint8Array, off: number, len: number, flowId: number, dstIp: () => string, nowUs: number): void {
    const messages = parseGtpc(buf, off, len);
    if (messages === null) {
      this.malformed++;
      return;
    }
    for (const m of messages) {
      this.messages++;
      if (m.isRequest) this.request(m, flowId, dstIp(), nowUs);
      else if (m.isResponse) this.response(m, flowId, nowUs);
    }
  }

  private request(m: GtpcMessage, flowId: number, receiver: string, nowUs: number): void {
    const creates = (m.version === 2 && m.type === V2.CreateSessionReq) || (m.version === 1 && m.type === V1.CreatePdpReq && m.imsi !== null);
    const session = creates ? null : this.sessionFor(m, receiver);
    if (!creates && session === null) return; // about a session this probe never saw created
    this.pending.add(`${flowId}.${m.version}.${m.sequence}`, { request: m, session }, nowUs);
  }

  private response(m: GtpcMessage, flowId: number, nowUs: number): void {
    const p = this.pending.take(`${flowId}.${m.version}.${m.sequence}`, nowUs);
    if (p === undefined || p.request.type + 1 !== m.type) return;
    if (m.accepted !== true) return;
    const req = p.request;
    if (m.version === 2) {
      switch (m.type) {
        case V2.CreateSessionResp: this.created(req, m, nowUs); break;
        case V2.ModifyBearerResp: this.modified(p.session!, req, m, nowUs); break;
        case V2.DeleteSessionResp: this.deleted(p.session!, nowUs); break;
        case V2.CreateBearerResp: this.bearersCreated(p.session!, req, m, nowUs); break;
        case V2.DeleteBearerResp: this.bearersDeleted(p.session!, req.linkedEbi !== null && req.ebis.length === 0 ? null : req.ebis, nowUs); break;
      }
    } else {
      switch (m.type) {
        case V1.CreatePdpResp:
          if (p.session === null) this.created(req, m, nowUs);
          else this.bearersCreated(p.session, req, m, nowUs);
          break;
        case V1.UpdatePdpResp: this.modified(p.session!, req, m, nowUs); break;
        case V1.DeletePdpResp: {
          const s = p.session!;
          const nsapi = req.linkedEbi;
          if (req.teardown === true || nsapi === null || nsapi === s.gtp!.defaultBearer) this.deleted(s, nowUs);
          else this.bearersDeleted(s, [nsapi], nowUs);
          break;
        }
      }
    }
  }

  /** The session a request is about: its header TEID is the receiver's control TEID. */
  private sessionFor(m: GtpcMessage, receiver: string): Subscriber | null {
    if (m.teid === null || m.teid === 0) return null;
    const s = this.byControl.get(`${receiver}.${m.teid}`) ?? this.byControlTeid.get(m.teid);
    return s !== undefined && s.active ? s : null;
  }

  /** Create Session / Create PDP Context accepted: a new subscriber session. */
  private created(req: GtpcMessage, resp: GtpcMessage, nowUs: number): void {
    const imsi = req.imsi;
    const name = this.users.mobileName(imsi, req.msisdn);
    if (name === null) return; // no identity to name it by (an emergency attach without IMSI)
    const sub = new Subscriber(name, resp.version === 1 ? 'gtpv1' : 'gtpv2');
    sub.since = Math.floor(nowUs / 1e6);
    sub.imsi = imsi;
    sub.msisdn = req.msisdn ?? resp.msisdn;
    sub.imei = req.imei;
    sub.apn = req.apn;
    sub.rat = req.ratType;
    sub.cell = req.cellId;
    sub.ip = resp.ueIpv4 ?? req.ueIpv4;
    sub.ipv6 = resp.ueIpv6 ?? req.ueIpv6;
    const defaultBearer = resp.version === 2 ? (req.bearers[0]?.ebi ?? resp.bearers[0]?.ebi ?? 5) : (req.linkedEbi ?? 0);
    const gtp: GtpSession = { version: resp.version, control: [], controlMain: null, bearers: new Map(), defaultBearer };
    sub.gtp = gtp;
    for (const f of req.fteids) if (f.plane === 'control') addControl(gtp, f);
    for (const f of resp.fteids) if (f.plane === 'control') gtp.controlMain ??= addControl(gtp, f);
    if (resp.version === 1) {
      const b = bearer(gtp, defaultBearer);
      for (const f of req.fteids) if (f.plane === 'user') addEndpoint(b, f, 'down');
      for (const f of resp.fteids) if (f.plane === 'user') addEndpoint(b, f, 'up');
    } else {
      mergeBearers(gtp, req.bearers, resp.bearers);
    }
    const previous = this.users.byUserName(name);
    if (previous !== undefined && previous.gtp !== null) this.forgetControl(previous);
    this.indexControl(sub);
    this.users.announce(sub, nowUs, 'connect');
  }

  /** Modify Bearer / Update PDP Context accepted: new endpoints (handover), location, RAT. */
  private modified(sub: Subscriber, req: GtpcMessage, resp: GtpcMessage, nowUs: number): void {
    const gtp = sub.gtp!;
    const state = `${sub.cell}|${sub.rat}|${tunnelKeys(gtp).join(',')}|${gtp.controlMain?.teid}`;
    sub.cell = req.cellId ?? sub.cell;
    sub.rat = req.ratType ?? sub.rat;
    sub.msisdn ??= resp.msisdn;
    if (req.version === 1) {
      const b = bearer(gtp, req.linkedEbi ?? gtp.defaultBearer);
      // The SGSN's new endpoints replace its old ones; the GGSN's answer may move its own.
      const down = req.fteids.filter((f) => f.plane === 'user');
      const up = resp.fteids.filter((f) => f.plane === 'user');
      if (down.length > 0) replaceSide(b, 'down', down);
      if (up.length > 0) replaceSide(b, 'up', up);
      for (const f of [...req.fteids, ...resp.fteids]) if (f.plane === 'control') addControl(gtp, f);
    } else {
      for (const bc of [...req.bearers, ...resp.bearers]) {
        if (bc.ebi === null) continue;
        const b = bearer(gtp, bc.ebi);
        const down = bc.fteids.filter((f) => f.plane === 'user' && role(f) === 'down');
        const up = bc.fteids.filter((f) => f.plane === 'user' && role(f) === 'up');
        if (down.length > 0) replaceSide(b, 'down', down);
        if (up.length > 0) replaceSide(b, 'up', up);
      }
      for (const f of req.fteids) if (f.plane === 'control') addControl(gtp, f);
    }
    this.indexControl(sub);
    if (`${sub.cell}|${sub.rat}|${tunnelKeys(gtp).join(',')}|${gtp.controlMain?.teid}` !== state) this.users.announce(sub, nowUs, 'update');
  }

  /** Create Bearer accepted (v2 dedicated bearer) or a v1 secondary PDP context. */
  private bearersCreated(sub: Subscriber, req: GtpcMessage, resp: GtpcMessage, nowUs: number): void {
    const gtp = sub.gtp!;
    if (resp.version === 1) {
      const nsapi = req.linkedEbi;
      if (nsapi === null) return;
      const b = bearer(gtp, nsapi);
      for (const f of req.fteids) if (f.plane === 'user') addEndpoint(b, f, 'down');
      for (const f of resp.fteids) if (f.plane === 'user') addEndpoint(b, f, 'up');
    } else {
      // The request's bearer contexts carry no EBI yet; the response assigns them, in order.
      resp.bearers.forEach((rb, i) => {
        if (rb.ebi === null || (rb.cause !== null && !(rb.cause >= 16 && rb.cause <= 63))) return;
        const b = bearer(gtp, rb.ebi);
        for (const f of [...(req.bearers[i]?.fteids ?? []), ...rb.fteids]) if (f.plane === 'user') addEndpoint(b, f, role(f));
      });
    }
    this.users.announce(sub, nowUs, 'update');
  }

  /** Delete Bearer accepted: the listed bearers go; all of them (LBI) ends the session. */
  private bearersDeleted(sub: Subscriber, ebis: number[] | null, nowUs: number): void {
    const gtp = sub.gtp!;
    if (ebis === null || ebis.includes(gtp.defaultBearer)) {
      this.deleted(sub, nowUs);
      return;
    }
    for (const ebi of ebis) gtp.bearers.delete(ebi);
    this.users.announce(sub, nowUs, 'update');
  }

  private deleted(sub: Subscriber, nowUs: number): void {
    this.forgetControl(sub);
    this.users.remove(sub, nowUs);
  }

  /** A session restored from the persistent keys: later messages find it by its control endpoint. */
  restore(sub: Subscriber): void {
    if (sub.gtp !== null) this.indexControl(sub);
  }

  private indexControl(sub: Subscriber): void {
    for (const e of sub.gtp!.control) {
      this.byControl.set(`${e.node}.${e.teid}`, sub);
      this.byControlTeid.set(e.teid, sub);
    }
  }

  private forgetControl(sub: Subscriber): void {
    for (const e of sub.gtp!.control) {
      const key = `${e.node}.${e.teid}`;
      if (this.byControl.get(key) === sub) this.byControl.delete(key);
      if (this.byControlTeid.get(e.teid) === sub) this.byControlTeid.delete(e.teid);
    }
  }
}

function endpointOf(f: GtpcFteid): TunnelEndpoint | null {
  const node = f.ipv4 ?? f.ipv6;
  return node === null ? null : { node, teid: f.teid >>> 0 };
}

function addControl(gtp: GtpSession, f: GtpcFteid): TunnelEndpoint | null {
  const e = endpointOf(f);
  if (e === null) return null;
  if (!gtp.control.some((c) => c.node === e.node && c.teid === e.teid)) gtp.control.push(e);
  return e;
}

function bearer(gtp: GtpSession, id: number): Bearer {
  let b = gtp.bearers.get(id);
  if (b === undefined) gtp.bearers.set(id, (b = { up: null, down: null, endpoints: [] }));
  return b;
}

/** Which way the traffic to this endpoint flows; v1 F-TEIDs are placed by the caller. */
function role(f: GtpcFteid): 'up' | 'down' | null {
  if (f.interfaceType === null) return null;
  if (UPLINK_RECEIVERS.includes(f.interfaceType)) return 'up';
  if (DOWNLINK_RECEIVERS.includes(f.interfaceType)) return 'down';
  return null;
}

function rank(f: GtpcFteid, side: 'up' | 'down'): number {
  if (f.interfaceType === null) return 0;
  const list = side === 'up' ? UPLINK_RECEIVERS : DOWNLINK_RECEIVERS;
  const i = list.indexOf(f.interfaceType);
  return i < 0 ? list.length : i;
}

function addEndpoint(b: Bearer, f: GtpcFteid, side: 'up' | 'down' | null): void {
  const e = endpointOf(f);
  if (e === null) return;
  if (!b.endpoints.some((x) => x.node === e.node && x.teid === e.teid)) b.endpoints.push(e);
  if (side === null) return;
  const current = side === 'up' ? b.upRank : b.downRank;
  const r = rank(f, side);
  if (current !== undefined && current < r) return;
  if (side === 'up') {
    b.up = e;
    b.upRank = r;
  } else {
    b.down = e;
    b.downRank = r;
  }
}

/** New endpoints for one side of a bearer: the old ones of that side are dropped. */
function replaceSide(b: Bearer, side: 'up' | 'down', fteids: GtpcFteid[]): void {
  const old = side === 'up' ? b.up : b.down;
  if (old !== null) b.endpoints = b.endpoints.filter((e) => e !== old);
  if (side === 'up') { b.up = null; b.upRank = undefined; } else { b.down = null; b.downRank = undefined; }
  for (const f of fteids) addEndpoint(b, f, side);
}

function mergeBearers(gtp: GtpSession, reqBearers: GtpcMessage['bearers'], respBearers: GtpcMessage['bearers']): void {
  for (const bc of [...reqBearers, ...respBearers]) {
    if (bc.ebi === null) continue;
    if (bc.cause !== null && !(bc.cause >= 16 && bc.cause <= 63)) continue;
    const b = bearer(gtp, bc.ebi);
    for (const f of bc.fteids) if (f.plane === 'user') addEndpoint(b, f, role(f));
  }
}
