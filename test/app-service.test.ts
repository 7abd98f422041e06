/**
 * serviceFromHostName (dissectors/app-service.ts): unit cases, then a
 * comparison with nDPI's service for the same host names in its regression
 * output (../shared/pcaps/ndpi/result/*.out).
 *
 * Which of nDPI's flows are judged: nDPI names a flow "MASTER.SERVICE"
 * ("TLS.Google") and can take the service from the host name, from other
 * payload (certificate, User-Agent...) or from the server's address (its
 * [IP: ...] guess). We judge a flow when
 *  - its master is DNS, HTTP, TLS or QUIC (the protocols whose host name we
 *    read: query name, Host, server name), and
 *  - its confidence is plain "DPI": "DPI (partial)", "(cache)" or
 *    "(aggressive)" mean nDPI did not finish on the payload and may have
 *    filled the service from its address guess or an earlier flow, and
 *  - its [Hostname/SNI] is a name, not an IP literal.
 * nDPI does not copy its address guess into a DPI-classified flow's service
 * (the corpus has plain "TLS" flows whose [IP:] says GoogleCloud, AmazonAWS,
 * ...), so the service of a judged flow came from its payload, nearly always
 * the host name.
 *
 * Measured and asserted:
 *  - agreement: over judged flows whose nDPI service is one we can return,
 *    the share where we return the same name (>= 90%); per-service table;
 *  - over-claim: over judged flows whose nDPI service is none or one we do
 *    not have, the share where we return a name that nDPI's output uses
 *    somewhere in the corpus (< 5%). A name nDPI never prints (Akamai and
 *    Mozilla with the nDPI version behind this corpus) can be neither
 *    confirmed nor refuted by it: those answers are counted and reported
 *    apart, and the raw rate (all names) is held below 10%.
 *
 * `node dist/test/app-service.test.js --details` prints every disagreement.
 */
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { SERVICE_NAMES, serviceFromHostName } from '../dissectors/app-service';
import { parseNdpiFlowLine } from './corpus/ndpi-result';
import { ndpiResultDir } from './corpus/paths';

const MIN_AGREEMENT = 0.9;
const MAX_OVERCLAIM = 0.05;
const MAX_OVERCLAIM_RAW = 0.1;
const DETAILS = process.argv.includes('--details');

t.test('whole labels, longest suffix, case, trailing dot', async (t) => {
  t.equal(serviceFromHostName('google.com'), 'Google');
  t.equal(serviceFromHostName('www.google.com'), 'Google');
  t.equal(serviceFromHostName('www.google.co.uk'), 'Google');
  t.equal(serviceFromHostName('notgoogle.com'), null, 'a suffix must start at a label');
  t.equal(serviceFromHostName('google.com.evil.example'), null, 'only the right end counts');
  t.equal(serviceFromHostName('googleapis.com'), 'GoogleServices');
  t.equal(serviceFromHostName('fonts.googleapis.com'), 'GoogleServices');
  t.equal(serviceFromHostName('youtube.googleapis.com'), 'YouTube', 'longer suffix wins');
  t.equal(serviceFromHostName('r3---sn-vh5ouxa-hjuk.googlevideo.com'), 'YouTube');
  t.equal(serviceFromHostName('upload.youtube.com'), 'YouTubeUpload');
  t.equal(serviceFromHostName('www.youtube.com'), 'YouTube');
  t.equal(serviceFromHostName('mail.google.com'), 'GMail');
  t.equal(serviceFromHostName('maps.google.de'), 'GoogleMaps');
  t.equal(serviceFromHostName('api.teams.skype.com'), 'Teams');
  t.equal(serviceFromHostName('login.skype.com'), 'Skype_Teams');
  t.equal(serviceFromHostName('outlook.office365.com'), 'Outlook');
  t.equal(serviceFromHostName('substrate.office.com'), 'Microsoft365');
  t.equal(serviceFromHostName('onedrive.live.com'), 'MS_OneDrive');
  t.equal(serviceFromHostName('login.live.com'), 'Microsoft');
  t.equal(serviceFromHostName('itunes.apple.com'), 'AppleiTunes');
  t.equal(serviceFromHostName('p53-buy.itunes.apple.com'), 'AppleiTunes', 'p53-buy is not buy');
  t.equal(serviceFromHostName('buy.itunes.apple.com'), 'AppleStore');
  t.equal(serviceFromHostName('1-courier.push.apple.com'), 'ApplePush');
  t.equal(serviceFromHostName('media.cdn.whatsapp.net'), 'WhatsAppFiles');
  t.equal(serviceFromHostName('g.whatsapp.net'), 'WhatsApp');
  t.equal(serviceFromHostName('mail.yandex.kz'), 'YandexMail');
  t.equal(serviceFromHostName('yandex.kz'), 'Yandex');
  t.equal(serviceFromHostName('t.co'), 'Twitter');
  t.equal(serviceFromHostName('at.co'), null);

  t.equal(serviceFromHostName('WWW.YouTube.COM'), 'YouTube', 'case-insensitive');
  t.equal(serviceFromHostName('www.netflix.com.'), 'NetFlix', 'trailing dot');
  t.equal(serviceFromHostName('www.netflix.com..'), 'NetFlix', 'trailing dots');
  t.equal(serviceFromHostName('WWW.NETFLIX.COM.'), 'NetFlix');
});

t.test('OCSP and DoH by the leftmost label', async (t) => {
  t.equal(serviceFromHostName('ocsp.digicert.com'), 'OCSP');
  t.equal(serviceFromHostName('ocsp07.actalis.it'), 'OCSP');
  t.equal(serviceFromHostName('ocsp.pki.goog'), 'OCSP', 'wins over the Google suffix');
  t.equal(serviceFromHostName('r3.o.lencr.org'), 'OCSP');
  t.equal(serviceFromHostName('ocsp.com'), null, 'two labels: a domain, not a responder');
  t.equal(serviceFromHostName('ocspx.example.com'), null);
  t.equal(serviceFromHostName('doh.ffmuc.net'), 'DoH_DoT');
  t.equal(serviceFromHostName('dns.google'), 'DoH_DoT');
  t.equal(serviceFromHostName('mozilla.cloudflare-dns.com'), 'DoH_DoT');
  t.equal(serviceFromHostName('dohx.example.com'), null);
});

t.test('ports, IP literals, empty and junk', async (t) => {
  // An HTTP Host header may carry a port: it is not part of the name.
  t.equal(serviceFromHostName('www.google.com:443'), 'Google');
  t.equal(serviceFromHostName('www.google.com.:8080'), 'Google');
  t.equal(serviceFromHostName('1.2.3.4'), null);
  t.equal(serviceFromHostName('23.246.3.140:80'), null);
  t.equal(serviceFromHostName('2a03:2880:f10c:83:face:b00c:0:25de'), null);
  t.equal(serviceFromHostName('[2a03:2880::1]:443'), null);
  t.equal(serviceFromHostName('[::1]'), null);
  t.equal(serviceFromHostName(''), null);
  t.equal(serviceFromHostName('.'), null);
  t.equal(serviceFromHostName(':443'), null);
  t.equal(serviceFromHostName('com'), null);
  t.equal(serviceFromHostName('localhost'), null);
  t.equal(serviceFromHostName('x'.repeat(1000) + '.google.com'), null, 'longer than any DNS name');
  t.equal(serviceFromHostName('a..google.com'), 'Google');
  t.equal(serviceFromHostName('goo gle.com'), null);
});

t.test('SERVICE_NAMES', async (t) => {
  t.ok(SERVICE_NAMES.length >= 100, `${SERVICE_NAMES.length} services`);
  t.equal(new Set(SERVICE_NAMES).size, SERVICE_NAMES.length, 'no name twice');
  for (const name of SERVICE_NAMES) t.match(name, /^[A-Za-z0-9_]+$/, `${name}: one nDPI-style token`);
  for (const name of ['Google', 'GoogleServices', 'YouTube', 'Facebook', 'NetFlix', 'AmazonAWS', 'Microsoft365', 'Teams', 'OCSP', 'DoH_DoT', 'ntop']) {
    t.ok(SERVICE_NAMES.includes(name), name);
  }
});

interface Judged {
  file: string;
  line: number;
  host: string;
  /** nDPI's service, null when it named only the master ("TLS"). */
  ndpi: string | null;
  ours: string | null;
}

const JUDGED_MASTERS = new Set(['DNS', 'HTTP', 'TLS', 'QUIC']);
const HOST_RE = /\[Hostname\/SNI: ([^\]]*)\]/;
const CONFIDENCE_RE = /\[Confidence: ([^\]]*)\]/;

function isIpLiteral(host: string): boolean {
  const h = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host;
  return isIP(h) !== 0 || isIP(h.replace(/:\d+$/, '')) !== 0;
}

/** Every protocol/service name nDPI prints in the corpus ([proto: ...] and [IP: ...] labels). */
function ndpiVocabulary(dir: string): Set<string> {
  const names = new Set<string>();
  const re = /\[(?:proto|IP): (?:[A-Za-z0-9_]+:)?[0-9.]+\/([^\]]*)\]/g;
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.out'))) {
    for (const m of readFileSync(join(dir, name), 'latin1').matchAll(re)) for (const part of m[1].split('.')) names.add(part);
  }
  return names;
}

function judgedFlows(dir: string): Judged[] {
  const out: Judged[] = [];
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.out')).sort()) {
    const lines = readFileSync(join(dir, name), 'latin1').split('\n');
    let undetected = false;
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i].replace(/\r$/, '');
      if (text === 'Undetected flows:') undetected = true;
      const hostMatch = HOST_RE.exec(text);
      if (!hostMatch) continue;
      const flow = parseNdpiFlowLine(text, i + 1, undetected);
      if (!flow || !JUDGED_MASTERS.has(flow.master)) continue;
      if (CONFIDENCE_RE.exec(text)?.[1] !== 'DPI') continue;
      const host = hostMatch[1];
      if (host === '' || isIpLiteral(host)) continue;
      out.push({ file: name, line: i + 1, host, ndpi: flow.app === flow.master ? null : flow.app, ours: serviceFromHostName(host) });
    }
  }
  return out;
}

function pct(n: number, d: number): string {
  return d === 0 ? '-' : `${((100 * n) / d).toFixed(1)}%`;
}

const resultDir = ndpiResultDir();
t.test("against nDPI's services", { skip: existsSync(resultDir) ? false : `no nDPI results at ${resultDir} (set MICROCLOUD_SHARED)` }, async (t) => {
  const dir = resultDir;
  const claimed = new Set(SERVICE_NAMES);
  const flows = judgedFlows(dir);
  t.ok(flows.length > 1000, `${flows.length} judged flows`);

  // Agreement on the services we claim.
  const perService = new Map<string, { flows: number; agree: number; instead: Map<string, number> }>();
  let claimedFlows = 0;
  let agree = 0;
  // Over-claim on the rest: names nDPI uses elsewhere, and names it never prints.
  const vocabulary = ndpiVocabulary(dir);
  let otherFlows = 0;
  let overclaim = 0;
  let overclaimUnknownToNdpi = 0;
  const overclaimBy = new Map<string, number>();
  const lines: string[] = [];
  for (const f of flows) {
    if (f.ndpi !== null && claimed.has(f.ndpi)) {
      claimedFlows++;
      let row = perService.get(f.ndpi);
      if (!row) perService.set(f.ndpi, (row = { flows: 0, agree: 0, instead: new Map() }));
      row.flows++;
      if (f.ours === f.ndpi) {
        agree++;
        row.agree++;
      } else {
        const said = f.ours ?? 'null';
        row.instead.set(said, (row.instead.get(said) ?? 0) + 1);
        lines.push(`disagree ${f.file}:${f.line} ${f.host}: nDPI ${f.ndpi}, ours ${said}`);
      }
    } else {
      otherFlows++;
      if (f.ours !== null) {
        if (vocabulary.has(f.ours)) overclaim++;
        else overclaimUnknownToNdpi++;
        const key = `${f.ours} (nDPI ${f.ndpi ?? 'none'})`;
        overclaimBy.set(key, (overclaimBy.get(key) ?? 0) + 1);
        lines.push(`overclaim ${f.file}:${f.line} ${f.host}: nDPI ${f.ndpi ?? 'none'}, ours ${f.ours}`);
      }
    }
  }

  const rows = [...perService.entries()].sort((a, b) => b[1].flows - a[1].flows || a[0].localeCompare(b[0]));
  const table = ['service             flows  agree  share   we said instead'];
  for (const [name, r] of rows) {
    const instead = [...r.instead.entries()].map(([k, v]) => `${k}x${v}`).join(' ');
    table.push(`${name.padEnd(19)} ${String(r.flows).padStart(5)}  ${String(r.agree).padStart(5)}  ${pct(r.agree, r.flows).padStart(6)}  ${instead}`);
  }
  t.comment(table.join('\n'));
  t.comment(`services seen in judged flows: ${rows.length} of the ${SERVICE_NAMES.length} we have`);
  t.comment(`agreement on services we claim: ${agree}/${claimedFlows} = ${pct(agree, claimedFlows)}`);
  // The same host recurs across flows (one capture of one app): count each (host, nDPI service) once too.
  const distinct = new Map<string, boolean>();
  for (const f of flows) if (f.ndpi !== null && claimed.has(f.ndpi)) distinct.set(`${f.host.toLowerCase()} ${f.ndpi}`, f.ours === f.ndpi);
  const distinctAgree = [...distinct.values()].filter(Boolean).length;
  t.comment(`  counting each (host, nDPI service) once: ${distinctAgree}/${distinct.size} = ${pct(distinctAgree, distinct.size)}`);
  const raw = overclaim + overclaimUnknownToNdpi;
  t.comment(`names we give where nDPI says none or a service we do not have: ${raw}/${otherFlows} = ${pct(raw, otherFlows)}`);
  t.comment(`  of which names nDPI uses elsewhere: ${overclaim}/${otherFlows} = ${pct(overclaim, otherFlows)}`);
  t.comment(`  of which names nDPI never prints: ${overclaimUnknownToNdpi} (${SERVICE_NAMES.filter((n) => !vocabulary.has(n)).join(' ')})`);
  t.comment(
    'over-claims by (ours, nDPI): ' +
      [...overclaimBy.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} x${v}`)
        .join(', '),
  );
  if (DETAILS) for (const l of lines) t.comment(l);

  t.ok(claimedFlows >= 300, `${claimedFlows} judged flows name a service we claim`);
  t.ok(agree / claimedFlows >= MIN_AGREEMENT, `agreement ${pct(agree, claimedFlows)} >= ${MIN_AGREEMENT * 100}%`);
  t.ok(overclaim / otherFlows < MAX_OVERCLAIM, `over-claim (names nDPI uses) ${pct(overclaim, otherFlows)} < ${MAX_OVERCLAIM * 100}%`);
  t.ok(raw / otherFlows < MAX_OVERCLAIM_RAW, `over-claim (all names) ${pct(raw, otherFlows)} < ${MAX_OVERCLAIM_RAW * 100}%`);
});
