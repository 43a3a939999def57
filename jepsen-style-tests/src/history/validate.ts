/**
 * Checks that an untrusted object (a parsed history line) has the shape of an Operation.
 * Histories are input: a malformed one is a typed error, never a crash or a silent guess.
 */
import { JepsenError } from '../errors.ts';
import { type Operation, type OperationF, operationFs } from './operation.ts';

type Json = Record<string, unknown>;

const operationTypes = new Set(['invoke', 'ok', 'fail', 'info']);
const fs = new Set<string>(operationFs);

export function validateOperation(input: unknown, where: string): Operation {
  const op = object(input, where);
  const index = offsetLike(op.index, `${where}.index`);
  const process = op.process;
  if (process !== 'nemesis' && !(Number.isSafeInteger(process) && (process as number) >= 0)) {
    throw malformed(`${where}.process must be a non-negative integer or "nemesis"`);
  }
  if (typeof op.type !== 'string' || !operationTypes.has(op.type)) {
    throw malformed(`${where}.type must be invoke, ok, fail or info`);
  }
  if (typeof op.f !== 'string' || !fs.has(op.f)) throw malformed(`${where}.f is unknown: ${op.f}`);
  if (typeof op.timeMs !== 'number' || !Number.isFinite(op.timeMs) || op.timeMs < 0) {
    throw malformed(`${where}.timeMs must be a non-negative number`);
  }
  optionalString(op.node, `${where}.node`);
  optionalString(op.error, `${where}.error`);
  validateValue(op.f as OperationF, op.value, `${where}.value`);
  if (index !== op.index) throw malformed(`${where}.index`);
  return op as unknown as Operation;
}

function validateValue(f: OperationF, input: unknown, where: string): void {
  const value = object(input, where);
  switch (f) {
    case 'send':
      string(value.topic, `${where}.topic`);
      optionalOffset(value.partition, `${where}.partition`);
      recordValue(value.value, `${where}.value`);
      optionalOffset(value.offset, `${where}.offset`);
      if (value.pipelined !== undefined) {
        array(value.pipelined, `${where}.pipelined`).forEach((v, i) => {
          recordValue(v, `${where}.pipelined[${i}]`);
        });
      }
      if (value.pipelinedOffsets !== undefined) {
        array(value.pipelinedOffsets, `${where}.pipelinedOffsets`).forEach((o, i) => {
          offsetLike(o, `${where}.pipelinedOffsets[${i}]`);
        });
      }
      return;
    case 'poll':
      optionalString(value.topic, `${where}.topic`);
      optionalString(value.group, `${where}.group`);
      optionalString(value.member, `${where}.member`);
      if (value.records !== undefined) {
        array(value.records, `${where}.records`).forEach((r, i) => {
          polledRecord(r, `${where}.records[${i}]`);
        });
      }
      return;
    case 'read-back':
      topicPartition(value, where);
      optionalOffset(value.offsetFirst, `${where}.offsetFirst`);
      if (value.complete !== undefined && typeof value.complete !== 'boolean') {
        throw malformed(`${where}.complete must be a boolean`);
      }
      if (value.records !== undefined) {
        array(value.records, `${where}.records`).forEach((r, i) => {
          const record = object(r, `${where}.records[${i}]`);
          offsetLike(record.offset, `${where}.records[${i}].offset`);
          recordValue(record.value, `${where}.records[${i}].value`);
        });
      }
      return;
    case 'commit':
    case 'fetch-offset':
      topicPartition(value, where);
      string(value.group, `${where}.group`);
      optionalOffset(value.offset, `${where}.offset`);
      optionalString(value.member, `${where}.member`);
      optionalOffset(value.generation, `${where}.generation`);
      return;
    case 'assign':
      string(value.group, `${where}.group`);
      string(value.member, `${where}.member`);
      offsetLike(value.generation, `${where}.generation`);
      array(value.partitions, `${where}.partitions`).forEach((p, i) => {
        topicPartition(object(p, `${where}.partitions[${i}]`), `${where}.partitions[${i}]`);
      });
      return;
    case 'join':
    case 'leave':
    case 'crash':
      string(value.group, `${where}.group`);
      optionalString(value.member, `${where}.member`);
      optionalString(value.topic, `${where}.topic`);
      return;
    case 'create-topic':
    case 'delete-topic':
      string(value.topic, `${where}.topic`);
      optionalOffset(value.partitions, `${where}.partitions`);
      if (
        value.readBack !== undefined &&
        value.readBack !== 'listed' &&
        value.readBack !== 'unlisted'
      )
        throw malformed(`${where}.readBack must be "listed" or "unlisted"`);
      return;
    case 'describe-topics':
      string(value.node, `${where}.node`);
      if (value.topics !== undefined) {
        array(value.topics, `${where}.topics`).forEach((t, i) => {
          const topic = object(t, `${where}.topics[${i}]`);
          string(topic.topic, `${where}.topics[${i}].topic`);
          offsetLike(topic.partitions, `${where}.topics[${i}].partitions`);
        });
      }
      return;
    case 'fault-start':
    case 'fault-stop':
      string(value.kind, `${where}.kind`);
      if (value.targets !== undefined) {
        array(value.targets, `${where}.targets`).forEach((t, i) => {
          string(t, `${where}.targets[${i}]`);
        });
      }
      optionalString(value.detail, `${where}.detail`);
      return;
  }
}

function polledRecord(input: unknown, where: string): void {
  const record = object(input, where);
  topicPartition(record, where);
  offsetLike(record.offset, `${where}.offset`);
  recordValue(record.value, `${where}.value`);
}

function topicPartition(value: Json, where: string): void {
  string(value.topic, `${where}.topic`);
  offsetLike(value.partition, `${where}.partition`);
}

function object(input: unknown, where: string): Json {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw malformed(`${where} must be an object`);
  }
  return input as Json;
}

function array(input: unknown, where: string): unknown[] {
  if (!Array.isArray(input)) throw malformed(`${where} must be an array`);
  return input;
}

function string(input: unknown, where: string): void {
  if (typeof input !== 'string') throw malformed(`${where} must be a string`);
}

function optionalString(input: unknown, where: string): void {
  if (input !== undefined) string(input, where);
}

function offsetLike(input: unknown, where: string): number {
  if (!Number.isSafeInteger(input) || (input as number) < 0) {
    throw malformed(`${where} must be a non-negative safe integer`);
  }
  return input as number;
}

function optionalOffset(input: unknown, where: string): void {
  if (input !== undefined) offsetLike(input, where);
}

function recordValue(input: unknown, where: string): void {
  if (typeof input === 'string') return;
  if (typeof input === 'number' && Number.isFinite(input)) return;
  throw malformed(`${where} must be a string or a finite number`);
}

function malformed(message: string): JepsenError {
  return new JepsenError('history-malformed', message);
}
