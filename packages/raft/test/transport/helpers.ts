/** Helpers for transport tests: a permissive shape check, message builders, and waiting. */
import type { ExecutionContext } from 'ava';
import type { Message } from '../../src/core/types.ts';
import { MessageType } from '../../src/core/types.ts';
import { validateMessage } from '../../src/core/validate-message.ts';
import { PeerTransport, type PeerTransportOptions } from '../../src/transport/peer-transport.ts';

export const secret = 'correct horse battery staple, cluster secret';

/** The core's shape check, as the host hands it to the transport. */
export const validate = validateMessage;

export function append(
  group: number,
  from: number,
  to: number,
  index: number,
  size = 100,
): Message {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (index + i + group) & 0xff;
  return {
    type: MessageType.Append,
    group,
    from,
    to,
    term: 1,
    prevLogIndex: index - 1,
    prevLogTerm: index > 1 ? 1 : 0,
    commit: 0,
    entries: [{ index, term: 1, type: 0, data }],
  };
}

export function heartbeat(group: number, from: number, to: number): Message {
  return { type: MessageType.Heartbeat, group, from, to, term: 1, commit: 0, context: 0 };
}

export interface Received {
  readonly from: number;
  readonly message: Message;
}

export interface TestNode {
  readonly transport: PeerTransport;
  readonly received: Received[];
  readonly warnings: { event: string; fields: Record<string, unknown> }[];
  readonly url: string;
}

export async function startNode(
  t: ExecutionContext,
  nodeId: number,
  peers: Map<number, string>,
  overrides: Partial<PeerTransportOptions> = {},
): Promise<TestNode> {
  const received: Received[] = [];
  const warnings: { event: string; fields: Record<string, unknown> }[] = [];
  const transport = await PeerTransport.start({
    nodeId,
    listen: { host: '127.0.0.1', port: 0 },
    peers,
    secret,
    validate,
    onMessages: (from, messages) => {
      for (const message of messages) received.push({ from, message });
    },
    logger: { warn: (event, fields) => warnings.push({ event, fields }) },
    random: () => 0.5,
    pingIntervalMs: 1_000,
    ...overrides,
  });
  t.teardown(() => transport.close());
  return { transport, received, warnings, url: `ws://127.0.0.1:${transport.port}` };
}

/** Waits until `condition()` holds, polling; fails after a generous deadline. */
export async function eventually(
  condition: () => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
