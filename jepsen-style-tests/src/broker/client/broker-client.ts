/**
 * The workload client module for the real cluster, loaded into each client process by the
 * harness (`createClient`). It drives `@tributary/client` — producer, consumers, admin — and
 * maps each operation's outcome onto ok / fail (certainly no effect) / info (unknown).
 */
import { type Admin, Client, type ClientOptions, silentLogger } from '@tributary/client';
import { JepsenError } from '../../errors.ts';
import type {
  Completion,
  CreateWorkloadClient,
  OperationRequest,
  WorkloadClient,
} from '../../runner/workload.ts';
import { GroupMember } from './group-member.ts';
import { answerMarginMs } from './limits.ts';
import { LogReader } from './log-reader.ts';
import { type OperationCall, operationCall, readFailed } from './outcomes.ts';
import { readBack } from './read-back.ts';
import { SendOperation } from './send-operation.ts';
import { TopicOperations } from './topic-operations.ts';

/** What the harness hands each client process (`BrokerCluster.clientConfig()`). */
export interface BrokerClientConfig {
  readonly brokers: readonly string[];
  /** Node name (`n1`...) → its client address `host:port`. */
  readonly addresses: Readonly<Record<string, string>>;
  /** Broker node id → node name. */
  readonly nodeNames: Readonly<Record<number, string>>;
  readonly replicationFactor: number;
  /** Client library log level (default: silent). */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

class BrokerWorkloadClient implements WorkloadClient {
  private readonly client: Client;
  private readonly sender: SendOperation;
  private readonly readers = new Map<string, LogReader>();
  private readonly member: GroupMember;
  private readonly topics: TopicOperations;
  private admin: Admin | undefined;

  constructor(config: BrokerClientConfig) {
    const options: ClientOptions = {
      clientId: `jepsen-${process.pid}`,
      brokers: config.brokers,
      requestTimeoutMs: 5000,
      connectTimeoutMs: 3000,
      retry: { backoffMsInitial: 50, backoffMsMax: 500 },
      ...(config.logLevel ? { logLevel: config.logLevel } : { logger: silentLogger }),
    };
    this.client = new Client(options);
    this.sender = new SendOperation(this.client);
    this.member = new GroupMember(options);
    this.topics = new TopicOperations({
      client: options,
      addresses: config.addresses,
      nodeNames: config.nodeNames,
      replicationFactor: config.replicationFactor,
    });
  }

  async invoke(
    request: OperationRequest,
    signal: AbortSignal,
    deadline: number,
  ): Promise<Completion> {
    const call = operationCall(signal, deadline, answerMarginMs);
    switch (request.f) {
      case 'send':
        return this.sender.send(request.value, call);
      case 'poll':
        if (request.value.group !== undefined) return this.member.poll(request.value, call);
        if (request.value.topic === undefined)
          return readFailed(request.value, 'poll needs a topic');
        return this.reader(request.value.topic).poll(request.value, call);
      case 'join':
        return this.member.join(request.value, call);
      case 'leave':
      case 'crash':
        return this.member.stop(request.f, request.value, call);
      case 'commit':
        return this.member.commit(request.value, call);
      default:
        return this.withAdmin(request, call, deadline);
    }
  }

  private async withAdmin(
    request: OperationRequest,
    call: OperationCall,
    deadline: number,
  ): Promise<Completion> {
    let admin: Admin;
    try {
      admin = await this.connectedAdmin(call);
    } catch (error) {
      return { type: 'fail', value: request.value, error: `admin not connected: ${String(error)}` };
    }
    switch (request.f) {
      case 'read-back':
        return readBack(this.client, admin, request.value, call);
      case 'create-topic':
        return this.topics.create(admin, request.value, call);
      case 'delete-topic':
        return this.topics.delete(admin, request.value, call);
      case 'fetch-offset':
        return this.topics.fetchOffset(admin, request.value, call);
      case 'describe-topics':
        return this.topics.describe(admin, request.value, call, deadline);
      default:
        return { type: 'fail', value: request.value, error: `unsupported operation ${request.f}` };
    }
  }

  private reader(topic: string): LogReader {
    let reader = this.readers.get(topic);
    if (reader === undefined) {
      reader = new LogReader(this.client, topic);
      this.readers.set(topic, reader);
    }
    return reader;
  }

  private async connectedAdmin(call: OperationCall): Promise<Admin> {
    if (this.admin === undefined) {
      const admin = this.client.admin();
      await admin.connect(call);
      this.admin = admin;
    }
    return this.admin;
  }

  async close(): Promise<void> {
    await Promise.all([
      this.sender.close(),
      this.member.close(),
      ...[...this.readers.values()].map((r) => r.close()),
      this.admin?.disconnect().catch(() => {}),
    ]);
  }
}

function parseConfig(config: unknown): BrokerClientConfig {
  const c = config as Partial<BrokerClientConfig> | undefined;
  if (
    !Array.isArray(c?.brokers) ||
    c.brokers.length === 0 ||
    typeof c.addresses !== 'object' ||
    typeof c.nodeNames !== 'object' ||
    !Number.isSafeInteger(c.replicationFactor)
  ) {
    throw new JepsenError(
      'options-invalid',
      `not a broker client config: ${JSON.stringify(config)}`,
    );
  }
  return c as BrokerClientConfig;
}

export const createClient: CreateWorkloadClient = async ({ config }) =>
  new BrokerWorkloadClient(parseConfig(config));
