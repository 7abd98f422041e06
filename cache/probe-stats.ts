import { PacketPipeline } from './packet-pipeline';
import type { KbApplier } from './kb-applier';

/**
 * The probe's live counters as the key space and INFO show them
 * (DESIGN.md: stats.<name> strings, the INFO probe section). Built from the
 * pipeline's numeric counters only when published, never per packet.
 */
export interface ProbeStatus {
  pcapEof: boolean;
  files: number;
  damagedFiles: number;
}

export function statsKeys(pipeline: PacketPipeline, kb: KbApplier | null = null): Record<string, number> {
  const s = pipeline.stats;
  const t = pipeline.table;
  return {
    'stats.packets': s.packets,
    'stats.bytes': s.bytes,
    'stats.packets.ip': s.ipPackets,
    'stats.packets.nonip': s.nonIp,
    'stats.malformed': s.malformed,
    'stats.unsupported.link': s.unsupportedLink,
    'stats.fragments': s.fragments,
    'stats.fragments.orphan': s.orphanFragments,
    'stats.tunnelled': s.tunnelled,
    // Capture files drop nothing; live capture reports libpcap's drops here.
    'stats.drops': 0,
    'stats.flows.active': t.size,
    'stats.flows.created': t.created,
    'stats.flows.exported': t.exported,
    'stats.flows.evicted': t.evicted,
    'stats.hosts.evicted': kb?.hostsEvicted ?? 0,
    'stats.kb.batches': kb?.batches ?? 0,
    'stats.kb.updates': kb?.ops ?? 0,
  };
}

export function infoProbeLines(name: string, pipeline: PacketPipeline, status: ProbeStatus, kb: KbApplier | null = null): string[] {
  const s = pipeline.stats;
  const t = pipeline.table;
  return [
    `probe_name:${name}`,
    `packets:${s.packets}`,
    `bytes:${s.bytes}`,
    `ip_packets:${s.ipPackets}`,
    `malformed:${s.malformed}`,
    `non_ip:${s.nonIp}`,
    `unsupported_link:${s.unsupportedLink}`,
    `fragments:${s.fragments}`,
    `tunnelled:${s.tunnelled}`,
    `drops:0`,
    `flows_active:${t.size}`,
    `flows_created:${t.created}`,
    `flows_exported:${t.exported}`,
    `flows_evicted:${t.evicted}`,
    `hosts_tracked:${kb?.hostKeys ?? 0}`,
    `hosts_evicted:${kb?.hostsEvicted ?? 0}`,
    `kb_batches:${kb?.batches ?? 0}`,
    `kb_updates:${kb?.ops ?? 0}`,
    `kb_pending:${kb?.pending ?? 0}`,
    `pcap_files:${status.files}`,
    `pcap_damaged:${status.damagedFiles}`,
    `pcap_eof:${status.pcapEof ? 1 : 0}`,
    // No upstream replication is configured in this build of the probe.
    'upstreams:0',
    'upstream_connected:0',
    'upstream_pending:0',
    'upstream_dropped:0',
  ];
}
