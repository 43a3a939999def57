/**
 * Membership changes: what a host may ask for, how it travels in a Config entry, and the
 * pure function from (configuration, change) to the next configuration.
 *
 * A change that alters the voter set by at most one node is applied directly (the
 * single-server rule: any majority of the old set and any majority of the new one
 * intersect). A change that alters it by more goes through a joint configuration, where
 * both the incoming and the outgoing voter set must agree, and the leader then proposes
 * the entry that leaves it. New voters must first be learners (catch up, then promote);
 * demoting a voter straight to a learner is not supported (remove it, then add it back).
 *
 * Entry payload grammar (big-endian):
 *   version:u8 (=1) kind:u8 (0 = change, 1 = leave joint) count:u16
 *   count × ( type:u8 node:u32(high) node:u32(low) )
 */
import type { ConfigState, NodeId } from './types.ts';

export const ConfigChangeType = {
  /** Promote a learner to voter. */
  AddVoter: 0,
  AddLearner: 1,
  /** Remove a voter or a learner. */
  RemoveNode: 2,
} as const;
export type ConfigChangeType = (typeof ConfigChangeType)[keyof typeof ConfigChangeType];

export interface ConfigChangeStep {
  readonly type: ConfigChangeType;
  readonly node: NodeId;
}

export interface ConfigChange {
  readonly steps: readonly ConfigChangeStep[];
}

export type ConfigEntryPayload =
  | { readonly kind: 'change'; readonly steps: readonly ConfigChangeStep[] }
  | { readonly kind: 'leave-joint' };

const payloadVersion = 1;
const headerBytes = 4;
const stepBytes = 9;
export const configChangeStepsMax = 64;

export function encodeConfigEntry(payload: ConfigEntryPayload): Uint8Array {
  const steps = payload.kind === 'change' ? payload.steps : [];
  const bytes = new Uint8Array(headerBytes + steps.length * stepBytes);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, payloadVersion);
  view.setUint8(1, payload.kind === 'change' ? 0 : 1);
  view.setUint16(2, steps.length);
  steps.forEach((step, i) => {
    const at = headerBytes + i * stepBytes;
    view.setUint8(at, step.type);
    view.setUint32(at + 1, Math.floor(step.node / 2 ** 32));
    view.setUint32(at + 5, step.node % 2 ** 32);
  });
  return bytes;
}

/** Decodes a Config entry's payload, or undefined if the bytes are not one. */
export function decodeConfigEntry(data: Uint8Array): ConfigEntryPayload | undefined {
  if (data.byteLength < headerBytes) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (view.getUint8(0) !== payloadVersion) return undefined;
  const kind = view.getUint8(1);
  const count = view.getUint16(2);
  if (data.byteLength !== headerBytes + count * stepBytes) return undefined;
  if (kind === 1) return count === 0 ? { kind: 'leave-joint' } : undefined;
  if (kind !== 0 || count === 0 || count > configChangeStepsMax) return undefined;
  const steps: ConfigChangeStep[] = [];
  for (let i = 0; i < count; i++) {
    const at = headerBytes + i * stepBytes;
    const type = view.getUint8(at);
    const node = view.getUint32(at + 1) * 2 ** 32 + view.getUint32(at + 5);
    if (type > ConfigChangeType.RemoveNode) return undefined;
    if (!Number.isSafeInteger(node) || node < 1) return undefined;
    steps.push({ type: type as ConfigChangeType, node });
  }
  return { kind: 'change', steps };
}

export type ConfigChangeOutcome =
  | { readonly ok: true; readonly config: ConfigState }
  | { readonly ok: false; readonly reason: string };

export function isJoint(config: ConfigState): boolean {
  return config.outgoingVoters.length > 0;
}

export function isVoter(config: ConfigState, node: NodeId): boolean {
  return config.voters.includes(node) || config.outgoingVoters.includes(node);
}

export function isMember(config: ConfigState, node: NodeId): boolean {
  return isVoter(config, node) || config.learners.includes(node);
}

/** Every node the configuration replicates to: voters (both sets) and learners, sorted. */
export function members(config: ConfigState): NodeId[] {
  const all = new Set<NodeId>([...config.voters, ...config.outgoingVoters, ...config.learners]);
  return [...all].sort((a, b) => a - b);
}

/** Voters of both sets, sorted, without duplicates. */
export function allVoters(config: ConfigState): NodeId[] {
  const all = new Set<NodeId>([...config.voters, ...config.outgoingVoters]);
  return [...all].sort((a, b) => a - b);
}

function applyStep(voters: Set<NodeId>, learners: Set<NodeId>, step: ConfigChangeStep): string {
  const { node } = step;
  switch (step.type) {
    case ConfigChangeType.AddVoter:
      if (voters.has(node)) return `node ${node} is already a voter`;
      if (!learners.has(node)) return `node ${node} must be a learner before it becomes a voter`;
      learners.delete(node);
      voters.add(node);
      return '';
    case ConfigChangeType.AddLearner:
      if (voters.has(node)) return `node ${node} is a voter (demotion is not supported)`;
      if (learners.has(node)) return `node ${node} is already a learner`;
      learners.add(node);
      return '';
    case ConfigChangeType.RemoveNode:
      if (!voters.delete(node) && !learners.delete(node)) return `node ${node} is not a member`;
      return '';
    default:
      return `unknown change type ${String(step.type)}`;
  }
}

function sorted(set: Set<NodeId>): NodeId[] {
  return [...set].sort((a, b) => a - b);
}

/** The configuration after `steps`, simple or joint, or why the change is invalid. */
export function applyConfigChange(
  config: ConfigState,
  steps: readonly ConfigChangeStep[],
): ConfigChangeOutcome {
  if (isJoint(config)) return { ok: false, reason: 'the configuration is joint; leave it first' };
  if (steps.length === 0) return { ok: false, reason: 'no changes' };
  if (steps.length > configChangeStepsMax) return { ok: false, reason: 'too many changes' };
  const voters = new Set(config.voters);
  const learners = new Set(config.learners);
  for (const step of steps) {
    if (!Number.isSafeInteger(step.node) || step.node < 1) {
      return { ok: false, reason: `invalid node id ${step.node}` };
    }
    const problem = applyStep(voters, learners, step);
    if (problem !== '') return { ok: false, reason: problem };
  }
  if (voters.size === 0) return { ok: false, reason: 'the change would remove every voter' };
  const changed = countDifferences(config.voters, voters);
  if (changed <= 1) {
    return {
      ok: true,
      config: { voters: sorted(voters), outgoingVoters: [], learners: sorted(learners) },
    };
  }
  for (const learner of learners) {
    if (config.voters.includes(learner)) {
      return { ok: false, reason: `node ${learner} would be demoted (not supported)` };
    }
  }
  return {
    ok: true,
    config: {
      voters: sorted(voters),
      outgoingVoters: [...config.voters],
      learners: sorted(learners),
    },
  };
}

/** The configuration after leaving a joint one: the incoming voters alone. */
export function leaveJoint(config: ConfigState): ConfigChangeOutcome {
  if (!isJoint(config)) return { ok: false, reason: 'the configuration is not joint' };
  return {
    ok: true,
    config: { voters: [...config.voters], outgoingVoters: [], learners: [...config.learners] },
  };
}

function countDifferences(before: readonly NodeId[], after: ReadonlySet<NodeId>): number {
  let count = 0;
  for (const node of before) if (!after.has(node)) count++;
  for (const node of after) if (!before.includes(node)) count++;
  return count;
}

export function configsEqual(a: ConfigState, b: ConfigState): boolean {
  return (
    sameList(a.voters, b.voters) &&
    sameList(a.outgoingVoters, b.outgoingVoters) &&
    sameList(a.learners, b.learners)
  );
}

function sameList(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function describeConfig(config: ConfigState): string {
  const joint = isJoint(config) ? ` outgoing=[${config.outgoingVoters.join(',')}]` : '';
  return `voters=[${config.voters.join(',')}]${joint} learners=[${config.learners.join(',')}]`;
}
