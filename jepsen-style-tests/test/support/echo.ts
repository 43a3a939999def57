/** An echo server and a client that keep what they received, for network tests. */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';

export interface EchoServer {
  readonly port: number;
  /** Everything any connection sent to the server, in arrival order. */
  received(): string;
  close(): Promise<void>;
}

export async function startEchoServer(): Promise<EchoServer> {
  let received = '';
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk) => {
      received += chunk.toString();
      socket.write(chunk);
    });
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return {
    port: address.port,
    received: () => received,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface TestClient {
  readonly socket: Socket;
  received(): string;
  closed(): boolean;
  error(): string | undefined;
}

export async function connectClient(port: number): Promise<TestClient> {
  const socket = tcpConnect({ host: '127.0.0.1', port });
  let received = '';
  let closed = false;
  let error: string | undefined;
  socket.on('data', (chunk) => {
    received += chunk.toString();
  });
  socket.on('error', (e: NodeJS.ErrnoException) => {
    error = e.code ?? e.message;
  });
  socket.on('close', () => {
    closed = true;
  });
  await new Promise<void>((resolve) => {
    socket.once('connect', resolve);
    socket.once('close', resolve);
  });
  return { socket, received: () => received, closed: () => closed, error: () => error };
}
