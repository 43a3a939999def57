/** Test scaffolding (toy log server): a follower appends what the leader sends, durably. */
import { createServer, type Server } from 'node:net';
import { onMessages, sendMessage } from './toy-lines.ts';
import type { PartitionFile } from './toy-partition-file.ts';

export function startFollower(parts: readonly PartitionFile[]): Server {
  return createServer((socket) => {
    onMessages(socket, (message) => {
      if (message.type === 'hello') {
        sendMessage(socket, { type: 'state', lengths: parts.map((p) => p.length) });
        return;
      }
      if (message.type !== 'append') return;
      const part = parts[Number(message.partition)];
      const from = Number(message.from);
      const values = message.values;
      if (!part || !Number.isSafeInteger(from) || !Array.isArray(values)) {
        socket.destroy();
        return;
      }
      // The leader's log extends ours (static leader): take what we lack, ack our length.
      if (from <= part.length) {
        part.push(values.slice(part.length - from));
        part.flush();
      }
      sendMessage(socket, {
        type: 'ack',
        partition: Number(message.partition),
        length: part.length,
      });
    });
  });
}
