/**
 * An interaction harness for scenario tests: several SimHosts in one process where the
 * test owns every message in flight. Nothing is delivered unless the test says so
 * (`deliver`, `deliverAll`, `stabilize`), messages can be dropped or held, links cut,
 * nodes crashed and restarted; the SafetyChecker watches throughout.
 */
import type { ConfigState, CoreLogger, Message, NodeId } from '../core/types.ts';
import { SafetyChecker } from './checker.ts';
import { proposalData } from './entry-key.ts';
import { SimHost, type SimRaftSettings, simRaftDefaults } from './host.ts';

export interface ClusterOptions {
  readonly voters: readonly NodeId[];
  /** Nodes that exist but are not members at bootstrap (to be added later). */
  readonly spares?: readonly NodeId[];
  readonly learners?: readonly NodeId[];
  readonly settings?: Partial<SimRaftSettings>;
  readonly seed?: number;
  readonly logger?: CoreLogger;
}

export const silentLogger: CoreLogger = { warn: () => {}, debug: () => {} };

export class Cluster {
  readonly hosts = new Map<NodeId, SimHost>();
  readonly checker = new SafetyChecker();
  /** Messages sent and not yet delivered or dropped, in send order. */
  inFlight: Message[] = [];
  private readonly cut = new Set<string>();
  private proposalCount = 0;

  constructor(options: ClusterOptions) {
    const bootstrap: ConfigState = {
      voters: [...options.voters].sort((a, b) => a - b),
      outgoingVoters: [],
      learners: [...(options.learners ?? [])].sort((a, b) => a - b),
    };
    const settings = { ...simRaftDefaults, ...options.settings };
    const ids = [...options.voters, ...(options.learners ?? []), ...(options.spares ?? [])];
    for (const id of ids) {
      const host = new SimHost({
        id,
        bootstrap,
        settings,
        checker: this.checker,
        logger: options.logger ?? silentLogger,
        seed: options.seed ?? 1,
        send: (message) => this.send(message),
      });
      this.hosts.set(id, host);
    }
  }

  host(id: NodeId): SimHost {
    const host = this.hosts.get(id);
    if (host === undefined) throw new Error(`cluster: no node ${id}`);
    return host;
  }

  /** The RawNode of `id` (throws if it is down). */
  node(id: NodeId) {
    return this.host(id).node;
  }

  private send(message: Message): void {
    if (this.cut.has(`${message.from}>${message.to}`)) return;
    this.inFlight.push(message);
  }

  /** Runs every node's Ready loop until nothing is left to persist or send. */
  process(): void {
    for (const host of this.hosts.values()) host.process(0, () => 0);
  }

  tick(id: NodeId, times = 1): void {
    for (let i = 0; i < times; i++) {
      this.node(id).tick();
      this.process();
    }
  }

  /** Ticks `id` until it starts a new campaign (its election timer fired). */
  tickUntilCampaign(id: NodeId, limit = 100): void {
    const before = this.node(id).raft.counters.campaigns;
    for (let i = 0; i < limit; i++) {
      this.tick(id);
      if (this.node(id).raft.counters.campaigns > before) return;
    }
    throw new Error(`cluster: node ${id} did not campaign in ${limit} ticks`);
  }

  /** Delivers (in order) the in-flight messages `filter` selects; returns how many. */
  deliver(filter: (m: Message) => boolean = () => true): number {
    const now = this.inFlight.filter(filter);
    this.inFlight = this.inFlight.filter((m) => !filter(m));
    for (const message of now) {
      const host = this.hosts.get(message.to);
      if (host === undefined || !host.alive) continue;
      host.node.step(message);
      this.process();
    }
    return now.length;
  }

  /** Delivers everything, including what delivery produces, until the network is quiet. */
  stabilize(limit = 10_000): void {
    for (let round = 0; round < limit; round++) {
      this.process();
      if (this.deliver() === 0) return;
    }
    throw new Error('cluster: did not stabilize');
  }

  drop(filter: (m: Message) => boolean): Message[] {
    const dropped = this.inFlight.filter(filter);
    this.inFlight = this.inFlight.filter((m) => !filter(m));
    return dropped;
  }

  /** Cuts (or restores) both directions between `a` and every node in `others`. */
  isolate(id: NodeId): void {
    for (const other of this.hosts.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}>${other}`);
      this.cut.add(`${other}>${id}`);
    }
    this.drop((m) => m.from === id || m.to === id);
  }

  cutLink(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}>${to}`);
    this.drop((m) => m.from === from && m.to === to);
  }

  heal(): void {
    this.cut.clear();
  }

  /** Makes `id` campaign now (as if its election timer fired) and runs to quiet. */
  campaign(id: NodeId): void {
    this.tickUntilCampaign(id);
    this.stabilize();
  }

  propose(id: NodeId, count = 1): { ok: boolean; indexLast: number } {
    const data: Uint8Array[] = [];
    for (let i = 0; i < count; i++) data.push(proposalData(`p${++this.proposalCount}`));
    const result = this.node(id).propose(data);
    this.process();
    return result.ok ? { ok: true, indexLast: result.indexLast } : { ok: false, indexLast: 0 };
  }

  crash(id: NodeId, tornPrefix = 0): void {
    this.host(id).crash(tornPrefix);
    this.inFlight = this.inFlight.filter((m) => m.to !== id);
  }

  restart(id: NodeId, votingDisabledUntilIndex = 0): void {
    this.host(id).start(votingDisabledUntilIndex);
    this.process();
  }

  leader(): NodeId {
    let best = 0;
    let bestTerm = -1;
    for (const [id, host] of this.hosts) {
      const r = host.raw?.raft;
      if (r !== undefined && r.role === 'leader' && r.term > bestTerm) {
        best = id;
        bestTerm = r.term;
      }
    }
    return best;
  }
}
