/** Test scaffolding (toy log server): newline-delimited JSON framing over a TCP socket. */
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';

export type ToyMessage = Record<string, unknown>;

/** Calls `handle` per message; a line that is not a JSON object breaks the stream: it is closed. */
export function onMessages(socket: Socket, handle: (message: ToyMessage) => void): void {
  socket.on('error', () => {});
  const lines = createInterface({ input: socket, crlfDelay: Infinity });
  lines.on('error', () => {}); // readline re-emits socket errors; the socket's close handles them
  lines.on('line', (line) => {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      socket.destroy();
      return;
    }
    if (typeof message !== 'object' || message === null) {
      socket.destroy();
      return;
    }
    handle(message as ToyMessage);
  });
}

export function sendMessage(socket: Socket, message: ToyMessage): void {
  if (!socket.destroyed && socket.writable) socket.write(`${JSON.stringify(message)}\n`);
}
