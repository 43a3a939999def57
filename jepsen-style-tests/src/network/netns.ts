/**
 * NetworkControl by Linux network namespaces (root only): one namespace per node, joined by
 * veth links to a bridge that lives in a namespace of its own, so nothing is added to the
 * host's network. Each node gets an address in a private /24 that exists only inside these
 * namespaces; a node process runs inside its namespace (`commandFor`) and reaches the others
 * at their addresses. Links are cut with iptables DROP rules in the receiving node's namespace
 * when iptables is installed, otherwise with blackhole routes in the sender's namespace.
 *
 * Namespaces have unique names and are deleted by `close()` and, as a last resort, when the
 * process exits.
 */
import { randomBytes } from 'node:crypto';
import { JepsenError } from '../errors.ts';
import { type DirectedLink, linkKey, type NetworkControl } from '../nemesis/network-control.ts';
import { runCommand, runCommandSync } from './command.ts';

export type CutMethod = 'iptables' | 'blackhole';

export interface NetnsNetworkOptions {
  readonly nodes: readonly string[];
  /** Defaults to iptables when it works inside a namespace, else blackhole routes. */
  readonly method?: CutMethod;
}

export type Availability =
  | { readonly ok: true; readonly iptables: boolean }
  | { readonly ok: false; readonly reason: string };

/** The private subnet used inside our namespaces only. */
const subnet = '10.231.0';

const liveNamespaces = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const ns of liveNamespaces) runCommandSync(['ip', 'netns', 'del', ns]);
  });
}

export class NetnsNetwork implements NetworkControl {
  private readonly namespaces = new Map<string, string>();
  private readonly addresses = new Map<string, string>();
  private readonly bridgeNamespace: string;
  private cutLinks: DirectedLink[] = [];
  private closed = false;

  private constructor(
    private readonly nodes: readonly string[],
    readonly method: CutMethod,
    prefix: string,
  ) {
    this.bridgeNamespace = `${prefix}-br`;
    nodes.forEach((node, i) => {
      this.namespaces.set(node, `${prefix}-n${i + 1}`);
      this.addresses.set(node, `${subnet}.${i + 1}`);
    });
  }

  /** Whether this process may create namespaces here, and whether iptables works in them. */
  static available(): Availability {
    if (process.platform !== 'linux') return { ok: false, reason: 'network namespaces need Linux' };
    if (process.getuid?.() !== 0) return { ok: false, reason: 'network namespaces need root' };
    const probe = `trib-probe-${process.pid}-${randomBytes(3).toString('hex')}`;
    const added = runCommandSync(['ip', 'netns', 'add', probe]);
    if (!added.ok) return { ok: false, reason: `ip netns add failed: ${added.output}` };
    const iptables = runCommandSync(['ip', 'netns', 'exec', probe, 'iptables', '-S']).ok;
    runCommandSync(['ip', 'netns', 'del', probe]);
    return { ok: true, iptables };
  }

  static async create(options: NetnsNetworkOptions): Promise<NetnsNetwork> {
    const availability = NetnsNetwork.available();
    if (!availability.ok) throw new JepsenError('not-supported', availability.reason);
    if (options.nodes.length > 250) throw new JepsenError('options-invalid', 'at most 250 nodes');
    const method = options.method ?? (availability.iptables ? 'iptables' : 'blackhole');
    if (method === 'iptables' && !availability.iptables) {
      throw new JepsenError(
        'not-supported',
        'iptables is not installed or does not work in a namespace',
      );
    }
    const prefix = `trib-${process.pid}-${randomBytes(3).toString('hex')}`;
    const network = new NetnsNetwork(options.nodes, method, prefix);
    installExitHook();
    try {
      await network.build();
    } catch (cause) {
      await network.close();
      throw new JepsenError('network-setup', 'cannot build the namespaces', { cause });
    }
    return network;
  }

  private async build(): Promise<void> {
    const br = this.bridgeNamespace;
    await this.addNamespace(br);
    await runCommand(['ip', '-n', br, 'link', 'add', 'br0', 'type', 'bridge']);
    await runCommand(['ip', '-n', br, 'link', 'set', 'br0', 'up']);
    for (const [i, node] of this.nodes.entries()) {
      const ns = this.namespaceOf(node);
      await this.addNamespace(ns);
      const veth = `veth${i + 1}`;
      // Created inside the bridge's namespace with its peer moved straight into the node's.
      await runCommand([
        'ip',
        '-n',
        br,
        'link',
        'add',
        veth,
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        ns,
      ]);
      await runCommand(['ip', '-n', br, 'link', 'set', veth, 'master', 'br0']);
      await runCommand(['ip', '-n', br, 'link', 'set', veth, 'up']);
      await runCommand([
        'ip',
        '-n',
        ns,
        'addr',
        'add',
        `${this.addressOf(node)}/24`,
        'dev',
        'eth0',
      ]);
      await runCommand(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
      await runCommand(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    }
  }

  private async addNamespace(ns: string): Promise<void> {
    await runCommand(['ip', 'netns', 'add', ns]);
    liveNamespaces.add(ns);
  }

  namespaceOf(node: string): string {
    const ns = this.namespaces.get(node);
    if (!ns) throw new JepsenError('options-invalid', `unknown node ${node}`);
    return ns;
  }

  /** The node's address, reachable from the other nodes' namespaces only. */
  addressOf(node: string): string {
    const address = this.addresses.get(node);
    if (!address) throw new JepsenError('options-invalid', `unknown node ${node}`);
    return address;
  }

  /** The argv that runs `argv` inside the node's namespace (ip netns exec replaces itself). */
  commandFor(node: string, argv: readonly string[]): string[] {
    return ['ip', 'netns', 'exec', this.namespaceOf(node), ...argv];
  }

  async cut(links: readonly DirectedLink[]): Promise<void> {
    for (const link of links) {
      this.namespaceOf(link.from);
      this.namespaceOf(link.to);
    }
    await this.heal();
    for (const link of links) {
      if (this.method === 'iptables') {
        const ns = this.namespaceOf(link.to);
        await runCommand([
          'ip',
          'netns',
          'exec',
          ns,
          'iptables',
          '-A',
          'INPUT',
          '-s',
          `${this.addressOf(link.from)}/32`,
          '-j',
          'DROP',
        ]);
      } else {
        await runCommand([
          'ip',
          '-n',
          this.namespaceOf(link.from),
          'route',
          'add',
          'blackhole',
          `${this.addressOf(link.to)}/32`,
        ]);
      }
      this.cutLinks.push(link);
    }
  }

  async heal(): Promise<void> {
    const links = this.cutLinks;
    this.cutLinks = [];
    for (const link of links) {
      if (this.method === 'iptables') {
        const ns = this.namespaceOf(link.to);
        await runCommand([
          'ip',
          'netns',
          'exec',
          ns,
          'iptables',
          '-D',
          'INPUT',
          '-s',
          `${this.addressOf(link.from)}/32`,
          '-j',
          'DROP',
        ]);
      } else {
        await runCommand([
          'ip',
          '-n',
          this.namespaceOf(link.from),
          'route',
          'del',
          'blackhole',
          `${this.addressOf(link.to)}/32`,
        ]);
      }
    }
  }

  /** The links cut now, as `from->to` (for tests and reports). */
  currentCut(): string[] {
    return this.cutLinks.map(linkKey);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const ns of [...this.namespaces.values(), this.bridgeNamespace]) {
      if (!liveNamespaces.has(ns)) continue;
      await runCommand(['ip', 'netns', 'del', ns]).catch(() => undefined);
      liveNamespaces.delete(ns);
    }
  }
}
