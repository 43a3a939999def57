/**
 * Asks the cluster how it is: the controller (DescribeCluster, through any broker) and,
 * separately, every broker (a metadata request through a client that knows only that
 * broker). Failures are recorded, not thrown: an unreachable broker is a finding.
 */
import type { Admin } from '@tributary/client';
import { type CallOptions, type ConnectionSettings, withAdmin } from '../connection.ts';
import { reasonOf } from '../error-report.ts';
import { OperationError } from '../errors.ts';
import type { Io } from '../io.ts';
import { brokerAddress } from './cluster-view.ts';
import type { BrokerProbe, ControllerAnswer } from './evaluate.ts';

/** The reason in a few words: a connection failure's own cause, not our advice around it. */
function failureText(error: unknown): string {
  return reasonOf(
    error instanceof OperationError && error.cause !== undefined ? error.cause : error,
  );
}

export async function askController(
  settings: ConnectionSettings,
  io: Io,
): Promise<ControllerAnswer> {
  try {
    return {
      view: await withAdmin(settings, io, (admin, options) => admin.describeCluster(options)),
    };
  } catch (error) {
    return { error: failureText(error) };
  }
}

async function leaderless(admin: Admin, options: CallOptions) {
  const { topics } = await admin.fetchTopicMetadata(options);
  const partitions = topics.flatMap((t) => t.partitions);
  return {
    partitions: partitions.length,
    leaderless: partitions.filter((p) => p.leader < 0).length,
  };
}

export async function probeBroker(
  address: string,
  settings: ConnectionSettings,
  io: Io,
): Promise<BrokerProbe> {
  try {
    const only = { ...settings, brokers: [address] };
    return { address, ...(await withAdmin(only, io, leaderless)) };
  } catch (error) {
    return { address, error: failureText(error) };
  }
}

/** Probes the bootstrap brokers while asking the controller, then any broker only it named. */
export async function probeCluster(settings: ConnectionSettings, io: Io) {
  const [answer, fromBootstrap] = await Promise.all([
    askController(settings, io),
    Promise.all(settings.brokers.map((address) => probeBroker(address, settings, io))),
  ]);
  const probed = new Set(settings.brokers);
  const others =
    'view' in answer ? answer.view.brokers.map(brokerAddress).filter((a) => !probed.has(a)) : [];
  const fromController = await Promise.all(
    others.map((address) => probeBroker(address, settings, io)),
  );
  return { answer, probes: [...fromBootstrap, ...fromController] };
}
