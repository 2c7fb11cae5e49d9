/**
 * Dinic's maximum flow on a small integer graph. Used to give every shard one master among its
 * copies with a cap on masters per host and per AZ. Deterministic: edges are explored in the order
 * they were added.
 */
export class MaxFlow {
  private readonly head: Int32Array;
  private to: number[] = [];
  private cap: number[] = [];
  private next: number[] = [];
  private level: Int32Array;
  private iter: Int32Array;

  constructor(readonly nodes: number) {
    this.head = new Int32Array(nodes).fill(-1);
    this.level = new Int32Array(nodes);
    this.iter = new Int32Array(nodes);
  }

  /** Adds u -> v with a capacity; returns the edge id (its flow is flowOn(id)). */
  addEdge(u: number, v: number, capacity: number): number {
    const id = this.to.length;
    this.to.push(v, u);
    this.cap.push(capacity, 0);
    this.next.push(this.head[u] as number, this.head[v] as number);
    this.head[u] = id;
    this.head[v] = id + 1;
    return id;
  }

  flowOn(edge: number): number {
    return this.cap[edge + 1] as number;
  }

  run(source: number, sink: number): number {
    let total = 0;
    while (this.bfs(source, sink)) {
      this.iter.set(this.head);
      for (let f = this.dfs(source, sink, Infinity); f > 0; f = this.dfs(source, sink, Infinity)) total += f;
    }
    return total;
  }

  private bfs(source: number, sink: number): boolean {
    this.level.fill(-1);
    const queue = [source];
    this.level[source] = 0;
    for (let qi = 0; qi < queue.length; qi++) {
      const u = queue[qi] as number;
      for (let e = this.head[u] as number; e !== -1; e = this.next[e] as number) {
        const v = this.to[e] as number;
        if ((this.cap[e] as number) > 0 && this.level[v] === -1) {
          this.level[v] = (this.level[u] as number) + 1;
          queue.push(v);
        }
      }
    }
    return this.level[sink] !== -1;
  }

  private dfs(u: number, sink: number, pushed: number): number {
    if (u === sink) return pushed;
    for (; (this.iter[u] as number) !== -1; this.iter[u] = this.next[this.iter[u] as number] as number) {
      const e = this.iter[u] as number;
      const v = this.to[e] as number;
      if ((this.cap[e] as number) <= 0 || this.level[v] !== (this.level[u] as number) + 1) continue;
      const f = this.dfs(v, sink, Math.min(pushed, this.cap[e] as number));
      if (f > 0) {
        this.cap[e] = (this.cap[e] as number) - f;
        this.cap[e ^ 1] = (this.cap[e ^ 1] as number) + f;
        return f;
      }
    }
    return 0;
  }
}
