/**
 * `--until-end`: the consumer is done when it has an assignment and every assigned
 * partition's position (the next offset it would print) has reached the log end that
 * partition had when consuming started. A position still unknown (-1) is not done.
 */
export interface AssignedPosition {
  readonly partition: number;
  readonly position: bigint;
}

export function reachedEnd(
  assigned: readonly AssignedPosition[],
  ends: ReadonlyMap<number, bigint>,
): boolean {
  return assigned.every(({ partition, position }) => {
    const end = ends.get(partition);
    if (end === undefined) return false;
    return position >= 0n && position >= end;
  });
}
