/**
 * A growable ring-buffer queue with O(1) push at both ends and pop from the front — the broker's
 * per-service request queue (re-queued tasks of a dead worker go to the front, new ones to the back).
 */
export class Fifo<T> {
  private items: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(capacity = 16) {
    this.items = new Array(Math.max(2, capacity));
  }

  get length(): number {
    return this.count;
  }

  private grow(): void {
    const old = this.items;
    const next = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) % old.length];
    this.items = next;
    this.head = 0;
  }

  /** Appends at the back. */
  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) % this.items.length] = item;
    this.count++;
  }

  /** Inserts at the front (served next). */
  unshift(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.head = (this.head - 1 + this.items.length) % this.items.length;
    this.items[this.head] = item;
    this.count++;
  }

  /** Removes and returns the front item, or undefined when empty. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.count--;
    return item;
  }

  /** Keeps only the items for which `keep` is true, in order; returns how many were removed. */
  filter(keep: (item: T) => boolean): number {
    const kept: T[] = [];
    const n = this.count;
    for (let i = 0; i < n; i++) {
      const item = this.items[(this.head + i) % this.items.length] as T;
      if (keep(item)) kept.push(item);
    }
    this.items = new Array(Math.max(16, kept.length * 2));
    for (let i = 0; i < kept.length; i++) this.items[i] = kept[i];
    this.head = 0;
    this.count = kept.length;
    return n - kept.length;
  }

  /** Iterates front to back without removing. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.count; i++) yield this.items[(this.head + i) % this.items.length] as T;
  }
}
