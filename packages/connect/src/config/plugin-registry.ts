/** The connector classes a worker knows: the built-in ones plus any the application adds. */
import { assert } from '../assert.ts';
import type { ConnectorPlugin } from '../connector.ts';

export class PluginRegistry {
  private readonly byClass = new Map<string, ConnectorPlugin>();

  constructor(plugins: readonly ConnectorPlugin[]) {
    for (const plugin of plugins) this.add(plugin);
  }

  add(plugin: ConnectorPlugin): void {
    if (this.byClass.has(plugin.className))
      assert(false, `connector class ${plugin.className} added twice`);
    this.byClass.set(plugin.className, plugin);
  }

  find(className: unknown): ConnectorPlugin | undefined {
    return typeof className === 'string' ? this.byClass.get(className) : undefined;
  }

  classNames(): string[] {
    return [...this.byClass.keys()].sort();
  }

  list(): { className: string; kind: 'source' | 'sink'; description: string }[] {
    return this.classNames().map((className) => {
      const plugin = this.byClass.get(className)!;
      return { className, kind: plugin.kind, description: plugin.description };
    });
  }
}
