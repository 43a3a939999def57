/**
 * A test's client load on a process cluster: every group has one request in flight at a
 * time, sent to the group's leader as last seen (statuses polled in the background, and
 * the hints of refusals). Every id is proposed once, never retried, so an id applied twice
 * would be a duplicate. Outcomes are kept: acknowledged ids per group (those must survive),
 * and ids whose fate is unknown (their node died or did not answer; they may or may not
 * have committed).
 */
import type { ProposeReply } from './control-protocol.ts';
import { type ProcessCluster, waitUntil } from './process-cluster.ts';

export interface ProposalLoadOptions {
  readonly groups: readonly number[];
  readonly idsPerRequest: number;
  readonly entryBytes: number;
  /** Pause of each group's loop between requests: paces the load for a shared machine. */
  readonly pauseMs: number;
  readonly requestTimeoutMs: number;
}

const leaderPollIntervalMs = 250;

export class ProposalLoad {
  /** Acknowledged ids per group. */
  readonly acked = new Map<number, Set<number>>();
  /** Every id ever sent. */
  readonly proposed = new Set<number>();
  readonly counts = { acked: 0, superseded: 0, refused: 0, unknown: 0 };
  private readonly leaderHints = new Map<number, number>();
  private nextId = 1;
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly cluster: ProcessCluster,
    private readonly options: ProposalLoadOptions,
  ) {
    for (const group of options.groups) this.acked.set(group, new Set());
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loops = [this.pollLeaders(), ...this.options.groups.map((group) => this.groupLoop(group))];
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  get ackedCount(): number {
    return this.counts.acked;
  }

  async waitForAcked(count: number, timeoutMs: number): Promise<void> {
    await waitUntil(() => this.counts.acked >= count, {
      timeoutMs,
      what: () => `${count} acknowledged proposals (have ${this.counts.acked})`,
    });
  }

  private async pollLeaders(): Promise<void> {
    while (this.running) {
      const leaders = await this.cluster.leaders();
      for (const [group, leader] of leaders) this.leaderHints.set(group, leader);
      await sleep(leaderPollIntervalMs);
    }
  }

  private async groupLoop(group: number): Promise<void> {
    while (this.running) {
      await this.proposeOnce(group);
      await sleep(this.options.pauseMs);
    }
  }

  /** One request to the group's presumed leader; returns the reply, if any. */
  async proposeOnce(group: number): Promise<ProposeReply | undefined> {
    const leader = this.leaderHints.get(group);
    const node = leader === undefined ? undefined : this.cluster.node(leader);
    if (node === undefined) return undefined;
    const ids = Array.from({ length: this.options.idsPerRequest }, () => this.nextId++);
    for (const id of ids) this.proposed.add(id);
    let reply: ProposeReply;
    try {
      reply = await node.propose(
        group,
        ids,
        this.options.entryBytes,
        this.options.requestTimeoutMs,
      );
    } catch {
      this.counts.unknown += ids.length; // the node died or did not answer in time
      return undefined;
    }
    this.record(group, reply);
    const hint = reply.refusal?.leader;
    if (hint !== undefined && hint !== 0 && hint !== leader) this.leaderHints.set(group, hint);
    else if (reply.refusal !== undefined) this.leaderHints.delete(group);
    return reply;
  }

  private record(group: number, reply: ProposeReply): void {
    const acked = this.acked.get(group) as Set<number>;
    for (const id of reply.acked) acked.add(id);
    this.counts.acked += reply.acked.length;
    this.counts.superseded += reply.superseded.length;
    this.counts.refused += reply.refused.length;
    this.counts.unknown += reply.unknown.length;
  }

  /**
   * After `stop`: one more acknowledged proposal per group, retried until it commits. Its
   * index is where every replica must get to before the applied sequences are compared.
   */
  async barrier(timeoutMs: number): Promise<Map<number, number>> {
    const indexes = new Map<number, number>();
    await Promise.all(
      this.options.groups.map((group) =>
        waitUntil(
          async () => {
            if (this.leaderHints.get(group) === undefined) {
              const leader = (await this.cluster.leaders()).get(group);
              if (leader !== undefined) this.leaderHints.set(group, leader);
            }
            const reply = await this.proposeOnce(group);
            if (reply !== undefined && reply.acked.length === this.options.idsPerRequest) {
              indexes.set(group, reply.indexLast);
              return true;
            }
            return false;
          },
          { timeoutMs, what: `a barrier proposal committed in group ${group}` },
        ),
      ),
    );
    return indexes;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
