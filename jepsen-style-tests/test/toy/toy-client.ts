/**
 * Test scaffolding (toy log server): the workload client module for the toy, loaded into each
 * client process by the harness (`createClient`). It maps the toy's line protocol onto the
 * history's operations, and outcomes onto ok / fail (certainly not done) / info (unknown).
 */
import { type Socket, connect as tcpConnect } from 'node:net';
import type { PolledRecord } from '../../src/history/operation.ts';
import type {
  Completion,
  CreateWorkloadClient,
  OperationRequest,
  WorkloadClient,
} from '../../src/runner/workload.ts';
import { onMessages, sendMessage, type ToyMessage } from './toy-lines.ts';

type Outcome =
  | { readonly kind: 'reply'; readonly reply: ToyMessage }
  | { readonly kind: 'not-sent'; readonly error: string }
  | { readonly kind: 'unknown'; readonly error: string };

const pollRecordsMax = 10;
const readBackChunk = 500;

class ToyConnection {
  private socket: Socket | undefined;
  private readonly pending = new Map<number, (outcome: Outcome) => void>();
  private nextId = 1;

  constructor(private readonly address: { host: string; port: number }) {}

  private connect(signal: AbortSignal): Promise<Socket | string> {
    if (this.socket && !this.socket.destroyed && !this.socket.connecting)
      return Promise.resolve(this.socket);
    this.socket?.destroy();
    const socket = tcpConnect(this.address);
    this.socket = socket;
    onMessages(socket, (m) => {
      this.pending.get(Number(m.id))?.({ kind: 'reply', reply: m });
      this.pending.delete(Number(m.id));
    });
    socket.on('close', () => {
      for (const resolve of this.pending.values())
        resolve({ kind: 'unknown', error: 'connection closed' });
      this.pending.clear();
    });
    return new Promise((resolve) => {
      const onAbort = (): void => resolve('timed out connecting');
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => resolve(socket));
      socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
  }

  async request(message: ToyMessage, signal: AbortSignal): Promise<Outcome> {
    const socket = await this.connect(signal);
    if (typeof socket === 'string') return { kind: 'not-sent', error: socket };
    const id = this.nextId++;
    return new Promise((resolve) => {
      const onAbort = (): void => {
        this.pending.delete(id);
        resolve({ kind: 'unknown', error: 'timed out' });
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, (outcome) => {
        signal.removeEventListener('abort', onAbort);
        resolve(outcome);
      });
      sendMessage(socket, { ...message, id });
    });
  }

  close(): void {
    this.socket?.destroy();
  }
}

class ToyClient implements WorkloadClient {
  private readonly connection: ToyConnection;
  /** Consumer positions per partition, and the partition polled next. */
  private readonly positions = new Map<number, number>();
  private pollCursor = 0;

  constructor(private readonly config: { host: string; port: number; partitions: number }) {
    this.connection = new ToyConnection(config);
  }

  async invoke(request: OperationRequest, signal: AbortSignal): Promise<Completion> {
    switch (request.f) {
      case 'send':
        return this.send(request.value, signal);
      case 'poll':
        return this.poll(signal);
      case 'read-back':
        return this.readBack(request.value, signal);
      default:
        return { type: 'fail', value: request.value, error: `the toy does not do ${request.f}` };
    }
  }

  private async send(
    value: Extract<OperationRequest, { f: 'send' }>['value'],
    signal: AbortSignal,
  ): Promise<Completion> {
    const partition = value.partition ?? 0;
    const outcome = await this.connection.request(
      { op: 'send', partition, value: value.value },
      signal,
    );
    if (outcome.kind === 'not-sent') return { type: 'fail', value, error: outcome.error };
    if (outcome.kind === 'unknown') return { type: 'info', value, error: outcome.error };
    if (outcome.reply.ok !== true)
      return { type: 'fail', value, error: String(outcome.reply.error) };
    return {
      type: 'ok',
      value: { ...value, partition, offset: Number(outcome.reply.offset) },
      node: 'n1',
    };
  }

  private async poll(signal: AbortSignal): Promise<Completion> {
    const partition = this.pollCursor++ % this.config.partitions;
    const from = this.positions.get(partition) ?? 0;
    const outcome = await this.connection.request(
      { op: 'read', partition, from, max: pollRecordsMax },
      signal,
    );
    if (outcome.kind !== 'reply' || outcome.reply.ok !== true)
      return { type: 'fail', value: {}, error: errorOf(outcome) };
    const records: PolledRecord[] = (outcome.reply.records as [number, number][]).map(
      ([offset, value]) => ({
        topic: 'toy',
        partition,
        offset,
        value,
      }),
    );
    if (records.length > 0) this.positions.set(partition, records.at(-1)!.offset + 1);
    return { type: 'ok', value: { records }, node: 'n1' };
  }

  private async readBack(
    value: Extract<OperationRequest, { f: 'read-back' }>['value'],
    signal: AbortSignal,
  ): Promise<Completion> {
    const records: { offset: number; value: number }[] = [];
    let from = value.offsetFirst ?? 0;
    for (;;) {
      const outcome = await this.connection.request(
        { op: 'read', partition: value.partition, from, max: readBackChunk },
        signal,
      );
      if (outcome.kind !== 'reply' || outcome.reply.ok !== true)
        return { type: 'fail', value, error: errorOf(outcome) };
      const chunk = outcome.reply.records as [number, number][];
      for (const [offset, v] of chunk) records.push({ offset, value: v });
      from += chunk.length;
      if (from >= Number(outcome.reply.end) || chunk.length === 0) break;
    }
    return { type: 'ok', value: { ...value, records, complete: true }, node: 'n1' };
  }

  async close(): Promise<void> {
    this.connection.close();
  }
}

function errorOf(outcome: Outcome): string {
  return outcome.kind === 'reply' ? String(outcome.reply.error) : outcome.error;
}

export const createClient: CreateWorkloadClient = async ({ config }) =>
  new ToyClient(config as { host: string; port: number; partitions: number });
