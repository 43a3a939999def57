/** The faults the nemesis can inject, and the names that select groups of them. */
export const faultKinds = [
  'kill',
  'kill-leader',
  'kill-controller',
  'kill-majority',
  'pause',
  'partition-halves',
  'partition-isolate-leader',
  'partition-bridge',
  'partition-one-way',
  'disk-truncate',
  'disk-bitflip',
  'disk-lose-unsynced',
] as const;

export type FaultKind = (typeof faultKinds)[number];

export const faultGroups: Readonly<Record<string, readonly FaultKind[]>> = {
  all: faultKinds,
  kill: ['kill', 'kill-leader', 'kill-controller', 'kill-majority'],
  pause: ['pause'],
  partition: [
    'partition-halves',
    'partition-isolate-leader',
    'partition-bridge',
    'partition-one-way',
  ],
  disk: ['disk-truncate', 'disk-bitflip', 'disk-lose-unsynced'],
};

export function needsNetwork(kind: FaultKind): boolean {
  return kind.startsWith('partition-');
}

/** Expands names (kinds or group names, e.g. `kill,partition`) into fault kinds. */
export function parseFaultKinds(names: readonly string[]): FaultKind[] {
  const kinds = new Set<FaultKind>();
  for (const name of names) {
    const group = faultGroups[name];
    if (group) for (const k of group) kinds.add(k);
    else if ((faultKinds as readonly string[]).includes(name)) kinds.add(name as FaultKind);
    else throw new RangeError(`unknown fault kind or group: ${name}`);
  }
  return [...kinds];
}
