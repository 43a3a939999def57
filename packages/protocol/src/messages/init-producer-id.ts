/**
 * InitProducerId (api 9): a cluster-unique producer id and epoch for an idempotent
 * producer. Passing a previous id asks for the same id with a bumped epoch.
 *
 *   request  = { producerId: int (-1 for a new one), producerEpoch: int (-1) }
 *   response = { error, message?, producerId, producerEpoch }
 */
import * as s from '../wire/schema.ts';
import { errorCode, errorMessage } from './common.ts';

export const producerIdSchema = s.int({ min: -1 });
export const producerEpochSchema = s.int({ min: -1, max: 32767 });

export const initProducerIdRequest = s.object({
  producerId: producerIdSchema,
  producerEpoch: producerEpochSchema,
});
export type InitProducerIdRequest = s.Infer<typeof initProducerIdRequest>;

export const initProducerIdResponse = s.object({
  error: errorCode,
  message: errorMessage,
  producerId: producerIdSchema,
  producerEpoch: producerEpochSchema,
});
export type InitProducerIdResponse = s.Infer<typeof initProducerIdResponse>;
