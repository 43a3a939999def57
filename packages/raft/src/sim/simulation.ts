/**
 * The deterministic simulator: 3 to 7 Raft nodes in one process, driven tick by tick from
 * one schedule. Each tick delivers the messages that are due, ticks every live node, lets
 * a client propose, runs each node's Ready loop (with fsyncs that take time), and checks
 * every invariant (the SafetyChecker sees each effect as it happens). After the fault
 * phase every fault is healed and every node restarted; then, within a bounded number of
 * ticks, a leader must be elected, a new proposal must commit, and every member must have
 * applied it and every acknowledged proposal (the liveness check).
 */
import { allVoters, ConfigChangeType, isJoint } from '../core/config-change.ts';
import { SeededPrng } from '../core/prng.ts';
import {
  type ConfigState,
  type CoreLogger,
  type Entry,
  EntryType,
  type Message,
  type NodeId,
  Role,
} from '../core/types.ts';
import { SafetyChecker } from './checker.ts';
import { dataText, proposalData } from './entry-key.ts';
import { SimHost, simRaftDefaults } from './host.ts';
import { SimNetwork } from './network.ts';
import type { SimEvent, SimSchedule } from './schedule.ts';
import { describeMessage, type TraceSink, traceLine } from './trace.ts';

export class LivenessViolation extends Error {
  override readonly name = 'LivenessViolation';
}

export interface SimulationOptions {
  /** Restart amnesiac nodes with votingDisabledUntilIndex (the protocol-aware recovery). */
  readonly amnesiaProtection?: boolean;
  readonly livenessTicksMax?: number;
  readonly trace?: TraceSink;
}

export interface SimulationStats {
  ticks: number;
  proposals: number;
  acknowledged: number;
  messages: number;
  dropped: number;
  leaderships: number;
  snapshotsRestored: number;
  configChanges: number;
  reads: number;
}

interface Proposal {
  readonly node: NodeId;
  readonly index: number;
}

export const livenessTicksMaxDefault = 600;

export class Simulation {
  readonly schedule: SimSchedule;
  readonly checker = new SafetyChecker();
  readonly hosts = new Map<NodeId, SimHost>();
  readonly network: SimNetwork;
  now = 0;
  private readonly clientPrng: SeededPrng;
  private readonly persistPrng: SeededPrng;
  private readonly options: SimulationOptions;
  private readonly proposals = new Map<string, Proposal>();
  private readonly readsRequired = new Map<number, number>();
  /** Paused nodes (a stalled process): neither tick nor receive until the given tick. */
  private readonly pausedUntil = new Map<NodeId, number>();
  private proposalCount = 0;
  private readCount = 0;
  private persistDelayMax: number;
  private proposing = true;
  readonly stats: SimulationStats = {
    ticks: 0,
    proposals: 0,
    acknowledged: 0,
    messages: 0,
    dropped: 0,
    leaderships: 0,
    snapshotsRestored: 0,
    configChanges: 0,
    reads: 0,
  };

  constructor(schedule: SimSchedule, options: SimulationOptions = {}) {
    this.schedule = schedule;
    this.options = options;
    this.clientPrng = new SeededPrng(schedule.seed * 3 + 1);
    this.persistPrng = new SeededPrng(schedule.seed * 3 + 2);
    this.persistDelayMax = schedule.persistDelayMax;
    this.network = new SimNetwork(new SeededPrng(schedule.seed * 3), {
      dropPercent: schedule.dropPercent,
      duplicatePercent: schedule.duplicatePercent,
      delayTicksMax: schedule.delayTicksMax,
      latePercent: schedule.lateMessagePercent ?? 0,
      lateTicksMax: 3 * simRaftDefaults.electionTicks,
    });
    this.network.onDrop = (m, why) => this.trace(m.from, 'drop', `${why}: ${describeMessage(m)}`);
    const ids = Array.from({ length: schedule.nodeCount }, (_, i) => i + 1);
    const voterCount = Math.max(1, schedule.nodeCount - schedule.spares);
    const bootstrap: ConfigState = {
      voters: ids.slice(0, voterCount),
      outgoingVoters: [],
      learners: [],
    };
    const settings = {
      ...simRaftDefaults,
      preVote: schedule.preVote,
      checkQuorum: schedule.checkQuorum,
      pipelineDepth: schedule.pipelineDepth ?? 1,
      trace: options.trace !== undefined,
    };
    for (const id of ids) {
      const host = new SimHost({
        id,
        bootstrap,
        settings,
        checker: this.checker,
        logger: this.coreLogger(id),
        seed: schedule.seed,
        send: (message) => this.send(message),
      });
      host.onApplied = (h, entry) => this.onApplied(h, entry);
      host.onReadState = (h, requestId, index) => this.onReadState(h, requestId, index);
      this.hosts.set(id, host);
    }
  }

  private coreLogger(id: NodeId): CoreLogger {
    return {
      warn: (event, fields) => {
        this.trace(id, event, formatFields(fields));
        // In a correct group these never happen; the simulator treats them as violations.
        if (event === 'raft.message-rejected' && fields.reason === 'conflicts-with-committed') {
          this.checker.fail(
            `node ${id} was sent entries conflicting with its committed log: ${String(fields.detail)}`,
          );
        }
      },
      debug: (event, fields) => this.trace(id, event, formatFields(fields)),
    };
  }

  private trace(node: NodeId, event: string, detail: string): void {
    this.options.trace?.(traceLine(this.now, node, event, detail));
  }

  private send(message: Message): void {
    this.stats.messages++;
    this.network.send(message, this.now);
  }

  /** Runs the fault phase, then the liveness phase; throws on any violation. */
  run(): SimulationStats {
    const events = [...this.schedule.events].sort((a, b) => a.at - b.at);
    let next = 0;
    for (this.now = 0; this.now < this.schedule.steps; this.now++) {
      while (next < events.length && (events[next] as SimEvent).at <= this.now) {
        this.applyEvent(events[next] as SimEvent);
        next++;
      }
      this.step();
    }
    this.healAll();
    this.checkLiveness();
    this.finish();
    return this.stats;
  }

  /** One tick: deliver what is due, tick everyone, client traffic, Ready loops. */
  step(): void {
    for (const [id, until] of this.pausedUntil) if (until <= this.now) this.pausedUntil.delete(id);
    for (
      let message = this.network.nextDue(this.now);
      message !== undefined;
      message = this.network.nextDue(this.now)
    ) {
      const host = this.hosts.get(message.to);
      if (host === undefined || !host.alive) continue;
      const resume = this.pausedUntil.get(message.to);
      if (resume !== undefined) {
        this.network.hold(message, Math.max(resume, this.now + 1));
        continue;
      }
      this.trace(message.to, 'deliver', describeMessage(message));
      host.node.step(message);
      this.process(host);
    }
    for (const host of this.hosts.values()) {
      if (!host.alive || this.pausedUntil.has(host.id)) continue;
      host.node.tick();
      this.process(host);
    }
    if (this.proposing && this.clientPrng.chance(this.schedule.proposalPercent))
      this.clientPropose();
    for (const host of this.hosts.values()) {
      if (this.pausedUntil.has(host.id)) continue;
      this.process(host);
      this.maybeCompact(host);
    }
    this.stats.ticks++;
  }

  private process(host: SimHost): void {
    host.process(this.now, () =>
      this.persistDelayMax === 0 ? 0 : this.persistPrng.nextInt(this.persistDelayMax + 1),
    );
  }

  private maybeCompact(host: SimHost): void {
    const every = this.schedule.compactEvery;
    if (every === 0 || !host.alive) return;
    if (host.appliedIndex - (host.log.firstIndex() - 1) < every) return;
    if (host.compact()) this.trace(host.id, 'compact', `at ${host.appliedIndex}`);
  }

  private clientPropose(): void {
    const alive = [...this.hosts.values()].filter((h) => h.alive);
    if (alive.length === 0) return;
    // Clients mostly find the leader; sometimes they ask a stale or wrong node.
    const leader = this.leader();
    const target =
      leader !== undefined && this.clientPrng.chance(80)
        ? leader
        : (alive[this.clientPrng.nextInt(alive.length)] as SimHost);
    const count = 1 + this.clientPrng.nextInt(3);
    this.propose(target, count, 'p');
  }

  /** Proposes `count` new ids to `host`; returns the index of the first, or 0 if refused. */
  private propose(host: SimHost, count: number, prefix: string): number {
    const ids = Array.from({ length: count }, () => `${prefix}${++this.proposalCount}`);
    const result = host.node.propose(ids.map(proposalData));
    if (!result.ok) return 0;
    this.stats.proposals += count;
    ids.forEach((id, i) => {
      this.proposals.set(id, { node: host.id, index: result.indexFirst + i });
    });
    this.trace(host.id, 'propose', `${ids.join(',')} at ${result.indexFirst}..${result.indexLast}`);
    this.process(host);
    return result.indexFirst;
  }

  private onApplied(host: SimHost, entry: Entry): void {
    if (entry.type !== EntryType.Data) {
      if (entry.type === EntryType.Config) this.stats.configChanges++;
      return;
    }
    const id = dataText(entry.data);
    const proposal = this.proposals.get(id);
    // The node that accepted the proposal applied it where it said: the client hears "committed".
    if (proposal !== undefined && proposal.node === host.id && proposal.index === entry.index) {
      this.proposals.delete(id);
      this.checker.onAcknowledged(id, entry.index);
      this.stats.acknowledged++;
      this.trace(host.id, 'ack', `${id} at ${entry.index}`);
    }
  }

  private onReadState(host: SimHost, requestId: number, index: number): void {
    const required = this.readsRequired.get(requestId);
    if (required === undefined) return;
    this.readsRequired.delete(requestId);
    this.trace(
      host.id,
      'read-index',
      `request ${requestId} at ${index} (acknowledged ${required})`,
    );
    this.checker.onReadState(host.id, index, required);
  }

  // ---- faults ----------------------------------------------------------------------------

  private ids(filter: (host: SimHost) => boolean): NodeId[] {
    return [...this.hosts.values()].filter(filter).map((h) => h.id);
  }

  private pickFrom<T>(items: readonly T[], pick: number): T | undefined {
    return items.length === 0 ? undefined : items[pick % items.length];
  }

  /** The live leader of the highest term, if any. */
  leader(): SimHost | undefined {
    let best: SimHost | undefined;
    for (const host of this.hosts.values()) {
      const r = host.raw?.raft;
      if (r === undefined || r.role !== Role.Leader) continue;
      if (best === undefined || r.term > (best.raw?.raft.term ?? 0)) best = host;
    }
    return best;
  }

  applyEvent(event: SimEvent): void {
    switch (event.kind) {
      case 'crash':
      case 'torn-crash':
      case 'crash-leader':
      case 'restart':
      case 'pause':
        this.processFault(event);
        return;
      case 'amnesia':
        this.amnesia(event);
        return;
      case 'partition':
      case 'one-way':
      case 'bridge':
      case 'isolate-leader':
      case 'heal':
        this.networkFault(event);
        return;
      case 'compact': {
        const id = this.pickAlive(event.pick);
        if (id !== undefined && this.host(id).compact()) {
          this.trace(id, 'compact', `at ${this.host(id).appliedIndex}`);
        }
        return;
      }
      case 'read':
        this.read(event);
        return;
      case 'transfer':
        this.transfer(event);
        return;
      default:
        this.changeMembership(event);
    }
  }

  private pickAlive(pick: number): NodeId | undefined {
    return this.pickFrom(
      this.ids((h) => h.alive),
      pick,
    );
  }

  /** Crashes (losing unsynced writes, or keeping a torn prefix), restarts and pauses. */
  private processFault(event: SimEvent): void {
    if (event.kind === 'crash-leader') {
      const leader = this.leader();
      if (leader === undefined) return;
      this.trace(leader.id, 'crash', 'the leader; unsynced writes lost');
      leader.crash(event.pick2 % 3);
      return;
    }
    if (event.kind === 'restart') {
      const id = this.pickFrom(
        this.ids((h) => !h.alive),
        event.pick,
      );
      if (id !== undefined) this.restart(id);
      return;
    }
    const id = this.pickAlive(event.pick);
    if (id === undefined) return;
    if (event.kind === 'pause') {
      const ticks = 1 + (event.pick2 % 30);
      this.pausedUntil.set(id, this.now + ticks);
      this.trace(id, 'pause', `for ${ticks} ticks`);
      return;
    }
    const torn = event.kind === 'torn-crash' ? event.pick2 % 6 : 0;
    this.trace(id, 'crash', torn > 0 ? `torn write keeps ${torn} part(s)` : 'unsynced writes lost');
    this.host(id).crash(torn);
  }

  /** Partitions (symmetric, one-way, bridge, isolate-the-leader) and healing. */
  private networkFault(event: SimEvent): void {
    const all = [...this.hosts.keys()];
    switch (event.kind) {
      case 'partition': {
        const side = all.filter((_, i) => ((event.pick >> i) & 1) === 1);
        const other = all.filter((id) => !side.includes(id));
        this.network.split(side, other);
        this.trace(0, 'partition', `[${side}] | [${other}]`);
        return;
      }
      case 'one-way': {
        const from = all[event.pick % all.length] as NodeId;
        const to = all[event.pick2 % all.length] as NodeId;
        this.network.block(from, to);
        this.trace(0, 'partition', `one-way ${from} -/-> ${to}`);
        return;
      }
      case 'bridge': {
        const bridge = all[event.pick % all.length] as NodeId;
        const rest = all.filter((id) => id !== bridge);
        const left = rest.filter((_, i) => i % 2 === 0);
        const right = rest.filter((_, i) => i % 2 === 1);
        this.network.split(left, right);
        this.trace(0, 'partition', `bridge ${bridge}: [${left}] | [${right}]`);
        return;
      }
      case 'isolate-leader': {
        const leader = this.leader();
        if (leader === undefined) return;
        this.network.split(
          [leader.id],
          all.filter((id) => id !== leader.id),
        );
        this.trace(0, 'partition', `isolate leader ${leader.id}`);
        return;
      }
      default:
        this.network.heal();
        this.trace(0, 'heal', '');
    }
  }

  private host(id: NodeId): SimHost {
    return this.hosts.get(id) as SimHost;
  }

  private restart(id: NodeId): void {
    const host = this.host(id);
    const fence = host.recoveryFence();
    const disabledUntil = (this.options.amnesiaProtection ?? true) ? fence : 0;
    host.start(disabledUntil);
    this.trace(id, 'restart', disabledUntil > 0 ? `voting disabled until ${disabledUntil}` : '');
    this.process(host);
  }

  /**
   * The disk of a node loses the tail of its log, entries it may have acknowledged (outside
   * Raft's fault model; the protocol-aware recovery must keep it safe). To stay live we
   * allow one such node at a time, and only in groups of at least three voters.
   */
  private amnesia(event: SimEvent): void {
    if (this.anyVotingDisabled() || !this.membershipSettled()) return;
    const id = this.pickFrom(
      this.ids((h) => h.alive),
      event.pick,
    );
    if (id === undefined) return;
    const host = this.host(id);
    host.crash(0);
    const first = host.log.firstIndex() - 1;
    const keep = first + Math.floor(((host.log.lastIndex() - first) * (event.pick2 % 100)) / 100);
    host.log.truncateAfter(keep);
    this.trace(id, 'amnesia', `log cut to ${keep}, was durable up to ${host.durableLastIndex}`);
  }

  /**
   * Every node is up, applies a simple configuration of at least three voters, and holds no
   * membership change it has not applied: then, whatever the schedule does next (removals
   * wait while a node cannot vote), the others remain a live majority.
   */
  private membershipSettled(): boolean {
    for (const host of this.hosts.values()) {
      const r = host.raw?.raft;
      if (r === undefined) return false;
      if (isJoint(r.config) || allVoters(r.config).length < 3) return false;
      for (
        let index = Math.max(r.log.applied + 1, r.log.firstIndex());
        index <= r.log.lastIndex();
        index++
      ) {
        const entry = r.log.entries(index, index + 1, Number.MAX_SAFE_INTEGER)[0];
        if (entry?.type === EntryType.Config) return false;
      }
    }
    return true;
  }

  private anyVotingDisabled(): boolean {
    for (const host of this.hosts.values()) {
      if (host.fenced() || (host.raw?.raft.votingDisabledUntilIndex ?? 0) > 0) return true;
    }
    return false;
  }

  private read(event: SimEvent): void {
    const id = this.pickFrom(
      this.ids((h) => h.alive),
      event.pick,
    );
    if (id === undefined) return;
    const requestId = ++this.readCount;
    const error = this.host(id).node.readIndex(requestId);
    if (error !== undefined) return;
    this.stats.reads++;
    this.readsRequired.set(requestId, this.checker.acknowledgedIndexMax());
    this.trace(id, 'read', `request ${requestId}`);
    this.process(this.host(id));
  }

  private transfer(event: SimEvent): void {
    const leader = this.leader();
    if (leader === undefined) return;
    const to = this.pickFrom(
      allVoters(leader.node.raft.config).filter((id) => id !== leader.id),
      event.pick,
    );
    if (to === undefined) return;
    const error = leader.node.transferLeadership(to);
    this.trace(leader.id, 'transfer', `to ${to}${error ? `: ${error.code}` : ''}`);
    this.process(leader);
  }

  private changeMembership(event: SimEvent): void {
    const leader = this.leader();
    if (leader === undefined) return;
    const config = leader.node.raft.config;
    if (isJoint(config)) return;
    const members = [...config.voters, ...config.learners];
    const nonMembers = [...this.hosts.keys()].filter((id) => !members.includes(id));
    let steps: { type: ConfigChangeType; node: NodeId }[] = [];
    if (event.kind === 'add-learner') {
      const node = this.pickFrom(nonMembers, event.pick);
      if (node !== undefined) steps = [{ type: ConfigChangeType.AddLearner, node }];
    } else if (event.kind === 'promote') {
      const node = this.pickFrom(config.learners, event.pick);
      if (node !== undefined) steps = [{ type: ConfigChangeType.AddVoter, node }];
    } else if (event.kind === 'remove') {
      if (this.anyVotingDisabled()) return; // keep a live majority for the amnesiac's sake
      const node = this.pickFrom(members, event.pick);
      if (node !== undefined) steps = [{ type: ConfigChangeType.RemoveNode, node }];
    } else if (event.kind === 'joint') {
      if (this.anyVotingDisabled()) return;
      const learner = this.pickFrom(config.learners, event.pick);
      const voter = this.pickFrom(config.voters, event.pick2);
      if (learner !== undefined && voter !== undefined) {
        steps = [
          { type: ConfigChangeType.AddVoter, node: learner },
          { type: ConfigChangeType.RemoveNode, node: voter },
        ];
      }
    }
    if (steps.length === 0) return;
    const result = leader.node.proposeConfigChange({ steps });
    const what = steps
      .map((s) => `${['add-voter', 'add-learner', 'remove'][s.type]} ${s.node}`)
      .join(', ');
    this.trace(
      leader.id,
      'config-change',
      `${what}${result.ok ? ` at ${result.index}` : `: ${result.error.code}`}`,
    );
    this.process(leader);
  }

  // ---- liveness ----------------------------------------------------------------------------

  /** Ends every fault: links, losses, duplicates; restarts every node that is down. */
  healAll(): void {
    this.network.heal();
    this.network.faults = {
      ...this.network.faults,
      dropPercent: 0,
      duplicatePercent: 0,
      latePercent: 0,
    };
    this.pausedUntil.clear();
    for (const host of this.hosts.values()) if (!host.alive) this.restart(host.id);
    this.proposing = false;
    this.trace(0, 'heal-all', 'faults end; liveness phase');
  }

  /** Within the bound, a leader commits a fresh proposal and every member applies it. */
  checkLiveness(): void {
    const limit = this.options.livenessTicksMax ?? livenessTicksMaxDefault;
    const start = this.now;
    let marker: { index: number; leader: NodeId; term: number } | undefined;
    for (; this.now < start + limit; this.now++) {
      this.step();
      const leader = this.leader();
      if (leader === undefined) continue;
      const term = leader.node.raft.term;
      if (marker === undefined || marker.leader !== leader.id || marker.term !== term) {
        const index = this.propose(leader, 1, 'm');
        marker = index === 0 ? undefined : { index, leader: leader.id, term };
        continue;
      }
      if (this.allMembersApplied(leader, marker.index)) return;
    }
    const leader = this.leader();
    throw new LivenessViolation(
      `no progress within ${limit} ticks after healing: leader ${leader?.id ?? 'none'}, ` +
        `marker ${marker ? `at ${marker.index}` : 'not accepted'}, nodes ` +
        [...this.hosts.values()]
          .map((h) => {
            const s = h.raw?.status();
            return s
              ? `${h.id}:${s.role}/t${s.term}/c${s.commit}/a${s.applied}/l${s.lastIndex}`
              : `${h.id}:down`;
          })
          .join(' '),
    );
  }

  private allMembersApplied(leader: SimHost, index: number): boolean {
    const config = leader.node.raft.config;
    const members = [...config.voters, ...config.outgoingVoters, ...config.learners];
    return members.every((id) => this.host(id).appliedIndex >= index);
  }

  /** Final checks: every acknowledged proposal is in every member's state machine. */
  finish(): void {
    const leader = this.leader();
    if (leader === undefined) return;
    const config = leader.node.raft.config;
    for (const id of new Set([...config.voters, ...config.outgoingVoters, ...config.learners])) {
      this.checker.checkAcknowledgedApplied(id, new Set(this.host(id).appliedIds));
    }
    this.stats.leaderships = this.checker.leaderTermCount();
    for (const host of this.hosts.values()) this.stats.snapshotsRestored += host.snapshotsInstalled;
    this.stats.acknowledged = this.checker.acknowledgedCount();
    this.stats.dropped = this.network.dropped;
  }
}

function formatFields(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .filter(([key]) => key !== 'group' && key !== 'node')
    .map(
      ([key, value]) =>
        `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`,
    )
    .join(' ');
}

export function runSimulation(
  schedule: SimSchedule,
  options: SimulationOptions = {},
): SimulationStats {
  return new Simulation(schedule, options).run();
}
