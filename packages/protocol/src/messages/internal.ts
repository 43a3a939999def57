/**
 * Internal APIs, spoken by brokers to the controller leader over the client listener.
 * Each carries `mac`: HMAC-SHA256 under the cluster secret of the msgpack encoding of
 * [api, nodeId, timestampMs, payload], so only nodes holding the secret can register or
 * report, and a captured request is useless after `internalRequestAgeMsMax`.
 *
 *   BrokerRegistration (api 100)
 *     request  = { nodeId, timestampMs, mac: bytes, host, port, peerUrl, incarnation }
 *     response = { error, message? }
 *   BrokerHeartbeat (api 101): liveness plus the partitions this broker leads.
 *     request  = { nodeId, timestampMs, mac: bytes, incarnation,
 *                  leaderships: [{ groupId, term }], reassignmentsDone: [{ groupId, replicas }] }
 *     response = { error, message? }
 *   AllocateProducerIds (api 102): a block of producer ids for this broker to hand out.
 *     request  = { nodeId, timestampMs, mac: bytes, count }
 *     response = { error, message?, firstId, count }
 */
import * as s from '../wire/schema.ts';
import { errorCode, errorMessage, host, nodeId, port } from './common.ts';

export const internalRequestAgeMsMax = 60_000;

const authenticated = {
  nodeId,
  timestampMs: s.int({ min: 0 }),
  mac: s.bytes({ maxBytes: 64 }),
};

export const brokerRegistrationRequest = s.object({
  ...authenticated,
  host,
  port,
  peerUrl: s.string({ minLength: 1, maxLength: 512 }),
  incarnation: s.string({ minLength: 1, maxLength: 64 }),
});
export type BrokerRegistrationRequest = s.Infer<typeof brokerRegistrationRequest>;

export const brokerHeartbeatRequest = s.object({
  ...authenticated,
  incarnation: s.string({ minLength: 1, maxLength: 64 }),
  leaderships: s.array(s.object({ groupId: s.int({ min: 1 }), term: s.int({ min: 0 }) }), {
    maxItems: 1_000_000,
  }),
  reassignmentsDone: s.array(
    s.object({ groupId: s.int({ min: 1 }), replicas: s.array(nodeId, { maxItems: 7 }) }),
    { maxItems: 100_000 },
  ),
});
export type BrokerHeartbeatRequest = s.Infer<typeof brokerHeartbeatRequest>;

export const allocateProducerIdsRequest = s.object({
  ...authenticated,
  count: s.int({ min: 1, max: 1_000_000 }),
});
export type AllocateProducerIdsRequest = s.Infer<typeof allocateProducerIdsRequest>;

export const internalResponse = s.object({ error: errorCode, message: errorMessage });
export type InternalResponse = s.Infer<typeof internalResponse>;

export const allocateProducerIdsResponse = s.object({
  error: errorCode,
  message: errorMessage,
  firstId: s.int({ min: -1 }),
  count: s.int({ min: 0 }),
});
export type AllocateProducerIdsResponse = s.Infer<typeof allocateProducerIdsResponse>;
