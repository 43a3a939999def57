/**
 * Entry point of a client process. Loads the workload's client module, then executes the
 * operations the harness sends over IPC, one at a time, each with its timeout.
 * argv[2]: JSON { module: string, config: unknown }.
 */
import { pathToFileURL } from 'node:url';
import type { ClientMessage, HostMessage } from './client-messages.ts';
import type { CreateWorkloadClient, WorkloadClient } from './workload.ts';

async function main(): Promise<void> {
  const { module, config } = JSON.parse(process.argv[2] ?? '{}') as {
    module: string;
    config: unknown;
  };
  const loaded = (await import(pathToFileURL(module).href)) as {
    createClient?: CreateWorkloadClient;
  };
  if (typeof loaded.createClient !== 'function')
    throw new Error(`${module} does not export createClient`);
  const client: WorkloadClient = await loaded.createClient({ config });
  const send = (message: HostMessage): void => {
    process.send?.(message);
  };
  process.on('message', (message: ClientMessage) => {
    if (message.type === 'close') {
      void client.close().finally(() => process.exit(0));
      return;
    }
    const signal = AbortSignal.timeout(message.timeoutMs);
    client.invoke(message.request, signal, Date.now() + message.timeoutMs).then(
      (completion) => send({ type: 'completion', id: message.id, completion }),
      (error: unknown) =>
        send({
          type: 'completion',
          id: message.id,
          completion: {
            type: 'info',
            value: message.request.value,
            error: `client threw: ${String(error)}`,
          },
        }),
    );
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
}

main().catch((error: unknown) => {
  console.error(`client host: ${String(error)}`);
  process.exit(1);
});
