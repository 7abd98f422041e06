import { Counter } from './pipeline-counters';
import type { UpstreamStatus } from './upstreams';
import type { KbApplier } from './kb-applier';

/**
 * The probe's live counters as the key space and INFO show them
 * (DESIGN.md: stats.<name> strings, the INFO probe section). Built from the
 * pipeline's counter array (pipeline-counters.ts) only when published, never
 * per packet.
 */
export interface ProbeStatus {
  pcapEof: boolean;
  files: number;
  damagedFiles: number;
  /** Where the packet pipeline runs: "main" or "worker". */
  pipelineThread: 'main' | 'worker';
}

export function statsKeys(c: Float64Array, kb: KbApplier | null = null, up: UpstreamStatus | null = null): Record<string, number> {
  return {
    'stats.packets': c[Counter.Packets],
    'stats.bytes': c[Counter.Bytes],
    'stats.packets.ip': c[Counter.IpPackets],
    'stats.packets.nonip': c[Counter.NonIp],
    'stats.malformed': c[Counter.Malformed],
    'stats.unsupported.link': c[Counter.UnsupportedLink],
    'stats.fragments': c[Counter.Fragments],
    'stats.fragments.orphan': c[Counter.OrphanFragments],
    'stats.tunnelled': c[Counter.Tunnelled],
    // Capture files drop nothing; live capture reports libpcap's drops here.
    'stats.drops': 0,
    'stats.flows.active': c[Counter.FlowsActive],
    'stats.flows.created': c[Counter.FlowsCreated],
    'stats.flows.exported': c[Counter.FlowsExported],
    'stats.flows.evicted': c[Counter.FlowsEvicted],
    'stats.radius.messages': c[Counter.RadiusMessages],
    'stats.radius.malformed': c[Counter.RadiusMalformed],
    'stats.gtpc.messages': c[Counter.GtpcMessages],
    'stats.gtpc.malformed': c[Counter.GtpcMalformed],
    'stats.users': c[Counter.Users],
    'stats.users.connects': c[Counter.UserConnects],
    'stats.users.disconnects': c[Counter.UserDisconnects],
    'stats.cloud.lookups': c[Counter.CloudLookups],
    'stats.cloud.hits': c[Counter.CloudHits],
    'stats.dns.messages': c[Counter.DnsMessages],
    'stats.dns.malformed': c[Counter.DnsMalformed],
    'stats.http.requests': c[Counter.HttpRequests],
    'stats.http.responses': c[Counter.HttpResponses],
    'stats.tls.hellos': c[Counter.TlsHellos],
    'stats.quic.hellos': c[Counter.QuicHellos],
    'stats.quic.undecrypted': c[Counter.QuicUndecrypted],
    'stats.sip.messages': c[Counter.SipMessages],
    'stats.sip.malformed': c[Counter.SipMalformed],
    'stats.sip.calls': c[Counter.SipCalls],
    'stats.export.messages': c[Counter.ExportMessages],
    'stats.export.records': c[Counter.ExportRecords],
    'stats.export.records.lost': c[Counter.ExportRecordsLost],
    'stats.pcap.received': c[Counter.PcapReceived],
    'stats.pcap.dropped': c[Counter.PcapDropped],
    'stats.pcap.ifdropped': c[Counter.PcapIfDropped],
    'stats.hosts.evicted': kb?.hostsEvicted ?? 0,
    'stats.kb.batches': kb?.batches ?? 0,
    'stats.kb.updates': kb?.ops ?? 0,
    'stats.upstream.connected': up?.connected ?? 0,
    'stats.upstream.pending': up?.pending ?? 0,
    'stats.upstream.dropped': up?.dropped ?? 0,
  };
}

export function infoProbeLines(name: string, c: Float64Array, status: ProbeStatus, kb: KbApplier | null = null, up: UpstreamStatus | null = null): string[] {
  return [
    `probe_name:${name}`,
    `pipeline_thread:${status.pipelineThread}`,
    `packets:${c[Counter.Packets]}`,
    `bytes:${c[Counter.Bytes]}`,
    `ip_packets:${c[Counter.IpPackets]}`,
    `malformed:${c[Counter.Malformed]}`,
    `non_ip:${c[Counter.NonIp]}`,
    `unsupported_link:${c[Counter.UnsupportedLink]}`,
    `fragments:${c[Counter.Fragments]}`,
    `tunnelled:${c[Counter.Tunnelled]}`,
    `drops:0`,
    `flows_active:${c[Counter.FlowsActive]}`,
    `flows_created:${c[Counter.FlowsCreated]}`,
    `flows_exported:${c[Counter.FlowsExported]}`,
    `flows_evicted:${c[Counter.FlowsEvicted]}`,
    `radius_messages:${c[Counter.RadiusMessages]}`,
    `radius_malformed:${c[Counter.RadiusMalformed]}`,
    `gtpc_messages:${c[Counter.GtpcMessages]}`,
    `gtpc_malformed:${c[Counter.GtpcMalformed]}`,
    `users:${c[Counter.Users]}`,
    `user_connects:${c[Counter.UserConnects]}`,
    `user_disconnects:${c[Counter.UserDisconnects]}`,
    `cloud_lookups:${c[Counter.CloudLookups]}`,
    `cloud_hits:${c[Counter.CloudHits]}`,
    `dns_messages:${c[Counter.DnsMessages]}`,
    `dns_malformed:${c[Counter.DnsMalformed]}`,
    `http_requests:${c[Counter.HttpRequests]}`,
    `http_responses:${c[Counter.HttpResponses]}`,
    `tls_hellos:${c[Counter.TlsHellos]}`,
    `quic_hellos:${c[Counter.QuicHellos]}`,
    `quic_undecrypted:${c[Counter.QuicUndecrypted]}`,
    `sip_messages:${c[Counter.SipMessages]}`,
    `sip_malformed:${c[Counter.SipMalformed]}`,
    `sip_calls:${c[Counter.SipCalls]}`,
    `export_messages:${c[Counter.ExportMessages]}`,
    `export_records:${c[Counter.ExportRecords]}`,
    `export_records_lost:${c[Counter.ExportRecordsLost]}`,
    `pcap_received:${c[Counter.PcapReceived]}`,
    `pcap_dropped:${c[Counter.PcapDropped]}`,
    `pcap_ifdropped:${c[Counter.PcapIfDropped]}`,
    `hosts_tracked:${kb?.hostKeys ?? 0}`,
    `hosts_evicted:${kb?.hostsEvicted ?? 0}`,
    `kb_batches:${kb?.batches ?? 0}`,
    `kb_updates:${kb?.ops ?? 0}`,
    `kb_pending:${kb?.pending ?? 0}`,
    `pcap_files:${status.files}`,
    `pcap_damaged:${status.damagedFiles}`,
    `pcap_eof:${status.pcapEof ? 1 : 0}`,
    `upstreams:${up?.upstreams ?? 0}`,
    `upstream_connected:${up?.connected ?? 0}`,
    `upstream_pending:${up?.pending ?? 0}`,
    `upstream_dropped:${up?.dropped ?? 0}`,
    `upstream_batches:${up?.batches ?? 0}`,
    `upstream_commands:${up?.commands ?? 0}`,
    `upstream_rejected:${up?.rejected ?? 0}`,
  ];
}
