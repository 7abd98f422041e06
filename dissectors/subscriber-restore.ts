import { Bearer, GtpSession, Subscriber, SubscriberSource, TunnelEndpoint } from './subscriber-directory';

/**
 * A subscriber as the persistent keys keep it (user.<name>, gtp.imsi.<imsi>,
 * the gtp.teid.* keys naming its IMSI): plain data, so it can be handed to a
 * pipeline in a worker at start, after a restart with the same --data-dir.
 */
export interface SavedSubscriber {
  name: string;
  user: Record<string, string>;
  gtp: Record<string, string> | null;
  /** `<node>.<teid>` of the gtp.teid.* keys that name its IMSI. */
  tunnels: string[];
}

/** What the keys of one store say about its subscribers. */
export function savedSubscribers(keys: {
  users: Map<string, Record<string, string>>;
  gtp: Map<string, Record<string, string>>;
  teids: Map<string, string>;
}): SavedSubscriber[] {
  const tunnelsOf = new Map<string, string[]>();
  for (const [key, imsi] of keys.teids) {
    let list = tunnelsOf.get(imsi);
    if (list === undefined) tunnelsOf.set(imsi, (list = []));
    list.push(key);
  }
  const out: SavedSubscriber[] = [];
  for (const [name, user] of keys.users) {
    const imsi = user.imsi ?? null;
    const gtp = imsi !== null ? keys.gtp.get(imsi) ?? null : null;
    out.push({ name, user, gtp, tunnels: imsi !== null ? tunnelsOf.get(imsi) ?? [] : [] });
  }
  return out;
}

function endpoint(node: string | undefined, teid: string | undefined): TunnelEndpoint | null {
  return node !== undefined && teid !== undefined && /^\d+$/.test(teid) ? { node, teid: Number(teid) } : null;
}

/** The Subscriber object a saved one describes (its GTP session with the endpoints the keys kept). */
export function subscriberFromSaved(s: SavedSubscriber): Subscriber {
  const u = s.user;
  const source: SubscriberSource = u.source === 'gtpv1' || u.source === 'gtpv2' ? u.source : 'radius';
  const sub = new Subscriber(s.name, source);
  const ip = u.ip ?? null;
  sub.ip = ip !== null && !ip.includes(':') ? ip : null;
  sub.ipv6 = u.ipv6 ?? (ip !== null && ip.includes(':') ? ip : null);
  sub.since = Number(u.since ?? 0);
  sub.session = u.session ?? null;
  sub.nas = u.nas ?? null;
  sub.callingStation = u['calling.station'] ?? null;
  sub.imsi = u.imsi ?? null;
  sub.msisdn = u.msisdn ?? null;
  sub.imei = u.imei ?? null;
  sub.apn = u.apn ?? null;
  sub.rat = u.rat !== undefined ? Number(u.rat) : null;
  sub.cell = u.cell ?? null;
  if (s.gtp !== null && source !== 'radius') {
    const g = s.gtp;
    const controlMain = endpoint(g['node.c'], g['teid.c']);
    const endpoints = s.tunnels.map((key) => {
      const dot = key.lastIndexOf('.');
      return { node: key.slice(0, dot), teid: Number(key.slice(dot + 1)) };
    });
    const bearer: Bearer = { up: endpoint(g['node.u.up'], g['teid.u.up']), down: endpoint(g['node.u.down'], g['teid.u.down']), endpoints };
    const gtp: GtpSession = { version: source === 'gtpv1' ? 1 : 2, control: controlMain !== null ? [controlMain] : [], controlMain, bearers: new Map([[0, bearer]]), defaultBearer: 0 };
    sub.gtp = gtp;
  }
  return sub;
}
