/**
 * Cuts and heals traffic between nodes from outside the nodes' own code: a TCP proxy per
 * directed node pair (`ProxyMesh`) or network namespaces with veth links (`NetnsNetwork`).
 */

/** Traffic from `from` to `to`. A symmetric partition cuts both directions. */
export interface DirectedLink {
  readonly from: string;
  readonly to: string;
}

export interface NetworkControl {
  /**
   * From now on, traffic on exactly these links is dropped (or held); every link not listed
   * carries traffic again. Resolves when the cut is in effect.
   */
  cut(links: readonly DirectedLink[]): Promise<void>;
  /** Restores every link; resolves when traffic can flow. */
  heal(): Promise<void>;
  /** Releases everything it set up; idempotent. */
  close(): Promise<void>;
}

export function bothWays(a: string, b: string): DirectedLink[] {
  return [
    { from: a, to: b },
    { from: b, to: a },
  ];
}

export function linkKey(link: DirectedLink): string {
  return `${link.from}->${link.to}`;
}
