import { Command, Option } from 'commander';
import { collect, decapList, mtu, nonNegativeInt, port, positiveInt, seconds, snaplen, uint32, workerCount } from './options';
import { runProbe, ProbeConfig } from './run-probe';
import { DEFAULT_PIPELINE_OPTIONS } from '../cache/packet-pipeline';

/** `microcloud probe`: the options of DESIGN.md's CLI contract that exist so far. */
export function addProbeCommand(program: Command): void {
  program
    .command('probe')
    .description('read captures, build flows, serve and export them')
    .option('--pcap <file>', 'read a pcap or pcapng file (repeatable; read in order)', collect, [])
    .option('--interface <if>', 'capture live on this interface with libpcap (repeatable)', collect, [])
    .option('--bpf <expr>', 'live capture: BPF filter (pcap-filter syntax), e.g. "udp port 1813 or port 2123"')
    .option('--snaplen <bytes>', 'live capture: bytes kept of each packet', snaplen, 262_144)
    .option('--no-promisc', 'live capture: do not put the interface in promiscuous mode')
    .option('--pcap-buffer <MB>', 'live capture: libpcap kernel buffer per interface, in MB', positiveInt, 64)
    .option('--resp-port <port>', 'RESP (Redis protocol) TCP port; 0 starts no listener', port, 6380)
    .option('--resp-bind <addr>', 'address the RESP listener binds to', '127.0.0.1')
    .option('--requirepass <password>', 'password of the RESP server\'s default user')
    .option('--acl-file <file>', 'RESP users in Redis ACL file format, e.g. read-only dashboards and a writer for peer probes')
    .option('--flows-out <file>', 'write one JSON object per exported flow to this file (JSON lines)')
    .addOption(new Option('--netflow <version>', 'export flows as NetFlow v9 or IPFIX to the --collector(s)').choices(['v9', 'ipfix']))
    .option('--collector <addr>', 'NetFlow/IPFIX collector: HOST:PORT or udp://HOST:PORT, tcp://HOST:PORT for IPFIX over TCP, [ADDR]:PORT for IPv6 (repeatable)', collect, [])
    .option('--template-refresh <sec>', 'UDP: send the templates again after this many seconds', seconds, 60)
    .option('--template-refresh-packets <n>', 'UDP: send the templates again after this many export packets', positiveInt, 20)
    .option('--observation-domain <id>', 'IPFIX observation domain id / NetFlow v9 source id', uint32, 0)
    .option('--export-mtu <bytes>', 'path MTU to the collectors: export packets are filled up to it', mtu, 1500)
    .option('--export-queue <records>', 'records held while a TCP collector is away; past it they are counted lost', positiveInt, 100_000)
    .option('--idle-timeout <sec>', 'export a flow after this many seconds without packets', seconds, DEFAULT_PIPELINE_OPTIONS.idleTimeoutSec)
    .option('--active-timeout <sec>', 'export a long-lived flow every this many seconds (0: never)', seconds, DEFAULT_PIPELINE_OPTIONS.activeTimeoutSec)
    .option('--max-flows <n>', 'bound of the flow cache; the least recently active flow is evicted', positiveInt, DEFAULT_PIPELINE_OPTIONS.maxFlows)
    .addOption(new Option('--decap <tunnels>', 'tunnels to decapsulate: comma list of gre,vxlan,ipip,gtpu, or all, or none')
      .default(DEFAULT_PIPELINE_OPTIONS.decap, 'all').argParser(decapList))
    .option('--tcp-close-linger <sec>', 'after FIN both ways or RST, keep a TCP flow this long for its last packets', seconds, DEFAULT_PIPELINE_OPTIONS.tcpCloseLingerSec)
    .option('--flush-ms <ms>', 'how often flow activity reaches the knowledge base (packet time for files)', positiveInt, 100)
    .option('--host-ttl <sec>', 'seconds a host, MAC, VLAN key lives after its last update', positiveInt, 300)
    .option('--max-hosts <n>', 'most ip.* (and mac.*) keys kept; the least recently updated are evicted', positiveInt, 1_000_000)
    .option('--dns-subflows', 'one flow record per DNS transaction (query and its answer), keyed by transaction id')
    .addOption(new Option('--user-id <id>', 'name mobile subscribers by their IMSI or their MSISDN (when known)').choices(['imsi', 'msisdn']).default('imsi'))
    .option('--upstream <url>', 'replicate the knowledge base to this Redis node, cluster node or probe: redis://[user:pass@]host:port, rediss:// for TLS (repeatable)', collect, [])
    .option('--upstream-cluster', 'the --upstream URLs name nodes of a Redis Cluster')
    .option('--upstream-queue <n>', 'updates held per upstream while it is slow or away; past it counters and events are dropped (counted), persistent keys kept', positiveInt, 1_000_000)
    .option('--data-dir <dir>', 'keep the persistent keys (user.*, ipuser.*, gtp.*) in an append-only log here; restored at start')
    .addOption(new Option('--appendfsync <policy>', 'when the log is forced to disk, as Redis: always, everysec or no').choices(['always', 'everysec', 'no']).default('everysec'))
    .option('--realtime', 'replay captures paced by their packet timestamps')
    .option('--loop', 'replay the captures forever (time keeps moving forward)')
    .option('--exit-on-eof', 'exit 0 once the last capture is read and every flow is written')
    .option('--stats-out <file>', 'write the final probe counters as JSON to this file on exit')
    .option('--name <probe>', 'name of this probe in events and records', defaultProbeName())
    .option('--no-progress', 'no progress bar, even on a terminal')
    .option('--batch <packets>', 'packets read between checks of the slice time (a slice of work lasts a few ms)', nonNegativeInt, 64)
    .option('--workers <n>', 'pipeline threads: N worker_threads share the traffic by address pair; 0 runs the pipeline on the main thread (default: cores - 1, at least 1)', workerCount, defaultWorkers())
    .action(async (opts: ProbeConfig) => {
      const code = await runProbe(opts);
      if (code !== null) process.exitCode = code;
    });
}

/** One core for the main thread (store, RESP, upstreams), the others for the pipeline (DESIGN: issue 9). */
function defaultWorkers(): number {
  return Math.max(1, require('node:os').availableParallelism() - 1);
}

function defaultProbeName(): string {
  return require('node:os').hostname() as string;
}
