/** Every command, grouped by noun, in the order help lists them. */
import { clusterHealth } from './cluster-health.ts';
import { clusterStatus } from './cluster-status.ts';
import type { Command, Noun } from './command.ts';
import { groupDelete } from './group-delete.ts';
import { groupDescribe } from './group-describe.ts';
import { groupList } from './group-list.ts';
import { groupSeek } from './group-seek.ts';
import { topicAlterConfig } from './topic-alter-config.ts';
import { topicConsume } from './topic-consume.ts';
import { topicCreate } from './topic-create.ts';
import { topicDelete } from './topic-delete.ts';
import { topicDescribe } from './topic-describe.ts';
import { topicList } from './topic-list.ts';
import { topicProduce } from './topic-produce.ts';

export const nouns: readonly Noun[] = [
  { name: 'topic', summary: 'create, inspect, change and delete topics; produce and consume' },
  { name: 'group', summary: 'inspect consumer groups, move their offsets, delete them' },
  { name: 'cluster', summary: 'brokers, controller and health' },
];

export const commands: readonly Command[] = [
  topicCreate,
  topicList,
  topicDescribe,
  topicDelete,
  topicAlterConfig,
  topicProduce,
  topicConsume,
  groupList,
  groupDescribe,
  groupSeek,
  groupDelete,
  clusterStatus,
  clusterHealth,
];

export function commandsOf(noun: string): Command[] {
  return commands.filter((c) => c.noun === noun);
}

export function findCommand(noun: string, verb: string): Command | undefined {
  return commands.find((c) => c.noun === noun && c.verb === verb);
}
