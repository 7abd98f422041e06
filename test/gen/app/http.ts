// HTTP/1.1 request and response text with a correct Content-Length.

export interface HttpRequestOptions {
  method?: string;
  host: string;
  target?: string;
  userAgent?: string;
  headers?: Record<string, string>;
  body?: string;
}

export function httpRequest(r: HttpRequestOptions): Buffer {
  const body = r.body ?? '';
  const lines = [`${r.method ?? 'GET'} ${r.target ?? '/'} HTTP/1.1`, `Host: ${r.host}`];
  lines.push(`User-Agent: ${r.userAgent ?? 'microcloud-gen/1.0'}`, 'Accept: */*');
  for (const [k, v] of Object.entries(r.headers ?? {})) lines.push(`${k}: ${v}`);
  if (body.length > 0) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n' + body);
}

const REASON: Record<number, string> = { 200: 'OK', 204: 'No Content', 301: 'Moved Permanently', 404: 'Not Found', 500: 'Internal Server Error' };

export interface HttpResponseOptions {
  status?: number;
  contentType?: string;
  body?: string;
  headers?: Record<string, string>;
}

export function httpResponse(r: HttpResponseOptions): Buffer {
  const status = r.status ?? 200;
  const body = r.body ?? '';
  const lines = [`HTTP/1.1 ${status} ${REASON[status] ?? 'Status'}`, 'Server: microcloud-gen', `Content-Type: ${r.contentType ?? 'text/html'}`];
  for (const [k, v] of Object.entries(r.headers ?? {})) lines.push(`${k}: ${v}`);
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n' + body);
}
