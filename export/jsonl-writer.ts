import * as fs from 'node:fs';

/** Buffered JSON-lines file: one object per line, written in large blocks. */
export class JsonLinesWriter {
  private readonly fd: number;
  private pending: string[] = [];
  private pendingBytes = 0;
  written = 0;

  constructor(readonly path: string, private readonly flushBytes = 256 << 10) {
    this.fd = fs.openSync(path, 'w');
  }

  write(value: unknown): void {
    const line = JSON.stringify(value) + '\n';
    this.pending.push(line);
    this.pendingBytes += line.length;
    this.written++;
    if (this.pendingBytes >= this.flushBytes) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    fs.writeSync(this.fd, this.pending.join(''));
    this.pending = [];
    this.pendingBytes = 0;
  }

  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }
}
