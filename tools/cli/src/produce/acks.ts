/** `--acks`: how many replicas must have a record before it counts as sent. */
import type { ProducerOptions } from '@tributary/client';
import { UsageError } from '../errors.ts';

export type Acks = NonNullable<ProducerOptions['acks']>;

export const acksChoices = '0|leader|quorum|all';

export function parseAcks(text: string): Acks {
  switch (text) {
    case '0':
      return 0;
    case 'leader':
    case 'quorum':
    case 'all':
      return text;
    default:
      throw new UsageError(`--acks must be one of ${acksChoices}, got '${text}'`, 'topic produce');
  }
}

/** Idempotence needs the broker to answer (acks quorum or all) to keep sequence numbers. */
export function idempotentFor(acks: Acks): boolean {
  return acks === 'quorum' || acks === 'all';
}
