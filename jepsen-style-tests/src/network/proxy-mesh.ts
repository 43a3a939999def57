/**
 * NetworkControl by TCP proxies run by the harness: one LinkProxy per directed node pair.
 * Node i is configured to reach node j at `addressFor(i, j)`; the proxy forwards to where j
 * listens now (`targetOf(j)`, looked up per connection, so a restarted node may move ports).
 */
import { assert } from '../assert.ts';
import { JepsenError } from '../errors.ts';
import { type DirectedLink, linkKey, type NetworkControl } from '../nemesis/network-control.ts';
import { type Address, LinkProxy, type OneWayMode } from './link-proxy.ts';

export interface ProxyMeshOptions {
  readonly nodes: readonly string[];
  /** Where a node listens for its peers now; undefined while it is down. */
  readonly targetOf: (nodeId: string) => Address | undefined;
  readonly oneWayMode?: OneWayMode;
  readonly host?: string;
}

export class ProxyMesh implements NetworkControl {
  private readonly cutLinks = new Set<string>();
  private readonly proxies = new Map<string, LinkProxy>();
  private readonly addresses = new Map<string, Address>();
  private closed = false;

  private constructor(private readonly options: ProxyMeshOptions) {}

  static async start(options: ProxyMeshOptions): Promise<ProxyMesh> {
    const mesh = new ProxyMesh(options);
    const policy = {
      blocked: (from: string, to: string) => mesh.cutLinks.has(linkKey({ from, to })),
      oneWayMode: options.oneWayMode ?? 'hold',
    };
    try {
      for (const from of options.nodes) {
        for (const to of options.nodes) {
          if (from === to) continue;
          const proxy = new LinkProxy(from, to, () => options.targetOf(to), policy);
          const key = linkKey({ from, to });
          mesh.proxies.set(key, proxy);
          mesh.addresses.set(key, await proxy.listen(options.host ?? '127.0.0.1'));
        }
      }
    } catch (cause) {
      await mesh.close();
      throw new JepsenError('network-setup', 'cannot start the proxy mesh', { cause });
    }
    return mesh;
  }

  /** Where node `from` connects to reach node `to`. */
  addressFor(from: string, to: string): Address {
    const address = this.addresses.get(linkKey({ from, to }));
    if (!address) throw new JepsenError('proxy-target-unknown', `no proxy for ${from} -> ${to}`);
    return address;
  }

  proxy(from: string, to: string): LinkProxy {
    const proxy = this.proxies.get(linkKey({ from, to }));
    if (proxy === undefined) assert(false, `no proxy for ${from} -> ${to}`);
    return proxy;
  }

  async cut(links: readonly DirectedLink[]): Promise<void> {
    for (const link of links) {
      if (!this.options.nodes.includes(link.from) || !this.options.nodes.includes(link.to)) {
        throw new JepsenError('options-invalid', `unknown link ${linkKey(link)}`);
      }
    }
    this.cutLinks.clear();
    for (const link of links) this.cutLinks.add(linkKey(link));
    this.applyAll();
  }

  async heal(): Promise<void> {
    this.cutLinks.clear();
    this.applyAll();
  }

  private applyAll(): void {
    for (const proxy of this.proxies.values()) proxy.apply();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.proxies.values()].map((p) => p.close()));
  }
}
