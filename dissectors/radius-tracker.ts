import { AcctStatus, parseRadius, RadiusCode, RadiusMessage } from './radius';
import { Subscriber, SubscriberDirectory } from './subscriber-directory';
import { PendingRequests } from './pending-requests';

/** Access-Requests awaiting their answer, per probe. */
const MAX_PENDING = 65_536;
/** A request unanswered this long is forgotten (RADIUS clients retry within seconds). */
const PENDING_TTL_US = 30e6;

/**
 * RADIUS turned into users (RFC 2865/2866): Access-Accept (matched to its
 * Access-Request by identifier within the UDP flow) and Accounting Start
 * create or refresh user.<name> and ipuser.<ip>; Interim-Update refreshes
 * them; Stop removes them; Accounting-On/Off from a NAS removes every user
 * of that NAS. Accounting acts on the NAS's request, not on the server's
 * acknowledgement: the NAS states the fact, and acting at once keeps the
 * wire-to-event latency low.
 */
export class RadiusTracker {
  messages = 0;
  malformed = 0;
  private readonly pending = new PendingRequests<RadiusMessage>(MAX_PENDING, PENDING_TTL_US);

  constructor(private readonly users: SubscriberDirectory) {}

  /**
   * A UDP payload on a RADIUS port. The identifier is a sub-flow id inside
   * the UDP flow `flowId`; `senderIp` gives the sender's address text, the
   * NAS when the message names none.
   */
  packet(buf: Uint8Array, off: number, len: number, flowId: number, senderIp: () => string, nowUs: number): void {
    const m = parseRadius(buf, off, len);
    if (m === null) {
      this.malformed++;
      return;
    }
    this.messages++;
    switch (m.code) {
      case RadiusCode.AccessRequest:
        if (m.userName !== null) this.pending.add(`${flowId}.${m.identifier}`, m, nowUs);
        break;
      case RadiusCode.AccessAccept: {
        const request = this.pending.take(`${flowId}.${m.identifier}`, nowUs);
        if (request !== undefined) this.accepted(request, m, nowUs);
        break;
      }
      case RadiusCode.AccessReject:
        this.pending.take(`${flowId}.${m.identifier}`, nowUs);
        break;
      case RadiusCode.AccountingRequest:
        this.accounting(m, senderIp, nowUs);
        break;
    }
  }

  private accepted(request: RadiusMessage, accept: RadiusMessage, nowUs: number): void {
    const name = request.userName;
    if (name === null) return;
    const sub = this.users.byUserName(name);
    const fresh = sub === undefined || sub.source !== 'radius' ? new Subscriber(name, 'radius') : sub;
    const before = snapshot(fresh);
    fresh.ip = accept.framedIpAddress ?? request.framedIpAddress ?? fresh.ip;
    fresh.ipv6 = accept.framedIpv6Address ?? request.framedIpv6Address ?? fresh.ipv6;
    fresh.nas = request.nasIpAddress ?? request.nasIpv6Address ?? request.nasIdentifier ?? fresh.nas;
    fresh.callingStation = request.callingStationId ?? fresh.callingStation;
    fresh.imsi = request.vendor3gppImsi ?? fresh.imsi;
    fresh.imei = request.vendor3gppImeisv ?? fresh.imei;
    this.announce(fresh, fresh !== sub, before, nowUs);
  }

  private accounting(m: RadiusMessage, senderIp: () => string, nowUs: number): void {
    const status = m.acctStatusType;
    if (status === AcctStatus.AccountingOn || status === AcctStatus.AccountingOff) {
      // The NAS restarted (or stops): none of its sessions survive.
      const nas = m.nasIpAddress ?? m.nasIpv6Address ?? m.nasIdentifier ?? senderIp();
      const gone: Subscriber[] = [];
      for (const sub of this.users.all()) if (sub.source === 'radius' && sub.nas === nas) gone.push(sub);
      for (const sub of gone) this.users.remove(sub, nowUs);
      return;
    }
    const name = m.userName;
    if (name === null) return;
    const sub = this.users.byUserName(name);
    if (status === AcctStatus.Stop) {
      // A Stop for an older session must not end the session that replaced it.
      if (sub !== undefined && sub.source === 'radius' && (sub.session === null || m.acctSessionId === null || sub.session === m.acctSessionId)) {
        this.users.remove(sub, nowUs);
      }
      return;
    }
    if (status !== AcctStatus.Start && status !== AcctStatus.InterimUpdate) return;
    const newSession = sub !== undefined && status === AcctStatus.Start && sub.session !== null && m.acctSessionId !== null && sub.session !== m.acctSessionId;
    const fresh = sub === undefined || sub.source !== 'radius' || newSession ? new Subscriber(name, 'radius') : sub;
    const before = snapshot(fresh);
    fresh.ip = m.framedIpAddress ?? fresh.ip;
    fresh.ipv6 = m.framedIpv6Address ?? fresh.ipv6;
    fresh.session = m.acctSessionId ?? fresh.session;
    fresh.nas = m.nasIpAddress ?? m.nasIpv6Address ?? m.nasIdentifier ?? fresh.nas ?? senderIp();
    fresh.callingStation = m.callingStationId ?? fresh.callingStation;
    fresh.imsi = m.vendor3gppImsi ?? fresh.imsi;
    fresh.imei = m.vendor3gppImeisv ?? fresh.imei;
    this.announce(fresh, fresh !== sub, before, nowUs);
  }

  /** New: connect. Known and changed: update. Known and the same (a retransmission): nothing. */
  private announce(sub: Subscriber, isNew: boolean, before: string, nowUs: number): void {
    if (isNew) {
      sub.since = Math.floor(nowUs / 1e6);
      this.users.announce(sub, nowUs, 'connect');
    } else if (snapshot(sub) !== before) {
      this.users.announce(sub, nowUs, 'update');
    }
  }
}

/** What a user's keys show, to tell a change from a repeat. */
function snapshot(s: Subscriber): string {
  return `${s.ip}|${s.ipv6}|${s.session}|${s.nas}|${s.callingStation}|${s.imsi}|${s.imei}`;
}
