/**
 * Test scaffolding (toy log server): entry point of one node process.
 * argv[2]: JSON ToyNodeConfig. Prints one line `{"event":"listening",...}` when it serves.
 */
import type { Server } from 'node:net';
import { join } from 'node:path';
import { startFollower } from './toy-follower.ts';
import { ToyLeader } from './toy-leader.ts';
import { PartitionFile } from './toy-partition-file.ts';

export interface ToyNodeConfig {
  readonly id: string;
  readonly role: 'leader' | 'follower';
  readonly dataDir: string;
  readonly partitions: number;
  /** 0 at first start; the same port again after a restart. */
  readonly port: number;
  readonly followers: readonly {
    readonly id: string;
    readonly host: string;
    readonly port: number;
  }[];
  readonly bug?: 'lose-tail';
}

const config = JSON.parse(process.argv[2] ?? '{}') as ToyNodeConfig;
const parts = Array.from(
  { length: config.partitions },
  (_, p) => new PartitionFile(join(config.dataDir, `p${p}.log`)),
);
const server: Server =
  config.role === 'leader'
    ? new ToyLeader({ parts, followers: config.followers, bug: config.bug }).listen()
    : startFollower(parts);
server.listen(config.port, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  console.log(JSON.stringify({ event: 'listening', port }));
});
