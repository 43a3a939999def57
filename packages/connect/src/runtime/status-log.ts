/**
 * Distributed mode's task statuses: each worker writes the status of the tasks it runs to
 * the compacted status topic, and every worker follows it, so any worker's REST API can
 * say where each task runs and in what state.
 *
 *   key   = "<connector>/<task>"
 *   value = JSON TaskStatus   (null: forgotten, when a connector is deleted)
 */
import type { Admin, Client, Producer } from '@tributary/client';
import { isPlainObject } from '../config/config-reader.ts';
import { CompactedTable, type TableCodec } from './compacted-table.ts';
import type { Logger } from './logger.ts';
import type { TaskStatus } from './task-handle.ts';

const statusCodec: TableCodec<TaskStatus> = {
  what: 'the status topic',
  encode: (status) => JSON.stringify(status),
  decode: (text) => {
    try {
      const status: unknown = JSON.parse(text);
      if (isPlainObject(status) && typeof status.state === 'string')
        return status as unknown as TaskStatus;
    } catch {}
    return undefined;
  },
};

export class StatusLog extends CompactedTable<TaskStatus> {
  constructor(client: Client, admin: Admin, producer: Producer, topic: string, log: Logger) {
    super(client, admin, producer, topic, statusCodec, log);
  }

  status(connector: string, task: number): TaskStatus | undefined {
    return this.get(`${connector}/${task}`);
  }

  /** Best effort and in order (one producer, one partition); a failure is only logged. */
  report(status: TaskStatus): void {
    this.writeInBackground(`${status.connector}/${status.task}`, status);
  }

  forget(connector: string): void {
    for (const key of this.all().keys())
      if (key.startsWith(`${connector}/`)) this.writeInBackground(key, null);
  }
}
