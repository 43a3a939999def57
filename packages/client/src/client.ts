/**
 * The entry point, shaped like KafkaJS's `Kafka` class: `new Client({ clientId, brokers })`,
 * then `producer()`, `consumer({ groupId })` and `admin()`. Each of those keeps its own
 * connections (one per broker), as in KafkaJS; instrumentation events of all of them reach
 * the listeners registered with `client.on`.
 */

import { Admin } from './admin/admin.ts';
import { Consumer, type ConsumerOptions } from './consumer/consumer.ts';
import { InvalidArgumentError } from './errors.ts';
import { type ClientEvents, Emitter, type Listener } from './instrumentation.ts';
import {
  connectTimeoutMsDefault,
  inflightRequestsMaxDefault,
  metadataMaxAgeMsDefault,
  requestTimeoutMsDefault,
} from './limits.ts';
import { consoleLogger, type Logger, type LogLevel } from './logger.ts';
import { Cluster } from './net/cluster.ts';
import { Producer, type ProducerOptions } from './producer/producer.ts';
import { defaultRetryPolicy, type RetryPolicy } from './retry.ts';

export interface ClientOptions {
  /** Names this application to the brokers (and in group member ids). */
  readonly clientId?: string;
  /** Bootstrap addresses, `host:port`; any one reachable broker is enough. */
  readonly brokers: readonly string[];
  readonly connectTimeoutMs?: number;
  /** Default bound on one request's round trip (default 30 s). */
  readonly requestTimeoutMs?: number;
  /** Requests pipelined on one connection before more wait (default 64). */
  readonly inflightRequestsMax?: number;
  /** Metadata older than this is refreshed (default 5 min); errors refresh it sooner. */
  readonly metadataMaxAgeMs?: number;
  /** How long a topic missing from metadata is waited for (default 5 s). */
  readonly unknownTopicWaitMs?: number;
  readonly retry?: Partial<RetryPolicy>;
  /** Replaces the console logger. */
  readonly logger?: Logger;
  /** Level of the default console logger (default `warn`). */
  readonly logLevel?: LogLevel;
}

export class Client {
  readonly clientId: string;
  readonly logger: Logger;
  private readonly options: ClientOptions;
  private readonly emitter: Emitter<ClientEvents>;

  constructor(options: ClientOptions) {
    if (options === undefined || !Array.isArray(options.brokers) || options.brokers.length === 0) {
      throw new InvalidArgumentError('new Client({ brokers: ["host:port", ...] }) needs brokers');
    }
    this.options = options;
    this.clientId = options.clientId ?? 'tributary-client';
    this.logger = options.logger ?? consoleLogger(options.logLevel ?? 'warn');
    this.emitter = new Emitter<ClientEvents>(this.logger);
  }

  /** Instrumentation: `request`, `connect`, `disconnect`, `rebalance`, `commit`, `error`. */
  on<K extends keyof ClientEvents>(event: K, listener: Listener<ClientEvents[K]>): () => void {
    return this.emitter.on(event, listener);
  }

  producer(options: ProducerOptions = {}): Producer {
    return new Producer(this.cluster(), options, this.logger, this.emitter);
  }

  consumer(options: ConsumerOptions = {}): Consumer {
    return new Consumer(this.cluster(), options, this.logger, this.emitter);
  }

  admin(): Admin {
    return new Admin(this.cluster());
  }

  /** A Cluster with this client's settings (for the consumer, admin and tools). */
  cluster(): Cluster {
    const o = this.options;
    return new Cluster({
      clientId: this.clientId,
      brokers: o.brokers,
      connectTimeoutMs: o.connectTimeoutMs ?? connectTimeoutMsDefault,
      requestTimeoutMs: o.requestTimeoutMs ?? requestTimeoutMsDefault,
      inflightRequestsMax: o.inflightRequestsMax ?? inflightRequestsMaxDefault,
      metadataMaxAgeMs: o.metadataMaxAgeMs ?? metadataMaxAgeMsDefault,
      unknownTopicWaitMs: o.unknownTopicWaitMs ?? 5_000,
      retry: { ...defaultRetryPolicy, ...o.retry },
      logger: this.logger,
      emitter: this.emitter,
    });
  }

  get events(): Emitter<ClientEvents> {
    return this.emitter;
  }
}
