/** The IPC messages between the harness and a client process. */
import type { Completion, OperationRequest } from './workload.ts';

export type ClientMessage =
  | {
      readonly type: 'invoke';
      readonly id: number;
      readonly request: OperationRequest;
      readonly timeoutMs: number;
    }
  | { readonly type: 'close' };

export type HostMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'completion'; readonly id: number; readonly completion: Completion };
