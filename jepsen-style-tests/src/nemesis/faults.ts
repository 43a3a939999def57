/**
 * How each fault kind starts and stops. Starting returns what was done to whom and a `stop`
 * that undoes it (restart, resume, heal). Disk faults touch only stopped nodes.
 */
import { assertNever } from '../assert.ts';
import { JepsenError } from '../errors.ts';
import type { TopicPartition } from '../history/operation.ts';
import type { Prng } from '../prng.ts';
import type { ClusterControl } from './cluster-control.ts';
import {
  dropUnsyncedTail,
  flipRandomBits,
  pickDataFile,
  recordSizes,
  truncateAtRandom,
} from './disk-faults.ts';
import type { FaultKind } from './fault-kinds.ts';
import type { DirectedLink, NetworkControl } from './network-control.ts';
import { bridge, halves, isolate, oneWay } from './partition-shapes.ts';

export interface NemesisContext {
  readonly cluster: ClusterControl;
  readonly network: NetworkControl | undefined;
  /** Partitions whose leaders `kill-leader` and `partition-isolate-leader` aim at. */
  readonly partitions: readonly TopicPartition[];
  /** Nodes currently paused, so healing can resume them. */
  readonly paused: Set<string>;
  /**
   * The only nodes disk faults touch, a minority fixed for the whole run. Damaged replicas
   * fence themselves and stay fenced until an operator repairs them; damage spread over a
   * majority of some partition's replicas, one fault at a time, would be a majority failure,
   * which no replicated log survives. Undefined: any minority, chosen per fault.
   */
  readonly diskVictims?: readonly string[];
}

export interface ActiveFault {
  readonly targets: readonly string[];
  readonly detail: string | undefined;
  /** Undoes the fault; returns a description of what stopping did, if anything notable. */
  stop(): Promise<string | undefined>;
}

export function canInject(
  kind: FaultKind,
  context: { readonly cluster: ClusterControl; readonly network?: NetworkControl | undefined },
): boolean {
  const size = context.cluster.nodes().length;
  if (kind.startsWith('partition-') && context.network === undefined) return false;
  if (kind === 'partition-bridge' || kind.startsWith('disk-')) return size >= 3;
  return size >= 2 || kind === 'kill' || kind === 'pause';
}

export async function startFault(
  kind: FaultKind,
  context: NemesisContext,
  prng: Prng,
): Promise<ActiveFault> {
  const nodeIds = context.cluster.nodes().map((n) => n.id);
  switch (kind) {
    case 'kill':
      return killNodes(context, [prng.pick(nodeIds)], undefined);
    case 'kill-leader': {
      const { node, detail } = await leaderOrRandom(context, prng, 'partition');
      return killNodes(context, [node], detail);
    }
    case 'kill-controller': {
      const { node, detail } = await leaderOrRandom(context, prng, 'controller');
      return killNodes(context, [node], detail);
    }
    case 'kill-majority':
      return killNodes(
        context,
        prng.shuffle(nodeIds).slice(0, Math.floor(nodeIds.length / 2) + 1),
        undefined,
      );
    case 'pause':
      return pauseNode(context, prng.pick(nodeIds));
    case 'partition-halves': {
      const { links, sides } = halves(nodeIds, prng);
      return cutLinks(
        context,
        links,
        sides.map((s) => s.join('|')),
        undefined,
      );
    }
    case 'partition-isolate-leader': {
      const { node, detail } = await leaderOrRandom(context, prng, 'partition');
      return cutLinks(context, isolate(nodeIds, node), [node], detail);
    }
    case 'partition-bridge': {
      const { links, bridgeNode } = bridge(nodeIds, prng);
      return cutLinks(context, links, [bridgeNode], `bridge node ${bridgeNode}`);
    }
    case 'partition-one-way': {
      const node = prng.pick(nodeIds);
      const direction = prng.chance(0.5) ? 'outbound' : 'inbound';
      return cutLinks(
        context,
        oneWay(nodeIds, node, direction),
        [node],
        `${direction} traffic of ${node} dropped`,
      );
    }
    case 'disk-truncate':
    case 'disk-bitflip':
      return corruptStoppedMinority(kind, context, prng);
    case 'disk-lose-unsynced':
      return loseUnsyncedTail(context, prng);
    default:
      return assertNever(kind, 'fault kind');
  }
}

/**
 * Right after a fault heals, a group may be between leaders: the lookup is retried for a
 * while before the fault falls back to a random node (and says so in its detail).
 */
const leaderLookupAttempts = 5;
const leaderLookupPauseMs = 1000;

async function leaderOrRandom(
  context: NemesisContext,
  prng: Prng,
  which: 'partition' | 'controller',
): Promise<{ node: string; detail: string }> {
  const nodeIds = context.cluster.nodes().map((n) => n.id);
  const tp =
    which === 'partition' && context.partitions.length > 0
      ? prng.pick(context.partitions)
      : undefined;
  const of = tp ? `${tp.topic}/${tp.partition}` : 'controller';
  const lookup = async (): Promise<string | undefined> => {
    if (which === 'controller') return context.cluster.controllerLeader?.();
    return tp && context.cluster.partitionLeader ? context.cluster.partitionLeader(tp) : undefined;
  };
  const canLookUp =
    which === 'controller'
      ? context.cluster.controllerLeader
      : tp && context.cluster.partitionLeader;
  for (let attempt = 1; canLookUp && attempt <= leaderLookupAttempts; attempt++) {
    const leader = await lookup();
    if (leader !== undefined && nodeIds.includes(leader) && context.cluster.isRunning(leader))
      return { node: leader, detail: `leader of ${of}` };
    if (attempt < leaderLookupAttempts)
      await new Promise((r) => setTimeout(r, leaderLookupPauseMs));
  }
  return { node: prng.pick(nodeIds), detail: `leader of ${of} unknown: a random node` };
}

async function killNodes(
  context: NemesisContext,
  nodes: readonly string[],
  detail: string | undefined,
): Promise<ActiveFault> {
  const killed = nodes.filter((n) => context.cluster.isRunning(n));
  await Promise.all(killed.map((n) => context.cluster.kill(n, 'SIGKILL')));
  for (const n of killed) context.paused.delete(n);
  return {
    targets: killed,
    detail,
    stop: async () => {
      await Promise.all(killed.map((n) => context.cluster.start(n)));
      return undefined;
    },
  };
}

async function pauseNode(context: NemesisContext, node: string): Promise<ActiveFault> {
  await context.cluster.kill(node, 'SIGSTOP');
  context.paused.add(node);
  return {
    targets: [node],
    detail: undefined,
    stop: async () => {
      await context.cluster.kill(node, 'SIGCONT');
      context.paused.delete(node);
      return undefined;
    },
  };
}

async function cutLinks(
  context: NemesisContext,
  links: readonly DirectedLink[],
  targets: readonly string[],
  detail: string | undefined,
): Promise<ActiveFault> {
  const network = context.network;
  if (!network) throw new JepsenError('not-supported', 'partitions need a NetworkControl');
  await network.cut(links);
  return {
    targets,
    detail: detail ?? `${links.length} directed links cut`,
    stop: async () => {
      await network.heal();
      return undefined;
    },
  };
}

function minority(context: NemesisContext, prng: Prng): string[] {
  const candidates = context.diskVictims ?? context.cluster.nodes().map((n) => n.id);
  const most = context.diskVictims?.length ?? Math.floor((candidates.length - 1) / 2);
  const count = prng.intBetween(1, Math.max(1, most));
  return prng.shuffle(candidates).slice(0, count);
}

/** A minority of the nodes, chosen from a seed: the run's disk fault victims. */
export function chooseDiskVictims(nodeIds: readonly string[], prng: Prng): string[] {
  return prng.shuffle(nodeIds).slice(0, Math.max(1, Math.floor((nodeIds.length - 1) / 2)));
}

function dataDirOf(context: NemesisContext, node: string): string {
  const found = context.cluster.nodes().find((n) => n.id === node);
  if (!found) throw new JepsenError('cluster-control', `unknown node ${node}`);
  return found.dataDir;
}

async function corruptStoppedMinority(
  kind: 'disk-truncate' | 'disk-bitflip',
  context: NemesisContext,
  prng: Prng,
): Promise<ActiveFault> {
  const targets = minority(context, prng);
  const stopped = await killNodes(context, targets, undefined);
  const effects: string[] = [];
  for (const node of targets) {
    const dataDir = dataDirOf(context, node);
    const file = pickDataFile(dataDir, prng);
    if (file === undefined) {
      effects.push(`${node}: no data file`);
      continue;
    }
    if (kind === 'disk-truncate') {
      const e = truncateAtRandom(dataDir, file, prng);
      effects.push(`${node}: ${e.file} truncated ${e.sizeBefore} -> ${e.sizeAfter}`);
    } else {
      const e = flipRandomBits(dataDir, file, prng);
      effects.push(
        `${node}: ${e.file} bits flipped at ${e.flips.map((f) => `${f.byte}.${f.bit}`).join(' ')}`,
      );
    }
  }
  return { targets, detail: effects.join('; '), stop: stopped.stop };
}

/** Records sizes now; at stop, kills the nodes, rolls their files back, and restarts them. */
async function loseUnsyncedTail(context: NemesisContext, prng: Prng): Promise<ActiveFault> {
  const targets = minority(context, prng);
  const recorded = new Map(targets.map((node) => [node, recordSizes(dataDirOf(context, node))]));
  return {
    targets,
    detail: 'sizes recorded; unsynced tail dropped at stop',
    stop: async () => {
      const stopped = await killNodes(context, targets, undefined);
      const effects = targets.map((node) => {
        const e = dropUnsyncedTail(dataDirOf(context, node), recorded.get(node)!, prng);
        return `${node}: ${e.truncated.length} truncated, ${e.removed.length} removed, ${e.emptied.length} emptied`;
      });
      await stopped.stop();
      return effects.join('; ');
    },
  };
}
