/**
 * The processor graph: source nodes read topics, processor nodes transform, sink nodes write
 * topics; state stores hang off the processors that use them. `Topology` splits the graph
 * into sub-topologies, the connected pieces left when topics (repartition topics in
 * particular) are cut: each runs as one task per input partition.
 */
import { assert } from '../assert.ts';
import { TopologyError } from '../errors.ts';
import type { Serde } from '../serdes.ts';
import type { StateStore } from '../state/state-store.ts';
import type { ProcessorSupplier } from './processor.ts';

/** A topic named by the topology; internal topics are prefixed with `<applicationId>-` at run time. */
export interface TopicRef {
  readonly name: string;
  readonly internal: boolean;
  /** Partitions of an internal repartition topic, when the application fixed them. */
  readonly partitions?: number;
}

export interface SourceNodeDef {
  readonly kind: 'source';
  readonly name: string;
  readonly topics: readonly TopicRef[];
  readonly keySerde: Serde<unknown>;
  readonly valueSerde: Serde<unknown>;
}

export interface ProcessorNodeDef {
  readonly kind: 'processor';
  readonly name: string;
  readonly parents: readonly string[];
  readonly supplier: ProcessorSupplier;
}

export interface SinkNodeDef {
  readonly kind: 'sink';
  readonly name: string;
  readonly parents: readonly string[];
  readonly topic: TopicRef;
  readonly keySerde: Serde<unknown>;
  readonly valueSerde: Serde<unknown>;
}

export type NodeDef = SourceNodeDef | ProcessorNodeDef | SinkNodeDef;

export interface StoreDef {
  readonly name: string;
  /** Whether changes are written to a changelog topic `<applicationId>-<name>-changelog`. */
  readonly logged: boolean;
  readonly create: () => StateStore;
}

export interface Subtopology {
  readonly id: number;
  /** Nodes in the order they were added (parents before children). */
  readonly nodes: readonly NodeDef[];
  readonly children: ReadonlyMap<string, readonly string[]>;
  readonly sourceTopics: readonly TopicRef[];
  readonly sinkTopics: readonly TopicRef[];
  readonly stores: readonly StoreDef[];
  /** Which processors may use which store. */
  readonly storeUsers: ReadonlyMap<string, readonly string[]>;
}

const topicNamePattern = /^[a-zA-Z0-9._-]{1,249}$/;

export function checkTopicName(name: string, what: string): void {
  if (typeof name !== 'string' || !topicNamePattern.test(name)) {
    throw new TopologyError(
      `${what} "${String(name)}" is not a valid topic name ([a-zA-Z0-9._-], 1–249)`,
    );
  }
}

export class Topology {
  readonly subtopologies: readonly Subtopology[];
  /** Groups of topics that must have equal partition counts (the two sides of each join). */
  readonly copartitionGroups: readonly (readonly TopicRef[])[];

  constructor(
    subtopologies: readonly Subtopology[],
    copartitionGroups: readonly (readonly TopicRef[])[],
  ) {
    this.subtopologies = subtopologies;
    this.copartitionGroups = copartitionGroups;
  }

  /** Every topic some source reads, external and internal, without duplicates. */
  sourceTopics(): TopicRef[] {
    return uniqueTopics(this.subtopologies.flatMap((s) => s.sourceTopics));
  }

  /** Internal repartition topics (written by one sub-topology, read by another). */
  repartitionTopics(): TopicRef[] {
    return this.sourceTopics().filter((t) => t.internal);
  }

  storeNames(): string[] {
    return this.subtopologies.flatMap((s) => s.stores.map((store) => store.name));
  }

  /** A readable outline, like Kafka's `Topology.describe()`. */
  describe(): string {
    const lines: string[] = [];
    for (const sub of this.subtopologies) {
      lines.push(`Sub-topology ${sub.id}`);
      for (const node of sub.nodes) lines.push(`  ${describeNode(node, sub)}`);
      for (const store of sub.stores)
        lines.push(`  store ${store.name}${store.logged ? ' (changelog)' : ''}`);
    }
    return lines.join('\n');
  }
}

function describeNode(node: NodeDef, sub: Subtopology): string {
  const children = sub.children.get(node.name) ?? [];
  const arrow = children.length > 0 ? ` --> ${children.join(', ')}` : '';
  switch (node.kind) {
    case 'source':
      return `source ${node.name} (topics: ${node.topics.map(topicLabel).join(', ')})${arrow}`;
    case 'processor':
      return `processor ${node.name}${arrow}`;
    case 'sink':
      return `sink ${node.name} (topic: ${topicLabel(node.topic)})`;
  }
}

function topicLabel(topic: TopicRef): string {
  return topic.internal ? `<app>-${topic.name}` : topic.name;
}

export function uniqueTopics(topics: readonly TopicRef[]): TopicRef[] {
  const byName = new Map<string, TopicRef>();
  for (const topic of topics) {
    const key = `${topic.internal}:${topic.name}`;
    if (!byName.has(key)) byName.set(key, topic);
  }
  return [...byName.values()];
}

/** Collects nodes and stores as the DSL adds them, then cuts them into sub-topologies. */
export class TopologyGraph {
  private readonly nodes = new Map<string, NodeDef>();
  private readonly stores = new Map<string, StoreDef>();
  private readonly storeUsers = new Map<string, string[]>();
  private readonly copartitionGroups: TopicRef[][] = [];
  private readonly sourceTopicNames = new Set<string>();
  private counter = 0;

  /** A unique node name `<prefix>-<nnnn>`, numbered in order of creation like Kafka's. */
  newName(prefix: string): string {
    this.counter += 1;
    return `${prefix}-${String(this.counter).padStart(4, '0')}`;
  }

  addNode(node: NodeDef): void {
    if (this.nodes.has(node.name))
      throw new TopologyError(`a node named ${node.name} exists already`);
    if (node.kind !== 'source') {
      for (const parent of node.parents) {
        const parentNode = this.nodes.get(parent);
        if (!parentNode) throw new TopologyError(`${node.name}: unknown parent ${parent}`);
        if (parentNode.kind === 'sink')
          throw new TopologyError(`${node.name}: a sink has no children`);
      }
    } else {
      for (const topic of node.topics) this.claimSourceTopic(topic, node.name);
    }
    if (node.kind === 'sink') checkTopicName(node.topic.name, 'sink topic');
    this.nodes.set(node.name, node);
  }

  private claimSourceTopic(topic: TopicRef, node: string): void {
    checkTopicName(topic.name, 'source topic');
    const key = `${topic.internal}:${topic.name}`;
    if (this.sourceTopicNames.has(key)) {
      throw new TopologyError(`${node}: topic ${topic.name} is already read by another source`);
    }
    this.sourceTopicNames.add(key);
  }

  addStore(store: StoreDef): void {
    if (this.stores.has(store.name))
      throw new TopologyError(`a store named ${store.name} exists already`);
    checkTopicName(store.name, 'store name');
    this.stores.set(store.name, store);
  }

  hasStore(name: string): boolean {
    return this.stores.has(name);
  }

  connectStore(processor: string, store: string): void {
    if (!this.stores.has(store)) throw new TopologyError(`${processor}: unknown store ${store}`);
    if (this.nodes.get(processor)?.kind !== 'processor') {
      throw new TopologyError(`store ${store}: ${processor} is not a processor`);
    }
    const users = this.storeUsers.get(store) ?? [];
    if (!users.includes(processor)) users.push(processor);
    this.storeUsers.set(store, users);
  }

  addCopartitionGroup(topics: readonly TopicRef[]): void {
    const unique = uniqueTopics(topics);
    if (unique.length > 1) this.copartitionGroups.push(unique);
  }

  /** The source topics feeding `node`, following parents up to the sources. */
  upstreamSourceTopics(node: string): TopicRef[] {
    const found: TopicRef[] = [];
    const seen = new Set<string>();
    const visit = (name: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      const def = this.nodes.get(name);
      if (def === undefined) assert(false, `node ${name} exists`);
      if (def.kind === 'source') found.push(...def.topics);
      else for (const parent of def.parents) visit(parent);
    };
    visit(node);
    return uniqueTopics(found);
  }

  build(): Topology {
    for (const [store, users] of this.storeUsers) {
      if (!(users.length > 0)) assert(false, `store ${store} has users`);
    }
    for (const store of this.stores.keys()) {
      if (!this.storeUsers.has(store))
        throw new TopologyError(`store ${store} is used by no processor`);
    }
    const groups = this.connectedGroups();
    const subtopologies = groups.map((names, id) => this.subtopology(id, names));
    return new Topology(
      subtopologies,
      this.copartitionGroups.map((g) => [...g]),
    );
  }

  /** Union-find over parent edges and shared stores; groups ordered by their first node. */
  private connectedGroups(): string[][] {
    const parentOf = new Map<string, string>();
    const find = (name: string): string => {
      let root = name;
      while (parentOf.get(root) !== root) root = parentOf.get(root) as string;
      parentOf.set(name, root);
      return root;
    };
    const union = (a: string, b: string) => parentOf.set(find(a), find(b));
    for (const name of this.nodes.keys()) parentOf.set(name, name);
    for (const node of this.nodes.values()) {
      if (node.kind !== 'source') for (const parent of node.parents) union(node.name, parent);
    }
    for (const users of this.storeUsers.values()) {
      for (const user of users.slice(1)) union(user, users[0] as string);
    }
    const groups = new Map<string, string[]>();
    for (const name of this.nodes.keys()) {
      const root = find(name);
      const group = groups.get(root) ?? [];
      group.push(name);
      groups.set(root, group);
    }
    return [...groups.values()];
  }

  private subtopology(id: number, names: readonly string[]): Subtopology {
    const nodes = names.map((name) => this.nodes.get(name) as NodeDef);
    const children = new Map<string, string[]>();
    for (const node of nodes) {
      if (node.kind === 'source') continue;
      for (const parent of node.parents)
        children.set(parent, [...(children.get(parent) ?? []), node.name]);
    }
    const member = new Set(names);
    const storeUsers = new Map<string, readonly string[]>();
    for (const [store, users] of this.storeUsers) {
      if (users.some((u) => member.has(u))) storeUsers.set(store, users);
    }
    const sources = nodes.filter((n): n is SourceNodeDef => n.kind === 'source');
    const sinks = nodes.filter((n): n is SinkNodeDef => n.kind === 'sink');
    if (sources.length === 0) throw new TopologyError(`nodes ${names.join(', ')} have no source`);
    return {
      id,
      nodes,
      children,
      sourceTopics: uniqueTopics(sources.flatMap((s) => s.topics)),
      sinkTopics: uniqueTopics(sinks.map((s) => s.topic)),
      stores: [...storeUsers.keys()].map((name) => this.stores.get(name) as StoreDef),
      storeUsers,
    };
  }
}
