/**
 * The shapes of network partitions, as sets of directed links to cut (after Jepsen's
 * nemesis: halves, isolating one node, bridge, and one-way).
 */
import { assert } from '../assert.ts';
import type { Prng } from '../prng.ts';
import { bothWays, type DirectedLink } from './network-control.ts';

/** Every link between the two sides, both ways. */
export function separate(sideA: readonly string[], sideB: readonly string[]): DirectedLink[] {
  return sideA.flatMap((a) => sideB.flatMap((b) => bothWays(a, b)));
}

/** A random majority and minority that cannot talk to each other. */
export function halves(
  nodes: readonly string[],
  prng: Prng,
): { links: DirectedLink[]; sides: string[][] } {
  assert(nodes.length >= 2, 'a partition needs two nodes');
  const shuffled = prng.shuffle(nodes);
  const minority = shuffled.slice(0, Math.floor(nodes.length / 2));
  const majority = shuffled.slice(minority.length);
  return { links: separate(minority, majority), sides: [majority, minority] };
}

/** One node alone. */
export function isolate(nodes: readonly string[], node: string): DirectedLink[] {
  if (!nodes.includes(node)) assert(false, `unknown node ${node}`);
  return separate(
    [node],
    nodes.filter((n) => n !== node),
  );
}

/**
 * Two halves that cannot talk, and one bridge node that talks to both: each half sees a
 * majority when the cluster has an odd size, which is what makes it treacherous.
 */
export function bridge(
  nodes: readonly string[],
  prng: Prng,
): { links: DirectedLink[]; bridgeNode: string } {
  assert(nodes.length >= 3, 'a bridge needs three nodes');
  const shuffled = prng.shuffle(nodes);
  const bridgeNode = shuffled[0]!;
  const rest = shuffled.slice(1);
  const half = Math.floor(rest.length / 2);
  return { links: separate(rest.slice(0, half), rest.slice(half)), bridgeNode };
}

/** One node's traffic cut in one direction only: it is not heard, or it hears no one. */
export function oneWay(
  nodes: readonly string[],
  node: string,
  direction: 'outbound' | 'inbound',
): DirectedLink[] {
  const others = nodes.filter((n) => n !== node);
  return others.map((other) =>
    direction === 'outbound' ? { from: node, to: other } : { from: other, to: node },
  );
}
