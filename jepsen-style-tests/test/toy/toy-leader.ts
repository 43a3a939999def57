/**
 * Test scaffolding (toy log server): the fixed leader. It makes each record durable, sends it
 * to every follower, and acknowledges it once a majority (itself included) has it. Reads see
 * only acknowledged (committed) records. In the `lose-tail` bug it acknowledges at once and
 * writes lazily, so kill -9 loses acknowledged records.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { onMessages, sendMessage, type ToyMessage } from './toy-lines.ts';
import type { PartitionFile } from './toy-partition-file.ts';

export interface LeaderOptions {
  readonly parts: readonly PartitionFile[];
  readonly followers: readonly {
    readonly id: string;
    readonly host: string;
    readonly port: number;
  }[];
  readonly bug: 'lose-tail' | undefined;
}

interface FollowerLink {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  socket: Socket | undefined;
  /** Per partition: how much the follower has (-1 until it says), and how far we sent. */
  match: number[];
  sentUpTo: number[];
}

const appendValuesMax = 200;
const resyncIntervalMs = 250;
/** The buggy mode writes acknowledged records this rarely: a kill -9 loses them all. */
const lazyFlushIntervalMs = 60_000;
const readRecordsMax = 500;

export class ToyLeader {
  private readonly links: FollowerLink[];
  private readonly commit: number[];
  private readonly waiting: { partition: number; offset: number; reply: () => void }[][];
  private readonly quorum: number;

  constructor(private readonly options: LeaderOptions) {
    const partitions = options.parts.length;
    this.links = options.followers.map((f) => ({
      ...f,
      socket: undefined,
      match: new Array(partitions).fill(-1),
      sentUpTo: new Array(partitions).fill(0),
    }));
    this.quorum = Math.floor((options.followers.length + 1) / 2) + 1;
    this.commit = options.bug ? options.parts.map((p) => p.length) : new Array(partitions).fill(0);
    this.waiting = options.parts.map(() => []);
    setInterval(() => this.resync(), resyncIntervalMs).unref();
    if (options.bug) {
      setInterval(() => {
        for (const part of options.parts) part.flush();
      }, lazyFlushIntervalMs).unref();
    }
    for (const link of this.links) this.connect(link);
  }

  listen(): Server {
    return createServer((socket) => onMessages(socket, (m) => this.onClient(socket, m)));
  }

  private onClient(socket: Socket, m: ToyMessage): void {
    const part = this.options.parts[Number(m.partition)];
    if (m.op === 'health') {
      const known = this.links.filter((l) => l.match.every((x) => x >= 0)).length;
      sendMessage(socket, {
        id: m.id,
        ok: this.options.bug !== undefined || known + 1 >= this.quorum,
      });
    } else if (m.op === 'send' && part) {
      this.onSend(Number(m.partition), m.value, (offset) =>
        sendMessage(socket, { id: m.id, ok: true, offset }),
      );
    } else if (m.op === 'read' && part) {
      const from = Number(m.from);
      const end = this.commit[Number(m.partition)]!;
      const to = Math.min(end, from + Math.min(Number(m.max) || readRecordsMax, readRecordsMax));
      const records = part.values
        .slice(from, Math.max(from, to))
        .map((value, i) => [from + i, value]);
      sendMessage(socket, { id: m.id, ok: true, records, end });
    } else sendMessage(socket, { id: m.id, ok: false, error: 'bad request' });
  }

  private onSend(partition: number, value: unknown, reply: (offset: number) => void): void {
    const part = this.options.parts[partition]!;
    const offset = part.length;
    part.push([value]);
    if (this.options.bug === 'lose-tail') {
      this.commit[partition] = part.length;
      reply(offset);
      return;
    }
    part.flush();
    this.waiting[partition]!.push({ partition, offset, reply: () => reply(offset) });
    this.replicate(partition);
    this.advanceCommit(partition);
  }

  private connect(link: FollowerLink): void {
    const socket = tcpConnect({ host: link.host, port: link.port });
    link.socket = socket;
    socket.on('connect', () => sendMessage(socket, { type: 'hello' }));
    onMessages(socket, (m) => this.onFollower(link, m));
    socket.on('close', () => {
      link.socket = undefined;
      link.match.fill(-1);
      setTimeout(() => this.connect(link), 100).unref();
    });
  }

  private onFollower(link: FollowerLink, m: ToyMessage): void {
    if (m.type === 'state' && Array.isArray(m.lengths)) {
      m.lengths.forEach((length, p) => {
        link.match[p] = Number(length);
        link.sentUpTo[p] = Number(length);
      });
      this.options.parts.forEach((_, p) => {
        this.replicate(p);
        this.advanceCommit(p);
      });
    } else if (m.type === 'ack') {
      const p = Number(m.partition);
      link.match[p] = Number(m.length);
      // Acks trail pipelined appends; a follower that fell behind is rewound by resync().
      link.sentUpTo[p] = Math.max(link.sentUpTo[p]!, link.match[p]!);
      this.replicate(p);
      this.advanceCommit(p);
    }
  }

  private replicate(partition: number): void {
    if (this.options.bug) return;
    const part = this.options.parts[partition]!;
    for (const link of this.links) {
      if (!link.socket || link.match[partition]! < 0) continue;
      while (link.sentUpTo[partition]! < part.length) {
        const from = link.sentUpTo[partition]!;
        const values = part.values.slice(from, from + appendValuesMax);
        sendMessage(link.socket, { type: 'append', partition, from, values });
        link.sentUpTo[partition] = from + values.length;
      }
    }
  }

  /** Resend whatever was sent but not acknowledged (bytes may have been held or dropped). */
  private resync(): void {
    for (const link of this.links) {
      link.sentUpTo = link.sentUpTo.map((sent, p) => Math.min(sent, Math.max(0, link.match[p]!)));
    }
    for (let p = 0; p < this.options.parts.length; p++) this.replicate(p);
  }

  private advanceCommit(partition: number): void {
    if (this.options.bug) return;
    const lengths = [
      this.options.parts[partition]!.length,
      ...this.links.map((l) => Math.max(0, l.match[partition]!)),
    ].sort((a, b) => b - a);
    const committed = lengths[this.quorum - 1]!;
    if (committed <= this.commit[partition]!) return;
    this.commit[partition] = committed;
    const waiting = this.waiting[partition]!;
    while (waiting.length > 0 && waiting[0]!.offset < committed) waiting.shift()!.reply();
  }
}
