import { TunnelType } from '../capture/decoded-packet';
import type { Subscriber } from '../dissectors/subscriber-directory';
import type { FlowService } from '../dissectors/flow-service';

/**
 * One bidirectional flow. The initiator (sender of the first packet) is the
 * "source"; counters ending in R are for the reverse direction. Fields are
 * plain numbers so the hot path touches no strings; the flow is turned into
 * a record only when it is exported.
 */
export class Flow {
  /** Unique per flow record, also a generation check for stale references. */
  id = 0;
  hash = 0;
  hashNext: Flow | null = null;
  /** Least-recently-used list, most recent at the head. */
  lruPrev: Flow | null = null;
  lruNext: Flow | null = null;
  /** Age list (record start order) for the active timeout, and the closing list. */
  ageNext: Flow | null = null;
  agePrev: Flow | null = null;
  /** Time the flow entered the age list (creation or last active-timeout export). */
  ageRefUs = 0;

  ipVersion = 0;
  protocol = 0;
  vlanId = 0;
  src0 = 0; src1 = 0; src2 = 0; src3 = 0;
  dst0 = 0; dst1 = 0; dst2 = 0; dst3 = 0;
  srcPort = 0;
  dstPort = 0;
  /** Part of the key beyond the 5-tuple (DNS transaction id + 1 with --dns-subflows), 0 otherwise. */
  subKey = 0;

  packets = 0;
  octets = 0;
  l2Octets = 0;
  tcpFlags = 0;
  packetsR = 0;
  octetsR = 0;
  l2OctetsR = 0;
  tcpFlagsR = 0;
  firstUs = 0;
  lastUs = 0;

  /** MAC addresses of the initiator and responder as seen on the first packet (hi 16 bits, lo 32 bits). */
  srcMacHi = -1; srcMacLo = 0;
  dstMacHi = -1; dstMacLo = 0;

  /** TCP teardown: FIN seen per direction, RST seen; closeAtUs > 0 once the flow is closing. */
  finFwd = false;
  finRev = false;
  closeAtUs = 0;

  tunnel: TunnelType = TunnelType.None;
  /** TEID / VNI / key in the initiator's direction and the reverse one. */
  tunnelIdFwd = 0;
  tunnelIdRev = 0;
  tunnelIdFwdSeen = false;
  tunnelIdRevSeen = false;
  /** Outer addresses (src 0..3, dst 4..7) per direction, allocated only for tunnelled flows. */
  tunnelOuterFwd: Uint32Array | null = null;
  tunnelOuterRev: Uint32Array | null = null;
  tunnelOuterVersion = 0;

  inTable = false;

  /** Application (dissectors/classifier.ts): id into APP_NAMES, 0 unknown; decided by port only; packets inspected; scratch. */
  appId = 0;
  appGuessed = false;
  appPackets = 0;
  appState = 0;
  /** Bytes and packets (both directions) already counted for the application in the knowledge base. */
  kbAppBytes = 0;
  kbAppPkts = 0;

  /** What the service dissectors (DNS, HTTP, TLS, SIP...) learned, once one looked at the flow. */
  service: FlowService | null = null;

  /** The user behind the flow once known (RADIUS, GTP-C), and the directory generation last searched. */
  subscriber: Subscriber | null = null;
  subscriberGen = -1;

  /** Knowledge-base bookkeeping: counters already sent as host deltas, and flags. */
  kbDirty = false;
  kbAnnounced = false;
  /** flow.<id> has been written whole; later flushes only update its counters. */
  kbLive = false;
  kbPackets = 0;
  kbOctets = 0;
  kbPacketsR = 0;
  kbOctetsR = 0;
}
