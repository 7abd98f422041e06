// Users, passwords and permissions: `requirepass` (the default user's
// password) and an ACL file in Redis's format, e.g.
//
//   user default off
//   user dashboard on >s3cret ~* &* +@read +@connection +subscribe +psubscribe
//   user peer on >other ~* &* +@all -@admin
//
// Rules: on/off, >pass, <pass, #sha256hex, nopass, resetpass, ~pattern,
// allkeys, resetkeys, &pattern, allchannels, resetchannels, +cmd, -cmd,
// +cmd|sub, +@category, -@category, allcommands, nocommands, reset.
// Permissions derive from the command table's ACL categories (@read, @write,
// @admin, @pubsub, @connection, ...).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { globMatch } from './util';

export interface AclCommand {
  /** "get", or "client|id" for a subcommand. */
  fullname: string;
  categories: string[];
  /** Subcommand full names of a container command. */
  subcommands?: string[];
}

export const ACL_CATEGORIES = [
  'keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog', 'geo',
  'stream', 'pubsub', 'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection', 'transaction', 'scripting',
];

export class AclUser {
  enabled = false;
  nopass = false;
  readonly passwords = new Set<string>();
  readonly allowed = new Set<string>();
  allKeys = false;
  keyPatterns: string[] = [];
  allChannels = false;
  channelPatterns: string[] = [];
  constructor(public readonly name: string) {}
}

function sha256(s: string): string {
  return createHash('sha256').update(Buffer.from(s, 'latin1')).digest('hex');
}

export class Acl {
  readonly users = new Map<string, AclUser>();
  /** Unknown command names met in rules (ignored, e.g. list commands from a Redis ACL file). */
  readonly warnings: string[] = [];
  private byName = new Map<string, AclCommand>();

  constructor(private commands: AclCommand[]) {
    for (const c of commands) this.byName.set(c.fullname, c);
    const def = new AclUser('default');
    this.applyRules(def, ['on', 'nopass', '~*', '&*', '+@all']);
    this.users.set('default', def);
  }

  get defaultUser(): AclUser {
    return this.users.get('default') as AclUser;
  }

  /** requirepass: sets (or with '' clears) the default user's only password. */
  setRequirePass(pass: string): void {
    const d = this.defaultUser;
    d.passwords.clear();
    if (pass === '') d.nopass = true;
    else {
      d.nopass = false;
      d.passwords.add(sha256(pass));
    }
  }

  /** The requirepass value as CONFIG GET shows it (Redis shows the password only when set through requirepass). */
  requirePass = '';

  /** Loads an ACL file; throws an Error naming the line on a bad rule. */
  loadFile(path: string): void {
    const text = readFileSync(path, 'utf8');
    const lines = text.split(/\r?\n/);
    const fresh = new Map<string, AclUser>();
    lines.forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const parts = line.split(/\s+/);
      if (parts[0] !== 'user' || parts.length < 2) throw new Error(`${path}:${i + 1}: line should start with user keyword`);
      const u = new AclUser(parts[1]);
      try {
        this.applyRules(u, parts.slice(2));
      } catch (e) {
        throw new Error(`${path}:${i + 1}: ${(e as Error).message}`);
      }
      fresh.set(u.name, u);
    });
    for (const [n, u] of fresh) this.users.set(n, u);
  }

  applyRules(u: AclUser, rules: string[]): void {
    for (const r of rules) this.applyRule(u, r);
  }

  applyRule(u: AclUser, rule: string): void {
    const r = rule.toLowerCase();
    if (r === 'on') u.enabled = true;
    else if (r === 'off') u.enabled = false;
    else if (r === 'nopass') { u.nopass = true; u.passwords.clear(); }
    else if (r === 'resetpass') { u.nopass = false; u.passwords.clear(); }
    else if (r === 'allkeys' || rule === '~*') { u.allKeys = true; u.keyPatterns = []; }
    else if (r === 'resetkeys') { u.allKeys = false; u.keyPatterns = []; }
    else if (r === 'allchannels' || rule === '&*') { u.allChannels = true; u.channelPatterns = []; }
    else if (r === 'resetchannels') { u.allChannels = false; u.channelPatterns = []; }
    else if (r === 'allcommands') this.applyRule(u, '+@all');
    else if (r === 'nocommands') this.applyRule(u, '-@all');
    else if (r === 'reset') this.applyRules(u, ['resetpass', 'resetkeys', 'resetchannels', 'off', '-@all']);
    else if (rule[0] === '>') { u.passwords.add(sha256(rule.slice(1))); u.nopass = false; }
    else if (rule[0] === '<') u.passwords.delete(sha256(rule.slice(1)));
    else if (rule[0] === '#') {
      const h = rule.slice(1);
      if (!/^[0-9a-f]{64}$/.test(h)) throw new Error(`Error in ACL SETUSER modifier '${rule}': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters`);
      u.passwords.add(h);
      u.nopass = false;
    } else if (rule[0] === '~') { if (!u.allKeys) u.keyPatterns.push(rule.slice(1)); }
    else if (rule[0] === '&') { if (!u.allChannels) u.channelPatterns.push(rule.slice(1)); }
    else if (rule[0] === '+' || rule[0] === '-') {
      const add = rule[0] === '+';
      const what = r.slice(1);
      let names: string[];
      if (what.startsWith('@')) {
        const cat = what.slice(1);
        if (cat !== 'all' && !ACL_CATEGORIES.includes(cat)) throw new Error(`Error in ACL SETUSER modifier '${rule}': Unknown command or category name in ACL`);
        names = [];
        for (const c of this.commands) if (cat === 'all' || c.categories.includes('@' + cat)) names.push(c.fullname);
      } else {
        const c = this.byName.get(what);
        if (!c) {
          this.warnings.push(`unknown command '${what}' in ACL rule ignored`);
          return;
        }
        names = [c.fullname, ...(c.subcommands ?? [])];
      }
      for (const n of names) {
        if (add) u.allowed.add(n);
        else u.allowed.delete(n);
      }
    } else {
      throw new Error(`Error in ACL SETUSER modifier '${rule}': Syntax error`);
    }
  }

  /** The user if the name/password pair is valid and the user enabled, else null. */
  authenticate(name: string, pass: string): AclUser | null {
    const u = this.users.get(name);
    if (!u || !u.enabled) return null;
    if (u.nopass) return u;
    return u.passwords.has(sha256(pass)) ? u : null;
  }

  canRun(u: AclUser, fullname: string): boolean {
    return u.allowed.has(fullname);
  }

  canKey(u: AclUser, key: string): boolean {
    if (u.allKeys) return true;
    for (const p of u.keyPatterns) if (globMatch(p, key)) return true;
    return false;
  }

  /** Channel permission; a pattern (PSUBSCRIBE) must be granted literally, as Redis. */
  canChannel(u: AclUser, ch: string, isPattern: boolean): boolean {
    if (u.allChannels) return true;
    for (const p of u.channelPatterns) if (isPattern ? p === ch : globMatch(p, ch)) return true;
    return false;
  }
}
