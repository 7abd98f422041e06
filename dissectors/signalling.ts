import type { DecodedPacket } from '../capture/decoded-packet';
import { TunnelType } from '../capture/decoded-packet';
import type { Flow } from '../cache/flow';
import type { KbOp } from '../cache/kb-updates';
import { addressText } from '../export/address-text';
import { GTPC_PORT } from './gtpc';
import { GtpcTracker } from './gtpc-tracker';
import { RadiusTracker } from './radius-tracker';
import { DirectoryOptions, Subscriber, SubscriberDirectory } from './subscriber-directory';

function isRadiusPort(port: number): boolean {
  return port === 1812 || port === 1813 || port === 1645 || port === 1646;
}

/**
 * Subscriber awareness inside the packet pipeline: hands RADIUS and GTP-C
 * payloads to their trackers and names the user behind a flow (its GTP-U
 * tunnel endpoint first, else its addresses). The per-packet cost for other
 * traffic is two port comparisons.
 */
export class Signalling {
  readonly users: SubscriberDirectory;
  readonly radius: RadiusTracker;
  readonly gtpc: GtpcTracker;

  constructor(opts: DirectoryOptions, emit: (op: KbOp) => void) {
    this.users = new SubscriberDirectory(opts, emit);
    this.radius = new RadiusTracker(this.users);
    this.gtpc = new GtpcTracker(this.users);
  }

  /** True when the UDP packet was signalling (the pipeline flushes its updates promptly). */
  udp(p: DecodedPacket, buf: Uint8Array, flow: Flow, nowUs: number): boolean {
    const sp = p.srcPort;
    const dp = p.dstPort;
    if (sp === GTPC_PORT || dp === GTPC_PORT) {
      this.gtpc.packet(buf, p.payloadOffset, p.payloadLength, flow.id, () => addressText(p.ipVersion, p.addr, 4), nowUs);
      return true;
    }
    if (isRadiusPort(sp) || isRadiusPort(dp)) {
      this.radius.packet(buf, p.payloadOffset, p.payloadLength, flow.id, () => addressText(p.ipVersion, p.addr, 0), nowUs);
      return true;
    }
    return false;
  }

  /**
   * The subscriber behind a flow, or null. Searched once per flow and again
   * only after the directory changed; a flow keeps the subscriber it found.
   */
  attribute(flow: Flow, srcText?: string, dstText?: string): Subscriber | null {
    if (flow.subscriber !== null) return flow.subscriber;
    const users = this.users;
    if (flow.subscriberGen === users.generation) return null;
    flow.subscriberGen = users.generation;
    if (users.size === 0) return null;
    let s: Subscriber | undefined;
    if (flow.tunnel === TunnelType.GtpU) {
      // A G-PDU's TEID belongs to its receiver: the outer destination.
      const v = flow.tunnelOuterVersion;
      if (flow.tunnelIdFwdSeen && flow.tunnelOuterFwd !== null) s = users.byTunnel(addressText(v, flow.tunnelOuterFwd, 4), flow.tunnelIdFwd);
      if (s === undefined && flow.tunnelIdRevSeen && flow.tunnelOuterRev !== null) s = users.byTunnel(addressText(v, flow.tunnelOuterRev, 4), flow.tunnelIdRev);
    }
    if (s === undefined) {
      s = users.byAddress(srcText ?? addressText(flow.ipVersion, [flow.src0, flow.src1, flow.src2, flow.src3], 0));
      s ??= users.byAddress(dstText ?? addressText(flow.ipVersion, [flow.dst0, flow.dst1, flow.dst2, flow.dst3], 0));
    }
    flow.subscriber = s !== undefined && s.active ? s : null;
    return flow.subscriber;
  }
}
