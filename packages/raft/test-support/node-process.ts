/**
 * A Raft node process for tests and benchmarks: a RaftWal, a PeerTransport and a RaftHost
 * hosting groups 1..N, each with a state machine that records applied entries, driven by
 * a controlling process over stdin/stdout JSON lines (control-protocol.ts). Logs are JSON
 * lines on stderr. Configuration: node-config.ts.
 *
 * It prints a `ready` event once it listens and every group is created, then serves
 * requests until stdin closes (its controller is gone), SIGTERM or a `shutdown` request,
 * each of which closes it cleanly. It may be killed with SIGKILL at any moment: that is
 * what the tests do. A storage failure of the host ends it with exit code 70 and a `fatal`
 * event.
 */
import { fstatSync } from 'node:fs';
import { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type { HostLogger } from '../src/host/raft-host.ts';
import { type ControlRequest, parseRequest } from './control-protocol.ts';
import { NodeProcessError } from './errors.ts';
import { type NodeProcessConfig, parseNodeConfig, parsePeers } from './node-config.ts';
import { RaftNode } from './raft-node.ts';

const exitCodeStorageFailed = 70;
const exitCodeBadArgument = 64;
const failureCheckIntervalMs = 100;

function stderrLogger(nodeId: number): HostLogger {
  const write = (level: string, event: string, fields: Record<string, unknown>) =>
    process.stderr.write(
      `${JSON.stringify({ t: new Date().toISOString(), level, node: nodeId, event, ...fields })}\n`,
    );
  return {
    warn: (event, fields) => write('warn', event, fields),
    error: (event, fields) => write('error', event, fields),
    debug: () => {},
  };
}

/**
 * Replies go out through a non-blocking handle on fd 1: Node writes `process.stdout` to a
 * pipe synchronously, so a controller slow to read would stall this whole node (timers,
 * Raft, disk) inside write(2). Here they queue in memory instead, bounded by what the
 * controller keeps in flight.
 */
const controlOut: NodeJS.WritableStream = isPipe(1)
  ? new Socket({ fd: 1, readable: false, writable: true })
  : process.stdout;

function isPipe(fd: number): boolean {
  try {
    return fstatSync(fd).isFIFO();
  } catch {
    return false;
  }
}

let pendingLines: string[] = [];

/**
 * Replies of one turn of the event loop go out in one write: at thousands of proposals a
 * second, a write per reply was the largest single item of the node's profile.
 */
function emit(value: unknown): void {
  pendingLines.push(JSON.stringify(value));
  if (pendingLines.length === 1) setImmediate(flushLines);
}

function flushLines(): void {
  if (pendingLines.length === 0) return;
  const text = `${pendingLines.join('\n')}\n`;
  pendingLines = [];
  controlOut.write(text);
}

/** Writes at once, after anything pending: for the last words before the process exits. */
function emitNow(value: unknown): void {
  emit(value);
  flushLines();
}

async function handle(node: RaftNode, request: ControlRequest, stop: () => void): Promise<void> {
  switch (request.op) {
    case 'status':
      return emit({ re: request.id, ok: true, status: node.status() });
    case 'propose': {
      const reply = await node.propose(request.group, request.ids, request.size);
      return emit({ re: request.id, ok: true, ...reply });
    }
    case 'set-peers': {
      const text = Object.entries(request.peers)
        .map(([id, url]) => `${id}=${url}`)
        .join(',');
      node.setPeers(parsePeers(text, node.status().nodeId));
      return emit({ re: request.id, ok: true });
    }
    case 'stats':
      return emit({ re: request.id, ok: true, stats: node.stats(request.reset) });
    case 'repair':
      await node.repair(request.group, request.votingDisabledUntilIndex);
      return emit({ re: request.id, ok: true });
    case 'transfer-leader':
      node.transferLeader(request.group, request.to);
      return emit({ re: request.id, ok: true });
    case 'shutdown':
      emitNow({ re: request.id, ok: true });
      return stop();
  }
}

function serve(node: RaftNode, config: NodeProcessConfig, logger: HostLogger): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void node.close().then(
      () => process.exit(0),
      (error) => {
        logger.error('close-failed', { error: String(error) });
        process.exit(1);
      },
    );
  };
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on('line', (line) => {
    const request = parseRequest(line);
    if ('error' in request) {
      emit({ re: request.id, ok: false, code: request.error.code, message: request.error.message });
      return;
    }
    handle(node, request, stop).catch((error: unknown) => {
      const code = error instanceof NodeProcessError ? error.code : 'FAILED';
      emit({ re: request.id, ok: false, code, message: String((error as Error).message ?? error) });
    });
  });
  lines.on('close', stop);
  process.on('SIGTERM', stop);
  setInterval(() => {
    const failure = node.failure;
    if (failure === undefined) return;
    emitNow({ ev: 'fatal', message: failure.message });
    logger.error('storage-failed', { nodeId: config.nodeId, error: failure.message });
    process.exit(exitCodeStorageFailed);
  }, failureCheckIntervalMs).unref();
}

async function main(): Promise<void> {
  let config: NodeProcessConfig;
  try {
    config = parseNodeConfig(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`node-process: ${(error as Error).message}\n`);
    process.exit(exitCodeBadArgument);
  }
  const logger = stderrLogger(config.nodeId);
  process.on('uncaughtException', (error) => {
    logger.error('uncaught-exception', { error: error.stack ?? String(error) });
    process.exit(1);
  });
  let node: RaftNode;
  try {
    node = await RaftNode.start(config, logger);
  } catch (error) {
    // Cannot listen, cannot open the WAL (e.g. ACKNOWLEDGED_MISSING): say so and stop.
    const message = (error as Error).stack ?? String(error);
    emitNow({ ev: 'fatal', message });
    logger.error('start-failed', { error: message });
    process.exit(1);
  }
  serve(node, config, logger);
  emit({
    ev: 'ready',
    nodeId: config.nodeId,
    pid: process.pid,
    peerPort: node.peerPort,
    fenced: node.fencedGroups,
    votingDisabled: node.votingDisabled,
  });
}

await main();
