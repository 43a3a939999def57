/**
 * Starts a whole worker from its configuration: the cluster connection, the herder of its
 * mode, the REST API, and the connectors listed in the configuration.
 */

import { PluginRegistry } from '../config/plugin-registry.ts';
import { internalTopics, type WorkerConfig } from '../config/worker-config.ts';
import type { ConnectorPlugin } from '../connector.ts';
import { builtinPlugins } from '../connectors/builtin.ts';
import { ConnectorExistsError } from '../errors.ts';
import { RestServer } from '../rest/rest-server.ts';
import { DistributedHerder } from './distributed-herder.ts';
import type { Herder } from './herder.ts';
import { createLogger, type Logger } from './logger.ts';
import { StandaloneHerder } from './standalone-herder.ts';
import { Worker } from './worker.ts';

export interface ConnectWorker {
  readonly herder: Herder;
  readonly restUrl: string;
  readonly workerId: string;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Connector classes beyond the built-in ones. */
  readonly plugins?: readonly ConnectorPlugin[];
  readonly log?: Logger;
  readonly signal?: AbortSignal;
}

export async function startConnectWorker(
  config: WorkerConfig,
  options: StartOptions = {},
): Promise<ConnectWorker> {
  const plugins = new PluginRegistry([...builtinPlugins, ...(options.plugins ?? [])]);
  const log = options.log ?? createLogger(config.logLevel);
  // The REST port is known only once listening, and it names the worker by default.
  let herder: Herder | undefined;
  const rest = await RestServer.listen(() => herder, {
    host: config.restHost,
    port: config.restPort,
    log,
  });
  try {
    const workerId = config.workerId ?? `${config.restHost}:${rest.port}`;
    const topics = internalTopics(config.topicPrefix);
    const worker = await Worker.connect(
      {
        brokers: config.brokers,
        clientId: config.clientId,
        workerId,
        offsetsTopic: topics.offsets,
        offsetsTopicPartitions: config.offsetsTopicPartitions,
        log: log.child({ worker: workerId }),
      },
      options.signal,
    );
    herder =
      config.mode === 'standalone'
        ? new StandaloneHerder(worker, plugins)
        : await DistributedHerder.start(worker, plugins, {
            topics,
            taskSlots: config.taskSlots,
            sessionTimeoutMs: config.sessionTimeoutMs,
            log,
          });
    await createListed(herder, config.connectors);
    const started = herder;
    log.info('worker started', { workerId, mode: config.mode, rest: rest.url });
    return {
      herder: started,
      restUrl: rest.url,
      workerId,
      async close() {
        await rest.close();
        await started.close();
      },
    };
  } catch (error) {
    await rest.close();
    await herder?.close().catch(() => {});
    throw error;
  }
}

/** Connectors from the configuration file; in distributed mode one that exists is left as it is. */
async function createListed(herder: Herder, connectors: readonly unknown[]): Promise<void> {
  for (const raw of connectors) {
    try {
      await herder.create(raw);
    } catch (error) {
      if (!(error instanceof ConnectorExistsError && herder.mode === 'distributed')) throw error;
    }
  }
}
