/**
 * How distributed workers share tasks: the task-slots topic has one partition per slot,
 * and the workers form one consumer group on it, so the group coordinator hands each slot
 * to exactly one live worker, and moves a dead worker's slots to the others after its
 * session times out (cooperatively: slots that stay put keep running). A task lives in a
 * fixed slot computed from its connector's name and its index, the same on every worker,
 * so the worker owning the slot runs the task. Nothing is ever written to the topic.
 */
export function slotOf(connector: string, taskIndex: number, slots: number): number {
  return (fnv1a32(connector) + taskIndex) % slots;
}

/** FNV-1a, 32 bits: a stable, well-spread hash of a connector name. */
function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
