// Runs the RESP server alone (tests, benchmarks, manual poking):
//   node dist/server/standalone.js --resp-port 6380 [--resp-bind ADDR] [--resp-socket PATH]
//        [--requirepass P] [--acl-file F] [--maxclients N] [--proto-max-bulk-len N]
//        [--client-query-buffer-limit N] [--pubsub-limit HARD,SOFT,SECS] [--timeout S]
//        [--notify-keyspace-events CLASSES] [--no-protected-mode]
// Prints "READY <port>" on stdout once listening; exits on SIGTERM/SIGINT or stdin EOF with --stdin-eof-exit.
import { startRespServer, RespServerOptions } from './server';

async function main(): Promise<void> {
  const a = process.argv.slice(2);
  const o: RespServerOptions = { port: 6380 };
  let eofExit = false;
  for (let i = 0; i < a.length; i++) {
    const v = (): string => {
      if (i + 1 >= a.length) throw new Error(`${a[i]} needs a value`);
      return a[++i];
    };
    switch (a[i]) {
      case '--resp-port': { const p = v(); o.port = p === 'ephemeral' ? 'ephemeral' : Number(p); break; }
      case '--resp-bind': o.bind = v(); break;
      case '--resp-socket': o.socketPath = v(); break;
      case '--requirepass': o.requirepass = v(); break;
      case '--acl-file': o.aclFile = v(); break;
      case '--maxclients': o.maxClients = Number(v()); break;
      case '--proto-max-bulk-len': o.protoMaxBulkLen = Number(v()); break;
      case '--client-query-buffer-limit': o.clientQueryBufferLimit = Number(v()); break;
      case '--pubsub-limit': { const [h, s, t] = v().split(',').map(Number); o.pubsubOutputLimit = { hard: h, soft: s, softSeconds: t }; break; }
      case '--timeout': o.idleTimeout = Number(v()); break;
      case '--notify-keyspace-events': o.notifyKeyspaceEvents = v(); break;
      case '--no-protected-mode': o.protectedMode = false; break;
      case '--stdin-eof-exit': eofExit = true; break;
      default: throw new Error(`unknown option ${a[i]}`);
    }
  }
  o.log = (level, msg) => { if (level !== 'debug') process.stderr.write(`[${level}] ${msg}\n`); };
  o.info = () => ({ rss: process.memoryUsage().rss, heap_used: process.memoryUsage().heapUsed });
  const srv = await startRespServer(o);
  process.stdout.write(`READY ${srv.port}\n`);
  const stop = (): void => { void srv.close().then(() => process.exit(0)); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (eofExit) {
    process.stdin.on('end', stop);
    process.stdin.resume();
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
