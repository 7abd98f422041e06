/**
 * A one-line progress bar on a terminal (stderr) for long captures: packets,
 * rate and percentage of the input read. Silent when stderr is not a TTY.
 */
export class ProgressBar {
  private readonly started = Date.now();
  private lastDraw = 0;
  private drawn = false;

  constructor(private readonly totalBytes: number, private readonly enabled = process.stderr.isTTY === true) {}

  update(bytesRead: number, packets: number, label: string, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 200) return;
    this.lastDraw = now;
    const fraction = this.totalBytes > 0 ? Math.min(1, bytesRead / this.totalBytes) : 1;
    const width = 24;
    const filled = Math.round(fraction * width);
    const seconds = Math.max((now - this.started) / 1000, 0.001);
    const line = `[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${(fraction * 100).toFixed(1).padStart(5)}%  ` +
      `${human(packets)} pkts  ${human(packets / seconds)} pkt/s  ${label}`;
    const columns = process.stderr.columns ?? 100;
    process.stderr.write('\r' + line.slice(0, columns - 1).padEnd(Math.min(columns - 1, line.length + 2)));
    this.drawn = true;
  }

  done(): void {
    if (this.enabled && this.drawn) process.stderr.write('\n');
    this.drawn = false;
  }
}

function human(n: number): string {
  if (n >= 1e9) return (n / 1e9).toFixed(2) + 'G';
  if (n >= 1e6) return (n / 1e6).toFixed(2) + 'M';
  if (n >= 1e3) return (n / 1e3).toFixed(1) + 'k';
  return Math.round(n).toString();
}
