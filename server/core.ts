// The server core: configuration, clients, the keyspace, pub/sub and ACL,
// and command dispatch with Redis's checks in Redis's order (processCommand):
// existence, arity, authentication, ACL, pub/sub context, MULTI queueing.
import { Keyspace } from './store';
import { PubSub } from './pubsub';
import { Acl } from './acl';
import { DEFAULTS } from './limits';
import type { Client } from './client';
import { RespError } from './types';
import { Command, buildCommandTable, aclCommandList } from './command-table';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, msg: string) => void;

export interface CoreConfig {
  maxClients: number;
  protoMaxBulkLen: number;
  maxMultibulkLen: number;
  clientQueryBufferLimit: number;
  pubsubHard: number;
  pubsubSoft: number;
  pubsubSoftSeconds: number;
  normalBacklog: number;
  timeout: number;
  hz: number;
  sliceMs: number;
  protectedMode: boolean;
}

/** An INFO section contributed by the embedding program: "key:value" lines or a record. */
export type InfoHook = () => string[] | Record<string, string | number | bigint>;

export class ServerCore {
  readonly store = new Keyspace();
  readonly pubsub = new PubSub();
  readonly acl: Acl;
  readonly cfg: CoreConfig = { ...DEFAULTS, protectedMode: true };
  readonly clients = new Map<number, Client>();
  readonly commands: Map<string, Command>;
  readonly startTime = Date.now();
  readonly infoHooks = new Map<string, InfoHook>();
  readonly stats = {
    connectionsReceived: 0,
    commandsProcessed: 0,
    rejectedConnections: 0,
    netInput: 0,
    netOutput: 0,
    outputBufferDisconnections: 0,
    queryBufferDisconnections: 0,
    protectedModeRejections: 0,
    errorReplies: 0,
    /** Longest single stretch spent running one client's commands (ms, wall clock). */
    longestRunMs: 0,
  };
  /** Event-loop delay histogram (perf_hooks), reported by INFO server. */
  loopDelay: { max: number; percentile(p: number): number; reset(): void } | null = null;
  port = 0;
  bind: string[] = [];
  socketPath: string | undefined;
  private nextId = 1;
  private toFlush: Client[] = [];
  private flushPending = false;

  constructor(public log: Logger = () => {}) {
    this.commands = buildCommandTable();
    this.acl = new Acl(aclCommandList(this.commands));
    this.store.publish = (ch, msg) => this.pubsub.publish(ch, msg);
  }

  /** Applies changed parser limits (CONFIG SET proto-max-bulk-len) to connected clients. */
  applyParserLimits(): void {
    for (const c of this.clients.values()) {
      c.parser.limits = { maxBulkLen: this.cfg.protoMaxBulkLen, maxMultibulkLen: this.cfg.maxMultibulkLen };
    }
  }

  newClientId(): number {
    return this.nextId++;
  }

  addClient(c: Client): void {
    this.clients.set(c.id, c);
  }

  removeClient(c: Client): void {
    this.clients.delete(c.id);
    this.pubsub.removeClient(c);
  }

  scheduleFlush(c: Client): void {
    this.toFlush.push(c);
    if (!this.flushPending) {
      this.flushPending = true;
      setImmediate(() => {
        this.flushPending = false;
        const list = this.toFlush;
        this.toFlush = [];
        for (const x of list) x.flushed();
      });
    }
  }

  /** Looks a command up (subcommand included); returns the command or an error text. */
  lookup(argv: string[]): Command | string {
    const name = argv[0].toLowerCase();
    const cmd = this.commands.get(name);
    if (cmd && cmd.sub && argv.length >= 2) {
      const sc = cmd.sub.get(argv[1].toLowerCase());
      if (!sc) return `ERR unknown subcommand '${argv[1].slice(0, 128)}'. Try ${argv[0].toUpperCase()} HELP.`;
      return sc;
    }
    if (!cmd) {
      let args = '';
      for (let i = 1; i < argv.length && args.length < 128; i++) args += "'" + argv[i].slice(0, 128 - args.length) + "' ";
      return `ERR unknown command '${argv[0].slice(0, 128)}', with args beginning with: ${args}`;
    }
    return cmd;
  }

  private reject(c: Client, msg: string, cmd?: Command): void {
    if (c.multi) c.multiError = true;
    this.stats.errorReplies++;
    if (cmd && cmd.name === 'exec') {
      // Redis's execCommandAbort: a rejected EXEC discards the transaction.
      c.multi = null;
      c.multiError = false;
      msg = 'EXECABORT Transaction discarded because of: ' + (msg.startsWith('ERR ') ? msg.slice(4) : msg);
    }
    c.w.error(msg);
  }

  /** Runs one request from a client (processCommand). */
  execute(c: Client, argv: string[]): void {
    const cmd = this.lookup(argv);
    if (typeof cmd === 'string') return this.reject(c, cmd);
    const argc = argv.length;
    if ((cmd.arity > 0 && cmd.arity !== argc) || argc < -cmd.arity) {
      return this.reject(c, `ERR wrong number of arguments for '${cmd.name}' command`, cmd);
    }
    if (!c.authenticated && !cmd.noAuth) return this.reject(c, 'NOAUTH Authentication required.', cmd);
    const perm = this.checkPerm(c, cmd, argv);
    if (perm) return this.reject(c, perm, cmd);
    if (c.proto === 2 && c.isPubSub && !cmd.allowedInPubSub) {
      return this.reject(c, `ERR Can't execute '${cmd.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`, cmd);
    }
    if (c.multi && !cmd.multiControl) {
      c.multi.push(argv);
      c.w.simple('QUEUED');
      return;
    }
    this.call(c, cmd, argv);
  }

  /** ACL check: null when allowed, else the NOPERM text. */
  checkPerm(c: Client, cmd: Command, argv: string[]): string | null {
    const u = c.user;
    if (u.allKeys && u.allChannels && u.allowed.has(cmd.name)) return null;
    if (!cmd.noAuth && !this.acl.canRun(u, cmd.name)) return `NOPERM this user has no permissions to run the '${cmd.name}' command`;
    if (!u.allKeys && cmd.firstKey > 0) {
      const last = cmd.lastKey < 0 ? argv.length + cmd.lastKey : cmd.lastKey;
      for (let i = cmd.firstKey; i <= last && i < argv.length; i += cmd.step || 1) {
        if (!this.acl.canKey(u, argv[i])) return 'NOPERM this user has no permissions to access one of the keys used as arguments';
      }
    }
    if (!u.allChannels && cmd.channels) {
      const isPat = cmd.channels === 'patterns';
      const from = 1;
      const to = cmd.name === 'publish' ? 2 : argv.length;
      for (let i = from; i < to; i++) {
        if (!this.acl.canChannel(u, argv[i], isPat)) return 'NOPERM this user has no permissions to access one of the channels used as arguments';
      }
    }
    return null;
  }

  /**
   * Told of every write command (and PUBLISH) a client ran successfully, in
   * byte-string form: how a probe passes what a chained peer sends it on to
   * its own upstreams.
   */
  onWrite: ((argv: readonly string[]) => void) | null = null;

  /** Calls a command's handler, turning thrown RespErrors into error replies. */
  call(c: Client, cmd: Command, argv: string[]): void {
    c.lastCmd = cmd.name;
    this.stats.commandsProcessed++;
    try {
      (cmd.handler as NonNullable<Command['handler']>)(c, argv, this);
      if (this.onWrite !== null && (cmd.name === 'publish' || cmd.flags.includes('write'))) this.onWrite(argv);
    } catch (e) {
      this.stats.errorReplies++;
      if (e instanceof RespError) c.w.error(e.message);
      else {
        this.log('error', `command ${cmd.name} failed: ${(e as Error).stack ?? e}`);
        c.w.error('ERR ' + ((e as Error).message ?? String(e)));
      }
    }
  }
}
