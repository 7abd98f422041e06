// Collects packet records from many concurrent conversations and returns them
// in time order, the way a capture file must hold them.

import type { PacketRecord } from './pcap-writer';

export class Timeline {
  private readonly records: Array<PacketRecord & { order: number }> = [];

  add(timeNs: bigint, data: Buffer, interfaceId?: number): void {
    this.records.push({ timeNs, data, interfaceId, order: this.records.length });
  }

  /** Add packets spaced `gapNs` apart starting at `startNs`; returns the time after the last one. */
  addSequence(startNs: bigint, gapNs: bigint, frames: readonly Buffer[]): bigint {
    let t = startNs;
    for (const f of frames) {
      this.add(t, f);
      t += gapNs;
    }
    return t;
  }

  get size(): number {
    return this.records.length;
  }

  /** Sorted by time; ties keep insertion order so request precedes response. */
  sorted(): PacketRecord[] {
    return [...this.records]
      .sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : a.order - b.order))
      .map(({ timeNs, data, interfaceId }) => (interfaceId === undefined ? { timeNs, data } : { timeNs, data, interfaceId }));
  }
}
