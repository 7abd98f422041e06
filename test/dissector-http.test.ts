/**
 * dissectors/http.ts (HttpConversation) and dissectors/user-agent-os.ts.
 *
 * 1. Generated conversations (test/gen/app/http.ts and byte builders here):
 *    keep-alive exchanges split at every byte position, pipelining, chunked
 *    bodies with extensions and trailers, HEAD/1xx/204/304 without body,
 *    CONNECT, 101 upgrade, the HTTP/2 preface, gap recovery, a capture that
 *    starts with the reply or inside a body, header-name case, obsolete line
 *    folding, bare LF, the bound on a head's length; fuzz (mutations,
 *    truncations, random splits and gaps never throw).
 * 2. Real captures against tshark: every nDPI capture whose expected result
 *    mentions HTTP and Zeek's captures that carry HTTP. Each TCP connection's
 *    payload (4-tuple, direction by its first packet, TcpSequence per
 *    direction) goes through an HttpConversation; the requests (method,
 *    target, Host, User-Agent) and responses (status code, Server) are
 *    compared with tshark's, connection by connection, in order.
 *    Differences tshark causes by design are counted apart with their reason.
 * 3. osFromUserAgent: a table of real User-Agent strings with the expected
 *    family, and the distribution over every distinct User-Agent in nDPI's
 *    results and in tshark's output of part 2.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CaptureFile } from '../capture/capture-file';
import { DecodedPacket, DecodeStatus } from '../capture/decoded-packet';
import { Decap, PacketDecoder } from '../capture/decoder';
import { HttpConversation, HttpEvents, HttpRequestHead, HttpResponseHead, isHttpMethod, MAX_HEAD } from '../dissectors/http';
import { SegmentVerdict, TcpSequence } from '../dissectors/tcp-sequence';
import { osFromUserAgent } from '../dissectors/user-agent-os';
import { ndpiPcapDir, ndpiResultDir, zeekDir } from './corpus/paths';
import { httpRequest, httpResponse } from './gen/app/http';
import { SeededRandom } from './gen/rng';
import { mapLimited, TSHARK, tsharkAvailable } from './gen/tshark';

// ---------------------------------------------------------------------------
// Recording events

type Event = { req: [string, string, string, string | null, string | null] } | { resp: [number, string, string | null, string | null] };

class Recorder implements HttpEvents {
  readonly events: Event[] = [];
  onRequest(h: HttpRequestHead): void {
    this.events.push({ req: [h.method, h.target, h.version, h.host, h.userAgent] });
  }
  onResponse(h: HttpResponseHead): void {
    this.events.push({ resp: [h.statusCode, h.version, h.server, h.contentType] });
  }
}

const req = (method: string, target: string, host: string | null, ua: string | null = null, version = 'HTTP/1.1'): Event => ({
  req: [method, target, version, host, ua],
});
const resp = (code: number, server: string | null = null, contentType: string | null = null, version = 'HTTP/1.1'): Event => ({
  resp: [code, version, server, contentType],
});

/** One direction's bytes: true = from the initiator. */
type Piece = [boolean, Buffer];

function run(pieces: readonly Piece[]): { events: Event[]; conv: HttpConversation } {
  const r = new Recorder();
  const conv = new HttpConversation(r);
  for (const [fromInitiator, data] of pieces) conv.feed(data, 0, data.length, fromInitiator);
  return { events: r.events, conv };
}

/**
 * Feeds each piece in two segments cut at `cut` (relative to the piece),
 * inside a larger buffer at an offset, so offsets are honoured.
 */
function feedAt(conv: HttpConversation, data: Buffer, fromInitiator: boolean, cuts: readonly number[]): void {
  let prev = 0;
  for (const c of [...cuts, data.length]) {
    if (c <= prev) continue;
    const frame = Buffer.alloc(c - prev + 20, 0x5a); // the bytes around the segment must not leak in
    data.copy(frame, 10, prev, c);
    conv.feed(frame, 10, c - prev, fromInitiator);
    prev = c;
  }
}

const CRLF = '\r\n';
const b = (s: string): Buffer => Buffer.from(s, 'latin1');

function chunkedBody(chunks: readonly string[], opts: { ext?: boolean; trailers?: string[] } = {}): string {
  let out = '';
  for (const c of chunks) out += Buffer.byteLength(c).toString(16) + (opts.ext ? ';name=value' : '') + CRLF + c + CRLF;
  out += '0' + CRLF;
  for (const tr of opts.trailers ?? []) out += tr + CRLF;
  return out + CRLF;
}

function rawResponse(status: string, headers: readonly string[], body = ''): Buffer {
  return b(`HTTP/1.1 ${status}${CRLF}${headers.map((h) => h + CRLF).join('')}${CRLF}${body}`);
}

function rawRequest(line: string, headers: readonly string[], body = ''): Buffer {
  return b(`${line}${CRLF}${headers.map((h) => h + CRLF).join('')}${CRLF}${body}`);
}

// ---------------------------------------------------------------------------
// 1. Generated conversations

t.test('generated conversations', async (t) => {
  const UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0';
  const r1 = httpRequest({ host: 'www.example.com', target: '/index.html', userAgent: UA });
  const r2 = httpRequest({ method: 'POST', host: 'www.example.com:8080', target: '/form?a=1&b=%20', userAgent: UA, body: 'x=1&y=2' });
  const r3 = httpRequest({ method: 'HEAD', host: 'www.example.com', target: '/big.iso', userAgent: UA });
  const r4 = httpRequest({ host: 'www.example.com', target: '/chunked', userAgent: UA });
  const r5 = httpRequest({ host: 'www.example.com', target: '/cached', userAgent: UA, headers: { 'If-None-Match': '"abc"' } });
  const s1 = httpResponse({ status: 200, body: '<html>hello</html>' });
  const s2 = httpResponse({ status: 301, contentType: 'text/plain', body: 'moved' });
  // HEAD: the Content-Length describes the GET response; no body follows (RFC 9110 9.3.2).
  const s3 = rawResponse('200 OK', ['Server: nginx/1.25.3', 'Content-Type: application/octet-stream', 'Content-Length: 4700000000']);
  const s4 = rawResponse(
    '200 OK',
    ['Server: gws', 'Content-Type: text/html; charset=UTF-8', 'Transfer-Encoding: chunked'],
    chunkedBody(['HTTP/1.1 200 OK\r\n', 'x'.repeat(300), 'GET / HTTP/1.1\r\n\r\n'], { ext: true, trailers: ['Expires: never', 'X-Check: 1'] }),
  );
  const s5 = rawResponse('304 Not Modified', ['Server: Apache', 'Content-Length: 1234', 'ETag: "abc"']);
  const expected: Event[] = [
    req('GET', '/index.html', 'www.example.com', UA),
    resp(200, 'microcloud-gen', 'text/html'),
    req('POST', '/form?a=1&b=%20', 'www.example.com:8080', UA),
    resp(301, 'microcloud-gen', 'text/plain'),
    req('HEAD', '/big.iso', 'www.example.com', UA),
    resp(200, 'nginx/1.25.3', 'application/octet-stream'),
    req('GET', '/chunked', 'www.example.com', UA),
    resp(200, 'gws', 'text/html; charset=UTF-8'),
    req('GET', '/cached', 'www.example.com', UA),
    resp(304, 'Apache', null),
  ];
  const keepAlive: Piece[] = [
    [true, r1], [false, s1], [true, r2], [false, s2], [true, r3], [false, s3], [true, r4], [false, s4], [true, r5], [false, s5],
  ];

  t.test('keep-alive sequence, whole segments', async (t) => {
    const { events, conv } = run(keepAlive);
    t.same(events, expected);
    t.equal(conv.requests, 5);
    t.equal(conv.responses, 5);
    t.equal(conv.done, false);
    // Heads whole inside their segments are parsed in place: nothing was copied.
    const internals = conv as unknown as { initiator: { partial: unknown }; responder: { partial: unknown } };
    t.equal(internals.initiator.partial, null, 'no partial-head buffer for the client');
    t.equal(internals.responder.partial, null, 'no partial-head buffer for the server');
  });

  t.test('every message split at every byte position', async (t) => {
    let failures = 0;
    let runs = 0;
    for (let i = 0; i < keepAlive.length; i++) {
      const [dir, data] = keepAlive[i];
      for (let cut = 1; cut < data.length; cut++) {
        const r = new Recorder();
        const conv = new HttpConversation(r);
        keepAlive.forEach(([d, bytes], j) => feedAt(conv, bytes, d, j === i ? [cut] : []));
        runs++;
        if (JSON.stringify(r.events) !== JSON.stringify(expected)) {
          if (failures++ < 5) t.fail(`piece ${i} (${dir ? 'client' : 'server'}) cut at ${cut}: ${JSON.stringify(r.events)}`);
        }
      }
    }
    t.equal(failures, 0, `${runs} split runs give the unsplit events`);
  });

  t.test('every byte its own segment', async (t) => {
    const r = new Recorder();
    const conv = new HttpConversation(r);
    for (const [d, data] of keepAlive) feedAt(conv, data, d, Array.from({ length: data.length }, (_, i) => i + 1));
    t.same(r.events, expected);
  });

  t.test('pipelining: all requests in one segment, all responses in one segment', async (t) => {
    const client = Buffer.concat(keepAlive.filter(([d]) => d).map(([, x]) => x));
    const server = Buffer.concat(keepAlive.filter(([d]) => !d).map(([, x]) => x));
    const { events, conv } = run([[true, client], [false, server]]);
    t.same(events.filter((e) => 'req' in e), expected.filter((e) => 'req' in e));
    t.same(events.filter((e) => 'resp' in e), expected.filter((e) => 'resp' in e), 'HEAD answered without body, in order');
    t.equal(conv.requests, 5);
    t.equal(conv.responses, 5);
    // The two concatenated streams cut at every position (in two segments each).
    let bad = 0;
    for (let cut = 1; cut < server.length; cut += 1) {
      const r = new Recorder();
      const c = new HttpConversation(r);
      feedAt(c, client, true, [cut % client.length || 1]);
      feedAt(c, server, false, [cut]);
      if (JSON.stringify(r.events.filter((e) => 'resp' in e)) !== JSON.stringify(expected.filter((e) => 'resp' in e))) bad++;
      if (JSON.stringify(r.events.filter((e) => 'req' in e)) !== JSON.stringify(expected.filter((e) => 'req' in e))) bad++;
    }
    t.equal(bad, 0, `pipelined streams cut at each of ${server.length - 1} positions`);
  });

  t.test('chunked: extensions, trailers, sizes in hex of any case, bare LF', async (t) => {
    const body = '1A;foo="bar"\r\n' + 'a'.repeat(26) + '\r\n' + 'f\n' + 'b'.repeat(15) + '\n' + '0\r\nTrailer-A: 1\r\nTrailer-B: 2\r\n\r\n';
    const first = rawResponse('200 OK', ['Transfer-Encoding: gzip, chunked', 'Server: s1'], body);
    const second = rawResponse('404 Not Found', ['Content-Length: 3', 'Server: s2'], 'abc');
    const stream = Buffer.concat([first, second]);
    for (let cut = 1; cut < stream.length; cut++) {
      const r = new Recorder();
      const conv = new HttpConversation(r);
      const requests = b('GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n');
      conv.feed(requests, 0, requests.length, true);
      feedAt(conv, stream, false, [cut]);
      if (JSON.stringify(r.events.slice(2)) !== JSON.stringify([resp(200, 's1'), resp(404, 's2')])) {
        t.fail(`cut at ${cut}: ${JSON.stringify(r.events)}`);
        return;
      }
    }
    t.pass('chunked response then a Content-Length one, cut anywhere');
    // A chunked request body (uploads) is skipped the same way.
    const upload = rawRequest('PUT /up HTTP/1.1', ['Host: h', 'Transfer-Encoding: chunked'], chunkedBody(['GET /no HTTP/1.1\r\n\r\n']));
    const { events } = run([[true, Buffer.concat([upload, rawRequest('GET /next HTTP/1.1', ['Host: h'])])]]);
    t.same(events, [req('PUT', '/up', 'h'), req('GET', '/next', 'h')]);
  });

  t.test('interim responses, 204, 304, HEAD', async (t) => {
    const { events } = run([
      [true, rawRequest('POST /upload HTTP/1.1', ['Host: h', 'Expect: 100-continue', 'Content-Length: 5'])],
      [false, rawResponse('100 Continue', [])],
      [true, b('hello')],
      [false, Buffer.concat([rawResponse('103 Early Hints', ['Link: </s.css>; rel=preload']), rawResponse('201 Created', ['Content-Length: 2'], 'ok')])],
      [true, rawRequest('DELETE /x HTTP/1.1', ['Host: h'])],
      [false, rawResponse('204 No Content', ['Content-Length: 10'])],
      [true, rawRequest('HEAD /y HTTP/1.1', ['Host: h'])],
      [false, rawResponse('200 OK', ['Transfer-Encoding: chunked'])],
      [true, rawRequest('GET /z HTTP/1.1', ['Host: h'])],
      [false, rawResponse('304 Not Modified', ['Transfer-Encoding: chunked'])],
      [true, rawRequest('GET /last HTTP/1.1', ['Host: h'])],
      [false, rawResponse('200 OK', ['Content-Length: 0'])],
    ]);
    t.same(events, [
      req('POST', '/upload', 'h'), resp(100), resp(103), resp(201),
      req('DELETE', '/x', 'h'), resp(204), req('HEAD', '/y', 'h'), resp(200), req('GET', '/z', 'h'), resp(304), req('GET', '/last', 'h'), resp(200),
    ]);
  });

  t.test('CONNECT', async (t) => {
    const tls = Buffer.from('16030100a5010000a10303', 'hex');
    const ok = run([
      [true, rawRequest('CONNECT www.example.com:443 HTTP/1.1', ['Host: www.example.com:443', 'User-Agent: curl/8.4.0'])],
      [false, b('HTTP/1.1 200 Connection established\r\n\r\n')],
      [true, tls],
      [false, Buffer.from('160303007a020000760303', 'hex')],
    ]);
    t.same(ok.events, [req('CONNECT', 'www.example.com:443', 'www.example.com:443', 'curl/8.4.0'), resp(200)]);
    t.equal(ok.conv.done, true, 'a 2xx to CONNECT ends HTTP on the connection');
    // Refused: the proxy's 407 has a body; the client then retries with credentials.
    const refused = run([
      [true, rawRequest('CONNECT a.example:443 HTTP/1.1', ['Host: a.example:443'])],
      [false, rawResponse('407 Proxy Authentication Required', ['Proxy-Authenticate: Basic', 'Content-Length: 4'], 'deny')],
      [true, rawRequest('CONNECT a.example:443 HTTP/1.1', ['Host: a.example:443', 'Proxy-Authorization: Basic eDp5'])],
      [false, rawResponse('200 OK', [])],
    ]);
    t.same(refused.events, [req('CONNECT', 'a.example:443', 'a.example:443'), resp(407), req('CONNECT', 'a.example:443', 'a.example:443'), resp(200)]);
    t.equal(refused.conv.done, true);
    t.equal(refused.conv.requests, 2);
  });

  t.test('101 upgrade and the HTTP/2 preface end HTTP/1.x', async (t) => {
    const ws = run([
      [true, rawRequest('GET /chat HTTP/1.1', ['Host: h', 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='])],
      [false, Buffer.concat([rawResponse('101 Switching Protocols', ['Upgrade: websocket', 'Connection: Upgrade']), Buffer.from([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f])])],
      [true, rawRequest('GET /not-http HTTP/1.1', ['Host: h'])],
    ]);
    t.same(ws.events, [req('GET', '/chat', 'h'), resp(101)]);
    t.equal(ws.conv.done, true);
    const h2 = run([[true, b('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x12\x04\x00\x00\x00\x00\x00')], [false, Buffer.from('000000040100000000', 'hex')]]);
    t.same(h2.events, []);
    t.equal(h2.conv.done, true, 'prior-knowledge HTTP/2');
    t.equal(h2.conv.requests, 0);
  });

  t.test('gap recovery', async (t) => {
    const r = new Recorder();
    const conv = new HttpConversation(r);
    const big = httpResponse({ status: 200, body: 'z'.repeat(5000) });
    conv.feed(r1, 0, r1.length, true);
    conv.feed(big, 0, 1000, false);
    conv.gap(false); // bytes 1000..2999 lost
    conv.feed(big, 3000, big.length - 3000, false); // the rest of the body: skipped, not parsed as a head
    conv.feed(r2, 0, 30, true);
    conv.gap(true); // the rest of request 2 lost
    conv.feed(r3, 0, r3.length, true); // the next request starts a segment: recognised
    conv.feed(s2, 0, s2.length, false); // answers request 2
    conv.feed(s3, 0, s3.length, false); // HEAD's response, matched in order
    conv.feed(r1, 0, r1.length, true);
    conv.feed(s1, 0, s1.length, false);
    t.same(r.events, [
      req('GET', '/index.html', 'www.example.com', UA),
      resp(200, 'microcloud-gen', 'text/html'),
      req('HEAD', '/big.iso', 'www.example.com', UA),
      resp(301, 'microcloud-gen', 'text/plain'),
      resp(200, 'nginx/1.25.3', 'application/octet-stream'),
      req('GET', '/index.html', 'www.example.com', UA),
      resp(200, 'microcloud-gen', 'text/html'),
    ]);
    t.equal(conv.done, false);
    // A gap inside a chunked body: the chunk syntax is not searched for in the data that follows.
    const r2nd = new Recorder();
    const c2 = new HttpConversation(r2nd);
    c2.feed(r4, 0, r4.length, true);
    c2.feed(s4, 0, 120, false);
    c2.gap(false);
    c2.feed(s4, 200, s4.length - 200, false);
    c2.feed(s1, 0, s1.length, false);
    t.same(r2nd.events, [req('GET', '/chunked', 'www.example.com', UA), resp(200, 'gws', 'text/html; charset=UTF-8'), resp(200, 'microcloud-gen', 'text/html')]);
    // A HEAD request cut by a gap keeps its place: its response (Content-Length, no body) is followed by the next one.
    const r3rd = new Recorder();
    const c3 = new HttpConversation(r3rd);
    c3.feed(r3, 0, 20, true);
    c3.gap(true);
    c3.feed(r1, 0, r1.length, true);
    const both = Buffer.concat([s3, s1]);
    c3.feed(both, 0, both.length, false);
    t.same(r3rd.events, [req('GET', '/index.html', 'www.example.com', UA), resp(200, 'nginx/1.25.3', 'application/octet-stream'), resp(200, 'microcloud-gen', 'text/html')]);
  });

  t.test('capture starting with the reply, or inside a body', async (t) => {
    // The initiator (first packet's sender) is the server here.
    const reply = run([[true, s1], [false, r1], [true, s2]]);
    t.same(reply.events, [resp(200, 'microcloud-gen', 'text/html'), req('GET', '/index.html', 'www.example.com', UA), resp(301, 'microcloud-gen', 'text/plain')]);
    // A status line from the client side once roles are known is not a response.
    const wrongSide = run([[false, r1], [false, s1], [true, s1]]);
    t.same(wrongSide.events, [req('GET', '/index.html', 'www.example.com', UA), resp(200, 'microcloud-gen', 'text/html')]);
    // First segments are the tail of a body: skipped until a segment starts a message.
    const mid = run([
      [false, b('ody of something; HTTP/1.1 200 OK\r\n\r\n')],
      [false, b('\x00\x01\x02 more body')],
      [true, b('rest of an upload')],
      [true, r1],
      [false, s1],
    ]);
    t.same(mid.events, [req('GET', '/index.html', 'www.example.com', UA), resp(200, 'microcloud-gen', 'text/html')]);
  });

  t.test('header names in any case, whitespace, obsolete folding, bare LF, empty lines', async (t) => {
    const head = b(
      '\r\n\r\nGET http://proxy.example/p?q HTTP/1.0\n' +
        'HOST:   proxy.example:3128  \n' +
        'user-AGENT: Folded/1.0\n' +
        '   (continued; line)\n' +
        '\tand more\n' +
        'content-LENGTH : 3\n' +
        '\nabcOPTIONS * HTTP/1.1\r\nHost: x\r\nX-Empty:\r\n\r\n',
    );
    const { events } = run([[true, head]]);
    t.same(events, [req('GET', 'http://proxy.example/p?q', 'proxy.example:3128', 'Folded/1.0 (continued; line) and more', 'HTTP/1.0'), req('OPTIONS', '*', 'x')]);
    const server = run([
      [true, rawRequest('GET / HTTP/1.1', ['Host: a'])],
      [false, b('HTTP/1.0 200\nSERVER: tiny\nContent-type:text/plain\nContent-Length: 2, 2\n\nok')],
      [true, rawRequest('GET /2 HTTP/1.1', ['Host: ', 'User-Agent:'])],
    ]);
    t.same(server.events, [req('GET', '/', 'a'), resp(200, 'tiny', 'text/plain', 'HTTP/1.0'), req('GET', '/2', '', '')]);
    // Unregistered methods are accepted at a message boundary; a target with stray spaces ends at the
    // first one (as tshark's http.request.uri), extra spaces after the method are skipped.
    const odd = run([[true, Buffer.concat([r1, b('BREW /pot of coffee HTTP/1.1\r\nHost: tea\r\n\r\nGET  /two-spaces HTTP/1.1\r\n\r\n')])]]);
    t.same(odd.events, [req('GET', '/index.html', 'www.example.com', UA), req('BREW', '/pot', 'tea'), req('GET', '/two-spaces', null)]);
  });

  t.test('response without length: body until close', async (t) => {
    const { events, conv } = run([
      [true, r1],
      [false, b('HTTP/1.0 200 OK\r\nServer: old\r\n\r\nbody bytes ')],
      [false, s1], // still body
      [true, r2], // a client may still pipeline
    ]);
    t.same(events, [req('GET', '/index.html', 'www.example.com', UA), resp(200, 'old', null, 'HTTP/1.0'), req('POST', '/form?a=1&b=%20', 'www.example.com:8080', UA)]);
    t.equal(conv.done, false);
    t.equal(conv.responses, 1);
  });

  t.test('bounded head length', async (t) => {
    const longValue = (n: number) => 'c'.repeat(n);
    const fits = rawRequest('GET /fits HTTP/1.1', ['Host: h', `Cookie: ${longValue(MAX_HEAD - 100)}`]);
    t.ok(fits.length <= MAX_HEAD);
    const r = new Recorder();
    const conv = new HttpConversation(r);
    feedAt(conv, fits, true, [1000, 5000, 12000]);
    t.same(r.events, [req('GET', '/fits', 'h')], `a ${fits.length}-byte head split in 4 segments is parsed`);
    const tooLong = rawRequest('GET /long HTTP/1.1', ['Host: h', `Cookie: ${longValue(MAX_HEAD)}`]);
    for (const cuts of [[1000], [MAX_HEAD - 10], [], [MAX_HEAD + 100]]) {
      const r2 = new Recorder();
      const c2 = new HttpConversation(r2);
      feedAt(c2, tooLong, true, cuts);
      feedAt(c2, r1, true, []);
      t.same(r2.events, [], `${tooLong.length}-byte head cut at ${JSON.stringify(cuts)}: given up`);
      t.equal(c2.done, true);
    }
    // A head that never ends is given up once it passes the bound, without buffering more.
    const r3 = new Recorder();
    const c3 = new HttpConversation(r3);
    c3.feed(b('GET / HTTP/1.1\r\nX: '), 0, 19, true);
    const filler = Buffer.alloc(1000, 0x61);
    for (let i = 0; i < 20 && !c3.done; i++) c3.feed(filler, 0, filler.length, true);
    t.equal(c3.done, true);
  });

  t.test('not HTTP', async (t) => {
    // TLS on port 80: both sides skip; the connection is declared not HTTP after 32 segments.
    const r = new Recorder();
    const conv = new HttpConversation(r);
    const rng = new SeededRandom(7);
    let fed = 0;
    while (!conv.done && fed < 100) {
      const x = Buffer.concat([Buffer.from([0x17, 0x03, 0x03]), rng.bytes(200)]);
      conv.feed(x, 0, x.length, fed % 2 === 0);
      fed++;
    }
    t.equal(conv.done, true);
    t.equal(fed, 32);
    t.same(r.events, []);
    // RTSP looks like HTTP but is not HTTP/1.x.
    const rtsp = run([[true, b('OPTIONS rtsp://cam/stream RTSP/1.0\r\nCSeq: 1\r\n\r\n')], [false, b('RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n')]]);
    t.same(rtsp.events, []);
    t.equal(isHttpMethod('PROPFIND'), true);
    t.equal(isHttpMethod('get'), false);
  });

  t.test('fuzz: mutations, truncations, random segmentation and gaps never throw', async (t) => {
    const rng = new SeededRandom(20260101);
    const corpus = keepAlive.map(([, x]) => x);
    corpus.push(
      rawResponse('200 OK', ['Transfer-Encoding: chunked'], chunkedBody(['abc', 'defgh'], { ext: true, trailers: ['T: 1'] })),
      b('CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n'),
      b('HTTP/1.1 101 Switching\r\nUpgrade: h2c\r\n\r\n'),
    );
    let thrown = 0;
    let events = 0;
    const ITER = 20000;
    for (let i = 0; i < ITER; i++) {
      const r = new Recorder();
      const conv = new HttpConversation(r);
      const n = rng.int(1, 6);
      for (let k = 0; k < n; k++) {
        const src = Buffer.from(rng.pick(corpus));
        const mutations = rng.int(0, 4);
        for (let m = 0; m < mutations; m++) {
          const at = rng.int(0, src.length - 1);
          const kind = rng.int(0, 3);
          if (kind === 0) src[at] = rng.int(0, 255);
          else if (kind === 1) src[at] = rng.pick([0x0d, 0x0a, 0x20, 0x3a, 0x30, 0x3b, 0x09]);
          else if (kind === 2) src[at] = rng.pick([...'0123456789abcdefABCDEF'].map((c) => c.charCodeAt(0)));
          else src.fill(rng.int(0, 255), at, Math.min(src.length, at + rng.int(1, 40)));
        }
        const data = rng.int(0, 3) === 0 ? src.subarray(0, rng.int(0, src.length)) : src;
        const dir = rng.int(0, 1) === 0;
        try {
          let pos = 0;
          while (pos < data.length) {
            const len = rng.int(1, Math.max(1, data.length - pos));
            // odd offsets and lengths past the end are clamped, never read out of bounds
            conv.feed(data, pos, rng.int(0, 20) === 0 ? len + 1000 : len, dir);
            if (rng.int(0, 15) === 0) conv.gap(rng.int(0, 1) === 0);
            pos += len;
          }
          conv.feed(data, -5, 3, dir);
          conv.feed(data, data.length + 5, 10, !dir);
        } catch (e) {
          if (thrown++ < 3) t.fail(`threw on ${data.toString('latin1').slice(0, 80)}: ${String(e)}`);
        }
      }
      if (conv.requests + conv.responses !== r.events.length) thrown++;
      events += r.events.length;
    }
    t.equal(thrown, 0, `${ITER} mutated conversations: no exception, counters match events (${events} events)`);
    // Pure random bytes.
    let randomThrown = 0;
    for (let i = 0; i < 5000; i++) {
      const conv = new HttpConversation(new Recorder());
      try {
        for (let k = 0; k < 4; k++) {
          const x = rng.bytes(rng.int(0, 300));
          conv.feed(x, 0, x.length, rng.int(0, 1) === 0);
        }
      } catch {
        randomThrown++;
      }
    }
    t.equal(randomThrown, 0, 'random bytes never throw');
  });
});

// ---------------------------------------------------------------------------
// 2. Real captures vs tshark

/** Zeek's captures that carry HTTP over TCP (tshark finds HTTP in these; the others have none). */
const ZEEK_HTTP = [
  'http-qinq-0.pcap',
  'http-vlan-0.pcap',
  'http__bro.org.pcap',
  'mixed-vlan-mpls.pcap',
  'mpls-in-vlan.pcap',
  'vlan-qinqinq.pcap',
  'wikipedia.pcap',
  'tunnels__vxlan-encapsulated-http.pcap',
  'tunnels__gtp__gtp1_gn_normal_incl_fragmentation.pcap',
  'tunnels__gtp__gtp2_different_udp_port.pcap',
  'tunnels__gtp__gtp9_unknown_or_too_short_payload.pcap',
];

interface OurRequest {
  method: string;
  target: string;
  host: string | null;
  userAgent: string | null;
  /** Frame whose bytes completed the head. */
  frame: number;
}
interface OurResponse {
  statusCode: number;
  server: string | null;
  frame: number;
}

interface Connection {
  id: number;
  name: string;
  /** "addr port" of the first packet's sender. */
  initiator: string;
  seq: [TcpSequence, TcpSequence];
  conv: HttpConversation;
  requests: OurRequest[];
  responses: OurResponse[];
  /** Frames at which either direction lost bytes. */
  gaps: number[];
  /** Some of its segments came in IP fragments (PacketDecoder does not reassemble them). */
  fragmented: boolean;
  payloadSeen: boolean;
  serverPort: number;
}

function endpointText(p: DecodedPacket, src: boolean): string {
  const base = src ? 0 : 4;
  const a = p.addr;
  const addr =
    p.ipVersion === 4
      ? [(a[base + 3] >>> 24) & 255, (a[base + 3] >>> 16) & 255, (a[base + 3] >>> 8) & 255, a[base + 3] & 255].join('.')
      : [a[base], a[base + 1], a[base + 2], a[base + 3]].map((w) => w.toString(16)).join(':');
  return `${addr} ${src ? p.srcPort : p.dstPort}`;
}

interface OurCapture {
  connections: Connection[];
  frameConnection: Map<number, Connection>;
  /** Frames PacketDecoder rejects as malformed. */
  malformed: Set<number>;
  frames: number;
}

/** Every TCP connection of a capture through an HttpConversation, as a probe would feed it. */
function readCapture(file: string): OurCapture {
  const cf = CaptureFile.open(file);
  const decoder = new PacketDecoder(Decap.All);
  const p = new DecodedPacket();
  const byKey = new Map<string, Connection>();
  const connections: Connection[] = [];
  const frameConnection = new Map<number, Connection>();
  const malformed = new Set<number>();
  let frame = 0;
  const SYN = 0x02;
  const ACK = 0x10;
  try {
    while (
      cf.read(4096, (buf, off, capLen, wireLen, _ts, linkType) => {
        frame++;
        const status = decoder.decode(buf, off, capLen, wireLen, linkType, p);
        if (status === DecodeStatus.Malformed) malformed.add(frame);
        if (status !== DecodeStatus.Ok || p.protocol !== 6 || p.isLaterFragment) return;
        const src = endpointText(p, true);
        const dst = endpointText(p, false);
        const key = src < dst ? `${src}|${dst}` : `${dst}|${src}`;
        let c = byKey.get(key);
        const syn = (p.tcpFlags & SYN) !== 0;
        // A new SYN on a 4-tuple that carried data is a new connection (port reuse).
        if (c === undefined || (syn && (p.tcpFlags & ACK) === 0 && c.payloadSeen)) {
          const r: Connection = {
            id: connections.length,
            name: `${src} > ${dst}`,
            initiator: src,
            seq: [new TcpSequence(), new TcpSequence()],
            conv: undefined as unknown as HttpConversation,
            requests: [],
            responses: [],
            gaps: [],
            fragmented: false,
            payloadSeen: false,
            serverPort: p.dstPort,
          };
          r.conv = new HttpConversation({
            onRequest: (h) => r.requests.push({ method: h.method, target: h.target, host: h.host, userAgent: h.userAgent, frame }),
            onResponse: (h) => r.responses.push({ statusCode: h.statusCode, server: h.server, frame }),
          });
          c = r;
          byKey.set(key, r);
          connections.push(r);
        }
        frameConnection.set(frame, c);
        if (p.isFragment) c.fragmented = true;
        const fromInitiator = src === c.initiator;
        const skip = c.seq[fromInitiator ? 0 : 1].accept(p.tcpSeq, p.payloadLength, syn);
        if (p.payloadLength === 0 || skip === SegmentVerdict.Old) return;
        c.payloadSeen = true;
        if (c.conv.done) return;
        let from = skip;
        if (skip === SegmentVerdict.Gap) {
          c.conv.gap(fromInitiator);
          c.gaps.push(frame);
          from = 0;
        }
        c.conv.feed(buf, p.payloadOffset + from, p.payloadLength - from, fromInitiator);
      })
    ) {
      /* keep reading */
    }
  } finally {
    cf.close();
  }
  return { connections, frameConnection, malformed, frames: frame };
}

/** One message as tshark reports it; a field is undefined when tshark's columns cannot attribute it (several messages in a frame). */
interface TsharkMessage {
  frame: number;
  request?: { method: string; target: string; version: string | null | undefined; host: string | null | undefined; userAgent: string | null | undefined };
  response?: { statusCode: number; server: string | null | undefined };
}

const AGG = '\u001f';
const TSHARK_FIELDS = [
  'frame.number', 'tcp.stream', 'http.request.method', 'http.request.uri', 'http.request.version', 'http.host', 'http.user_agent', 'http.response.code', 'http.server',
];

function tsharkMessages(file: string, extra: readonly string[] = []): Promise<{ messages: TsharkMessage[]; udpMessages: number; error: string }> {
  const args = ['-n', '-r', file, ...extra, '-Y', 'http', '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', `aggregator=${AGG}`];
  for (const f of TSHARK_FIELDS) args.push('-e', f);
  return new Promise((resolve) => {
    execFile(TSHARK, args, { encoding: 'utf8', maxBuffer: 256 << 20 }, (err, stdout, stderr) => {
      const messages: TsharkMessage[] = [];
      let udpMessages = 0;
      for (const line of stdout.split('\n')) {
        if (line === '') continue;
        const cols = line.split('\t').map((c) => (c === '' ? [] : c.split(AGG)));
        const [frameCol, stream, methods, uris, versions, hosts, uas, codes, servers] = cols;
        const frame = Number(frameCol[0]);
        if (stream.length === 0) {
          udpMessages += methods.length + codes.length; // SSDP and other HTTP over UDP
          continue;
        }
        // Several messages in one frame: a field missing from one of them makes its column shorter,
        // and then it cannot be attributed (undefined: not compared, counted as ambiguous).
        const pick = (col: string[], i: number, n: number): string | null | undefined => (col.length === n ? col[i] : col.length === 0 ? null : undefined);
        methods.forEach((m, i) =>
          messages.push({
            frame,
            request: { method: m, target: uris[i] ?? '', version: pick(versions, i, methods.length), host: pick(hosts, i, methods.length), userAgent: pick(uas, i, methods.length) },
          }),
        );
        codes.forEach((c, i) => messages.push({ frame, response: { statusCode: Number(c), server: pick(servers, i, codes.length) } }));
      }
      const firstError = String(stderr).split('\n').find((l) => l !== '' && !l.startsWith('Running as'));
      resolve({ messages, udpMessages, error: err ? firstError ?? String(err) : '' });
    });
  });
}

/** Longest common subsequence of two key lists: index pairs in order. */
function align(a: readonly string[], b: readonly string[]): [number, number][] {
  const n = a.length;
  const m = b.length;
  const L: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) L[i][j] = a[i] === b[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
  const pairs: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      pairs.push([i, j]);
      i++;
      j++;
    } else if (L[i + 1][j] >= L[i][j + 1]) i++;
    else j++;
  }
  return pairs;
}

/**
 * Pairs of a LCS on `key`, plus the unmatched items between two consecutive
 * matches paired in order (so a message whose key differs, e.g. its target,
 * is compared field by field instead of counting once missing and once extra).
 */
function pairUp(a: readonly string[], b: readonly string[]): { pairs: [number, number][]; onlyA: number[]; onlyB: number[] } {
  const anchors = align(a, b);
  const pairs: [number, number][] = [];
  const onlyA: number[] = [];
  const onlyB: number[] = [];
  let i = 0;
  let j = 0;
  for (const [ai, bj] of [...anchors, [a.length, b.length] as [number, number]]) {
    const restA: number[] = [];
    const restB: number[] = [];
    for (; i < ai; i++) restA.push(i);
    for (; j < bj; j++) restB.push(j);
    const n = Math.min(restA.length, restB.length);
    for (let k = 0; k < n; k++) pairs.push([restA[k], restB[k]]);
    onlyA.push(...restA.slice(n));
    onlyB.push(...restB.slice(n));
    if (ai < a.length) pairs.push([ai, bj]);
    i = ai + 1;
    j = bj + 1;
  }
  return { pairs, onlyA, onlyB };
}

type Side = 'request' | 'response';

interface Difference {
  label: string;
  conn: Connection | undefined;
  side: Side;
  kind: 'field' | 'extra' | 'missing';
  ours?: OurRequest | OurResponse;
  theirs?: TsharkMessage;
  /** Alignment key of the message (method and target, or status code). */
  key: string;
}

function fmt(x: OurRequest | OurResponse | TsharkMessage['request'] | TsharkMessage['response'] | undefined): string {
  if (x === undefined) return '-';
  if ('method' in x) return `${x.method} ${x.target} host=${JSON.stringify(x.host)} ua=${JSON.stringify(x.userAgent)}`;
  return `${x.statusCode} server=${JSON.stringify(x.server)}`;
}

function describe(d: Difference): string {
  const where = `${d.label} ${d.conn ? d.conn.name : ''} ${d.side}`;
  const theirs = d.theirs ? fmt(d.theirs.request ?? d.theirs.response) : '-';
  const extra = d.conn ? `${d.conn.gaps.length ? ` (gaps at frames ${d.conn.gaps.slice(0, 5).join(',')})` : ''}${d.conn.conv.done ? ' (conversation done)' : ''}` : '';
  if (d.kind === 'field') return `${where}: ours ${fmt(d.ours)} / tshark ${theirs}`;
  if (d.kind === 'extra') return `${where} only here: ${fmt(d.ours)}${extra}`;
  return `${where} frame ${d.theirs?.frame} only in tshark: ${theirs}${d.conn ? extra : ' (frame not decoded as TCP here)'}`;
}

const tsharkUserAgents = new Set<string>();

const requestKey = (r: { method: string; target: string }): string => `${r.method} ${r.target}`;

/** Messages of one capture, ours and tshark's, connection by connection. */
function compareCapture(label: string, ours: OurCapture, theirs: readonly TsharkMessage[]): { compared: number; equal: number; ambiguous: number; connections: number; differences: Difference[] } {
  const out = { compared: 0, equal: 0, ambiguous: 0, connections: 0, differences: [] as Difference[] };
  const byConn = new Map<number, TsharkMessage[]>();
  for (const m of theirs) {
    if (m.request?.userAgent) tsharkUserAgents.add(m.request.userAgent);
    const c = ours.frameConnection.get(m.frame);
    if (c === undefined) {
      out.compared++;
      out.differences.push({ label, conn: undefined, side: m.request ? 'request' : 'response', kind: 'missing', theirs: m, key: m.request ? requestKey(m.request) : String(m.response!.statusCode) });
      continue;
    }
    const list = byConn.get(c.id) ?? [];
    list.push(m);
    byConn.set(c.id, list);
  }
  const same = (a: string | null, b: string | null | undefined): boolean => {
    if (b === undefined) out.ambiguous++;
    return b === undefined || a === b;
  };
  for (const c of ours.connections) {
    const list = byConn.get(c.id) ?? [];
    if (list.length === 0 && c.requests.length === 0 && c.responses.length === 0) continue;
    out.connections++;
    const tReq = list.filter((m) => m.request);
    const tResp = list.filter((m) => m.response);
    const sides: [Side, (OurRequest | OurResponse)[], string[], TsharkMessage[], string[], (i: number, j: number) => boolean][] = [
      ['request', c.requests, c.requests.map(requestKey), tReq, tReq.map((m) => requestKey(m.request!)), (i, j) => {
        const o = c.requests[i];
        const x = tReq[j].request!;
        return requestKey(o) === requestKey(x) && same(o.host, x.host) && same(o.userAgent, x.userAgent);
      }],
      ['response', c.responses, c.responses.map((r) => String(r.statusCode)), tResp, tResp.map((m) => String(m.response!.statusCode)), (i, j) => {
        const o = c.responses[i];
        const x = tResp[j].response!;
        return o.statusCode === x.statusCode && same(o.server, x.server);
      }],
    ];
    for (const [side, ourList, ourKeys, theirList, theirKeys, equal] of sides) {
      const { pairs, onlyA, onlyB } = pairUp(ourKeys, theirKeys);
      for (const [i, j] of pairs) {
        out.compared++;
        if (equal(i, j)) out.equal++;
        else out.differences.push({ label, conn: c, side, kind: 'field', ours: ourList[i], theirs: theirList[j], key: ourKeys[i] });
      }
      for (const i of onlyA) {
        out.compared++;
        out.differences.push({ label, conn: c, side, kind: 'extra', ours: ourList[i], key: ourKeys[i] });
      }
      for (const j of onlyB) {
        out.compared++;
        out.differences.push({ label, conn: c, side, kind: 'missing', theirs: theirList[j], key: theirKeys[j] });
      }
    }
  }
  return out;
}

/** Cut at the first NUL, as tshark's string fields are. */
const cutAtNul = (s: string): string => (s.includes('\u0000') ? s.slice(0, s.indexOf('\u0000')) : s);
/** Non-ASCII characters as tshark shows them (each byte of their UTF-8 a U+FFFD). */
const asciiOnly = (s: string): string => [...Buffer.from(s, 'utf8')].map((x) => (x < 0x80 ? String.fromCharCode(x) : '\ufffd')).join('');

const REASON = {
  malformed: 'frame PacketDecoder rejects as malformed (deliberately damaged capture), tshark decodes it',
  http09: 'HTTP/0.9 request (no version): outside HTTP/1.x, not parsed by design',
  fragments: 'TCP segment carried in IP fragments: PacketDecoder does not reassemble IP fragments, tshark does',
  nonAscii: 'tshark shows each non-ASCII header byte as U+FFFD; we decode the value as UTF-8',
  nul: 'tshark ends a string at a NUL byte; we keep the value as sent',
  emptyUri: 'tshark reads an empty URI when two spaces follow the method; we skip the extra space',
  port: 'tshark does not dissect the connection as HTTP by default (found with -d tcp.port==N,http)',
  body: 'tshark reports a response only once its whole body is captured (http.desegment_body); the capture ends or loses bytes first (found at the same frame with desegment_body off)',
  retransmission:
    "tshark's TCP analysis takes a segment with new data for a retransmission (port reuse with a second SYN/ACK, damaged sequence numbers) and does not dissect it (found at the same frame with tcp.analyze_sequence_numbers off)",
};

/** A reason tshark and we differ by design on this difference, or null. */
function explain(d: Difference, ours: OurCapture): string | null {
  const t = d.theirs?.request;
  if (d.kind === 'missing' && d.conn === undefined && d.theirs && ours.malformed.has(d.theirs.frame)) return REASON.malformed;
  if (d.kind === 'missing' && t && (t.version === null || (t.version !== undefined && !t.version.startsWith('HTTP/1.')))) return REASON.http09;
  if (d.kind === 'missing' && d.conn?.fragmented && d.conn.gaps.length > 0) return REASON.fragments;
  if (d.kind === 'field' && d.ours && d.theirs) {
    const o = d.ours as OurRequest & OurResponse;
    const x = (d.theirs.request ?? d.theirs.response) as NonNullable<TsharkMessage['request']> & NonNullable<TsharkMessage['response']>;
    const fields: [string | null, string | null | undefined][] =
      d.side === 'request' ? [[o.target, x.target], [o.host, x.host], [o.userAgent, x.userAgent]] : [[o.server, x.server]];
    const explained = (a: string | null, b: string | null | undefined): string | null | undefined => {
      if (b === undefined || a === b) return undefined; // no difference
      if (a !== null && b !== null && cutAtNul(a) === b) return REASON.nul;
      if (a !== null && b !== null && asciiOnly(a) === b) return REASON.nonAscii;
      if (d.side === 'request' && a === o.target && b === '' && o.method === x.method) return REASON.emptyUri;
      return null;
    };
    const reasons = fields.map(([a, b]) => explained(a, b)).filter((r) => r !== undefined);
    if (o.method !== undefined && o.method !== x.method) return null;
    if (reasons.length > 0 && reasons.every((r) => r !== null)) return reasons[0] as string;
  }
  return null;
}

function httpCaptures(): string[] {
  const files: string[] = [];
  const results = ndpiResultDir();
  if (existsSync(results)) {
    for (const name of readdirSync(results).sort()) {
      if (!name.endsWith('.out')) continue;
      if (!readFileSync(join(results, name), 'latin1').includes('HTTP')) continue;
      const pcap = join(ndpiPcapDir(), name.slice(0, -4));
      if (existsSync(pcap)) files.push(pcap);
    }
  }
  for (const name of ZEEK_HTTP) {
    const f = join(zeekDir(), name);
    if (existsSync(f)) files.push(f);
  }
  return files;
}

const REAL_CAPTURES = httpCaptures();
const skipReal = REAL_CAPTURES.length === 0 ? 'no shared captures' : !tsharkAvailable() ? 'no tshark' : false;

t.test('real captures vs tshark', { skip: skipReal }, async (t) => {
  const started = Date.now();
  let compared = 0;
  let equal = 0;
  let ambiguous = 0;
  let connections = 0;
  let frames = 0;
  let tsharkCount = 0;
  let ourCount = 0;
  let udpMessages = 0;
  let reruns = 0;
  let pipelinedFrames = 0;
  const byDesign = new Map<string, number>();
  const mismatches: string[] = [];
  let notRun = 0;
  // tshark can report an HTTP/1.x message over TCP only where "HTTP/" is in a segment's bytes, hence in
  // the file's: a capture without it, where we find nothing either, needs no tshark run (saves ~40 runs).
  const runs = mapLimited(REAL_CAPTURES, 2, async (file) => {
    const ours = readCapture(file);
    const ourMessages = ours.connections.reduce((n, c) => n + c.requests.length + c.responses.length, 0);
    if (ourMessages === 0 && !readFileSync(file).includes('HTTP/')) return { file, ours, tshark: null };
    return { file, ours, tshark: await tsharkMessages(file) };
  });
  for (const pending of runs) {
    const { file, ours, tshark } = await pending;
    const label = basename(file);
    if (tshark === null) {
      notRun++;
      frames += ours.frames;
      continue;
    }
    if (tshark.error && tshark.messages.length === 0 && !/cut short/.test(tshark.error)) t.comment(`${label}: tshark: ${tshark.error}`);
    frames += ours.frames;
    udpMessages += tshark.udpMessages;
    tsharkCount += tshark.messages.length;
    const perFrame = new Map<number, number>();
    for (const m of tshark.messages) perFrame.set(m.frame, (perFrame.get(m.frame) ?? 0) + 1);
    pipelinedFrames += [...perFrame.values()].filter((n) => n > 1).length;
    ourCount += ours.connections.reduce((n, c) => n + c.requests.length + c.responses.length, 0);
    const result = compareCapture(label, ours, tshark.messages);
    compared += result.compared;
    equal += result.equal;
    ambiguous += result.ambiguous;
    connections += result.connections;
    const unexplained: Difference[] = [];
    for (const d of result.differences) {
      const reason = explain(d, ours);
      if (reason) byDesign.set(reason, (byDesign.get(reason) ?? 0) + 1);
      else unexplained.push(d);
    }
    // Messages only we report: does tshark find them at the same frame once it dissects the port as
    // HTTP and stops waiting for whole bodies, and then once it stops judging retransmissions?
    // Further tshark runs, only for the captures that need them.
    const tsharkConnections = new Set(tshark.messages.map((m) => ours.frameConnection.get(m.frame)?.id));
    const stages: [string[], (d: Difference) => string][] = [
      [['-o', 'http.desegment_body:FALSE'], (d) => (tsharkConnections.has(d.conn!.id) ? REASON.body : REASON.port.replace('N', String(d.conn!.serverPort)))],
      [['-o', 'http.desegment_body:FALSE', '-o', 'tcp.analyze_sequence_numbers:FALSE'], () => REASON.retransmission],
    ];
    for (const [prefs, reasonOf] of stages) {
      const extras = unexplained.filter((d) => d.kind === 'extra');
      if (extras.length === 0) break;
      reruns++;
      const ports = [...new Set(extras.filter((d) => !tsharkConnections.has(d.conn!.id)).map((d) => d.conn!.serverPort))];
      const again = await tsharkMessages(file, [...prefs, ...ports.flatMap((p) => ['-d', `tcp.port==${p},http`])]);
      const seen = new Set(again.messages.map((m) => `${m.frame} ${m.request ? requestKey(m.request) : m.response!.statusCode}`));
      for (const d of extras) {
        if (!seen.has(`${d.ours!.frame} ${d.key}`)) continue;
        const reason = reasonOf(d);
        byDesign.set(reason, (byDesign.get(reason) ?? 0) + 1);
        unexplained.splice(unexplained.indexOf(d), 1);
      }
    }
    for (const d of unexplained) mismatches.push(describe(d));
  }
  const designCount = [...byDesign.values()].reduce((a, b) => a + b, 0);
  const rate = equal / Math.max(1, compared - designCount);
  t.comment(
    `${REAL_CAPTURES.length} captures, ${frames} frames, ${connections} connections with HTTP; tshark ${tsharkCount} messages over TCP ` +
      `(+${udpMessages} over UDP, not compared), ours ${ourCount}; ${pipelinedFrames} frames with several messages; ` +
      `${notRun} captures without "HTTP/" in their bytes and no message found here (tshark not run); ${reruns} further tshark runs; ${Date.now() - started} ms`,
  );
  t.comment(
    `compared ${compared} messages: ${equal} equal, ${designCount} differ by design, ${mismatches.length} mismatches; ` +
      `equal ${((equal / Math.max(1, compared)) * 100).toFixed(2)}% of all, ${(rate * 100).toFixed(2)}% of those not explained by design; ` +
      `${ambiguous} fields tshark could not attribute within a frame (not compared)`,
  );
  for (const [reason, n] of [...byDesign].sort((a, b) => b[1] - a[1])) t.comment(`by design (${n}): ${reason}`);
  for (const m of mismatches) t.comment(`mismatch: ${m}`);
  t.ok(compared > 1000, `${compared} messages compared`);
  t.ok(rate >= 0.99, `at least 99% of the messages equal to tshark's (${(rate * 100).toFixed(2)}%, design differences apart)`);
});

// ---------------------------------------------------------------------------
// 3. Operating system from User-Agent

t.test('osFromUserAgent', async (t) => {
  const table: [string, string | null][] = [
    ['Mozilla/5.0 (Linux; Android 11; SM-A715F Build/RP1A.200720.012; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/89.0.4389.105 Mobile Safari/537.36', 'Android'],
    ['Dalvik/2.1.0 (Linux; U; Android 10; Redmi Note 9 Pro MIUI/V12.0.3.0.QJZMIXM)', 'Android'],
    ['Instagram 7.1.1 Android (19/4.4.2; 480dpi; 1080x1920; samsung; GT-I9505; jflte; qcom; it_IT)', 'Android'],
    ['com.google.android.youtube Cronet/76.0.3809.0', 'Android'],
    ['Chrome/74.0.3729.157 Android 8.0.0; BND-L21', 'Android'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1', 'iOS'],
    ['AppleCoreMedia/1.0.0.14C92 (iPhone; U; CPU OS 10_2 like Mac OS X; en_us)', 'iOS'],
    ['Argo/900 CFNetwork/808.2.16 Darwin/16.3.0', 'iOS'],
    ['netflix-ios-app', 'iOS'],
    ['Mozilla/5.0 (iPad; CPU OS 12_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148', 'iPadOS'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0.4844.74 Safari/537.36 Edg/99.0.1150.55', 'Windows'],
    ['Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 10.0; WOW64; Trident/7.0; .NET4.0C; .NET4.0E)', 'Windows'],
    ['Microsoft-CryptoAPI/10.0', 'Windows'],
    ['Microsoft-Delivery-Optimization/10.0', 'Windows'],
    ['WinHTTP loader/1.0', 'Windows'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_13_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/77.0.3865.90 Safari/537.36', 'macOS'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10.13; rv:69.0) Gecko/20100101 Firefox/69.0', 'macOS'],
    ['Magican (unknown version) CFNetwork/720.5.7 Darwin/14.5.0 (x86_64)', 'macOS'],
    ['curl/7.24.0 (x86_64-apple-darwin12.0) libcurl/7.24.0 OpenSSL/0.9.8y zlib/1.2.5', 'macOS'],
    ['Wget/1.16.3 (darwin14.1.0)', 'macOS'],
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/102.0.0.0 Safari/537.36', 'Linux'],
    ['Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:89.0) Gecko/20100101 Firefox/89.0', 'Linux'],
    ['Wget/1.16.3 (linux-gnu)', 'Linux'],
    ['Debian APT-HTTP/1.3 (2.6.1)', 'Linux'],
    ['Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36', 'ChromeOS'],
    ['Mozilla/5.0 (X11; FreeBSD amd64; rv:109.0) Gecko/20100101 Firefox/115.0', 'FreeBSD'],
    ['Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 Edge/15.14977', 'Windows Phone'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox One) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19041', 'Xbox'],
    ['Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/538.1 (KHTML, like Gecko) Version/6.0 TV Safari/538.1', 'Tizen'],
    ['Mozilla/5.0 (PlayStation 4 8.52) AppleWebKit/605.1.15 (KHTML, like Gecko)', 'PlayStation'],
    ['okhttp/3.10.0', null],
    ['curl/8.4.0', null],
    ['Go-http-client/1.1', null],
    ['Java/1.8.0_51', null],
    ['Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', null],
    ['Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:map_codes)', null],
    ['', null],
  ];
  for (const [ua, family] of table) t.equal(osFromUserAgent(ua), family, ua === '' ? '(empty)' : ua);

  // Distribution over every distinct User-Agent nDPI printed and tshark found.
  const all = new Set<string>(tsharkUserAgents);
  const results = ndpiResultDir();
  if (existsSync(results)) {
    for (const name of readdirSync(results)) {
      if (!name.endsWith('.out')) continue;
      for (const m of readFileSync(join(results, name), 'utf8').matchAll(/\[User-Agent: ([^\]]*)\]/g)) all.add(m[1]);
    }
  }
  if (all.size === 0) return;
  const counts = new Map<string, number>();
  const nullExamples: string[] = [];
  for (const ua of all) {
    const family = osFromUserAgent(ua) ?? 'null';
    counts.set(family, (counts.get(family) ?? 0) + 1);
    if (family === 'null' && !ua.includes('Nikto') && nullExamples.length < 40) nullExamples.push(ua);
  }
  t.comment(`${all.size} distinct User-Agents: ${[...counts].sort((a, b) => b[1] - a[1]).map(([f, n]) => `${f} ${n}`).join(', ')}`);
  t.comment(`no family for (Nikto scanner UAs left out): ${nullExamples.join(' | ')}`);
  t.ok(counts.size > 4, 'several families found in real traffic');
});
