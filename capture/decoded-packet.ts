/**
 * The result of decoding one captured frame.
 *
 * One instance is allocated per pipeline and overwritten for every packet:
 * the hot path never allocates. Addresses are kept as 32-bit words (IPv4 in
 * word 3, words 0-2 zero) so flow hashing and comparison stay numeric; text
 * forms are made only when a flow record is emitted.
 */
export const enum TunnelType {
  None = 0,
  Gre = 1,
  Vxlan = 2,
  IpInIp = 3, // IPv4 in IPv4
  SixInFour = 4, // IPv6 in IPv4
  FourInSix = 5, // IPv4 in IPv6
  SixInSix = 6, // IPv6 in IPv6
  GtpU = 7,
}

export const TUNNEL_NAMES: readonly string[] = ['', 'gre', 'vxlan', 'ipip', '6in4', '4in6', '6in6', 'gtpu'];

/** Why a frame produced no flow update. */
export const enum DecodeStatus {
  Ok = 0,
  /** Valid frame that carries no IP (ARP, LLDP, STP, PPPoE discovery...). */
  NonIp = 1,
  /** Truncated or inconsistent headers: counted in stats.malformed. */
  Malformed = 2,
  /** A link type this probe does not decode. */
  UnsupportedLink = 3,
}

export class DecodedPacket {
  /** Frame length on the wire (pcap "original length"). */
  wireLength = 0;
  /** Offset of the outermost Ethernet header, or -1 when the link has none. */
  ethOffset = -1;
  /** Innermost 802.1Q/802.1ad VLAN id, 0 when untagged. */
  vlanId = 0;

  ipVersion = 0;
  /** Offset of the (innermost) IP header in the capture buffer. */
  ipOffset = 0;
  /** IP bytes of the (innermost) packet: header plus payload, as on the wire. */
  ipLength = 0;
  /** src words 0..3, dst words 4..7 of the innermost IP header. */
  readonly addr = new Uint32Array(8);
  protocol = 0;
  srcPort = 0;
  dstPort = 0;
  tcpFlags = 0;
  /** TCP sequence number (unsigned 32 bits): lets stream dissectors spot retransmissions and gaps. */
  tcpSeq = 0;
  /** Offset and captured length of the transport payload (0 length if none). */
  payloadOffset = 0;
  payloadLength = 0;

  /**
   * Fragmentation seen at some IP layer: its version, addresses (src 0..3,
   * dst 4..7), identification and protocol. When it is an outer header of a
   * tunnel, later fragments belong to the inner flow of the first one.
   */
  isFragment = false;
  /** True for a fragment that is not the first one (no transport header). */
  isLaterFragment = false;
  /** True when the fragmented header is outside a tunnel the packet entered. */
  fragmentIsOuter = false;
  fragmentId = 0;
  fragmentIpVersion = 0;
  fragmentProtocol = 0;
  readonly fragmentAddr = new Uint32Array(8);

  /**
   * Splits one 5-tuple into several flows (0: none). Set by the pipeline, not
   * the decoder: DNS transaction ids with --dns-subflows.
   */
  subKey = 0;

  tunnel: TunnelType = TunnelType.None;
  /** GTP-U TEID, VXLAN VNI or GRE key of the innermost tunnel (0 when none). */
  tunnelId = 0;
  /** Outer IP version and addresses of the innermost tunnel (src 0..3, dst 4..7). */
  outerIpVersion = 0;
  readonly outerAddr = new Uint32Array(8);

  reset(wireLength: number): void {
    this.wireLength = wireLength;
    this.ethOffset = -1;
    this.vlanId = 0;
    this.ipVersion = 0;
    this.ipLength = 0;
    this.protocol = 0;
    this.srcPort = 0;
    this.dstPort = 0;
    this.tcpFlags = 0;
    this.tcpSeq = 0;
    this.payloadOffset = 0;
    this.payloadLength = 0;
    this.isFragment = false;
    this.isLaterFragment = false;
    this.fragmentIsOuter = false;
    this.subKey = 0;
    this.tunnel = TunnelType.None;
    this.tunnelId = 0;
    this.outerIpVersion = 0;
  }
}
