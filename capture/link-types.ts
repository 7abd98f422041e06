/** libpcap LINKTYPE_* values the decoder understands (tcpdump.org/linktypes.html). */
export const LinkType = {
  Null: 0, // BSD loopback: 4-byte address family in the writer's byte order
  Ethernet: 1,
  Ppp: 9,
  PppHdlc: 50,
  CiscoHdlc: 104,
  Ppi: 192, // per-packet information header, then the frame of its own link type
  RawOpenBsd: 12, // DLT_RAW on OpenBSD
  RawBsdi: 14, // DLT_RAW on BSD/OS
  Raw: 101, // raw IPv4 or IPv6, told apart by the version nibble
  Loop: 108, // OpenBSD loopback: address family in network byte order
  LinuxSll: 113,
  Ipv4: 228,
  Ipv6: 229,
  LinuxSll2: 276,
} as const;

const SUPPORTED = new Set<number>(Object.values(LinkType));

export function isSupportedLinkType(linkType: number): boolean {
  return SUPPORTED.has(linkType);
}
