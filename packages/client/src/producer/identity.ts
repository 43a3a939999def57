/**
 * The idempotent producer's identity: a cluster-unique producer id and its epoch, from
 * InitProducerId. A partition whose sequences must restart asks for a new epoch (`bump`):
 * the same id with the epoch raised, or a fresh id when the epoch is exhausted. Concurrent
 * bumps share one request.
 */
import { Api, ErrorCode } from '@tributary/protocol';
import type { CallScope } from '../abort.ts';
import { protocolError } from '../errors.ts';
import type { Cluster } from '../net/cluster.ts';
import type { ProducerIdentity } from './sequence.ts';

const producerEpochMax = 32_767;

export class IdentityManager {
  private current: ProducerIdentity | undefined;
  private bumping: Promise<ProducerIdentity> | undefined;

  constructor(private readonly cluster: Cluster) {}

  get identity(): ProducerIdentity | undefined {
    return this.current;
  }

  async init(scope: CallScope): Promise<ProducerIdentity> {
    this.current = await this.request({ producerId: -1, producerEpoch: -1 }, scope);
    return this.current;
  }

  /** A newer epoch than any handed out so far (shared by concurrent callers). */
  bump(scope: CallScope): Promise<ProducerIdentity> {
    if (this.bumping === undefined) {
      const from = this.current;
      const ask =
        from === undefined || from.producerEpoch >= producerEpochMax
          ? { producerId: -1, producerEpoch: -1 }
          : { producerId: from.producerId, producerEpoch: from.producerEpoch };
      this.bumping = this.request(ask, scope)
        .then((identity) => {
          this.current = identity;
          return identity;
        })
        .finally(() => {
          this.bumping = undefined;
        });
    }
    return this.bumping;
  }

  private async request(ask: ProducerIdentity, scope: CallScope): Promise<ProducerIdentity> {
    return this.cluster.retry(scope, async () => {
      const response = await this.cluster.requestAny(Api.InitProducerId, ask, scope);
      if (response.error !== ErrorCode.None.code) {
        throw protocolError(response.error, response.message ?? 'InitProducerId');
      }
      return { producerId: response.producerId, producerEpoch: response.producerEpoch };
    });
  }
}
