/**
 * A client slot runs operations through one client process and records them. After an
 * indeterminate outcome the slot continues under a new process id (Jepsen's rule: a process
 * with an operation in limbo is never reused); a client process that hung or died is replaced.
 */
import { JepsenError } from '../errors.ts';
import type { CompletionType, OperationInput } from '../history/operation.ts';
import type { HistoryRecorder } from '../history/recorder.ts';
import { ClientProcess } from './client-process.ts';
import type { Completion, OperationRequest } from './workload.ts';

export interface SlotContext {
  readonly module: string;
  readonly config: unknown;
  readonly recorder: HistoryRecorder;
  readonly nowMs: () => number;
  readonly operationTimeoutMs: number;
  readonly nextProcessId: () => number;
}

export class ClientSlot {
  processId: number;

  private constructor(
    private readonly context: SlotContext,
    private client: ClientProcess,
  ) {
    this.processId = context.nextProcessId();
  }

  static async start(context: SlotContext): Promise<ClientSlot> {
    return new ClientSlot(context, await ClientProcess.start(context.module, context.config));
  }

  async execute(request: OperationRequest): Promise<CompletionType> {
    const { recorder, nowMs, operationTimeoutMs } = this.context;
    const process = this.processId;
    recorder.record({ ...request, process, type: 'invoke', timeMs: nowMs() } as OperationInput);
    const completion = await this.client.invoke(request, operationTimeoutMs);
    if (completion === undefined) {
      this.recordInfo(request, 'client process hung or died');
      await this.replaceClient();
      return 'info';
    }
    try {
      recorder.record(completionInput(process, request, completion, nowMs()));
    } catch (cause) {
      if (!(cause instanceof JepsenError)) throw cause;
      this.recordInfo(request, `malformed completion: ${cause.message}`);
      return 'info';
    }
    this.recordObserved(completion.observed ?? []);
    if (completion.type === 'info') this.processId = this.context.nextProcessId();
    return completion.type;
  }

  /**
   * What the client learned on its own: an instantaneous invoke/ok pair each. The invoke and
   * the ok carry the same value, so a malformed fact fails on the invoke, before anything of
   * it is written, and is dropped.
   */
  private recordObserved(observed: readonly OperationRequest[]): void {
    const { recorder, nowMs } = this.context;
    for (const fact of observed) {
      const base = { ...fact, process: this.processId, timeMs: nowMs() };
      try {
        recorder.record({ ...base, type: 'invoke' } as OperationInput);
      } catch (cause) {
        if (!(cause instanceof JepsenError)) throw cause;
        continue;
      }
      recorder.record({ ...base, type: 'ok' } as OperationInput);
    }
  }

  private recordInfo(request: OperationRequest, error: string): void {
    const { recorder, nowMs } = this.context;
    recorder.record({
      ...request,
      process: this.processId,
      type: 'info',
      timeMs: nowMs(),
      error,
    } as OperationInput);
    this.processId = this.context.nextProcessId();
  }

  private async replaceClient(): Promise<void> {
    this.client.kill();
    this.client = await ClientProcess.start(this.context.module, this.context.config);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

function completionInput(
  process: number,
  request: OperationRequest,
  completion: Completion,
  timeMs: number,
): OperationInput {
  return {
    f: request.f,
    process,
    type: completion.type,
    timeMs,
    value: completion.value,
    ...(completion.node !== undefined ? { node: completion.node } : {}),
    ...(completion.error !== undefined ? { error: completion.error } : {}),
  } as OperationInput;
}
