import { describe, expect, it } from 'vitest';
import { Fifo } from './fifo.js';

describe('Fifo', () => {
  it('behaves like an array used as a deque, across growth and wrap-around', () => {
    const q = new Fifo<number>(2);
    const ref: number[] = [];
    let x = 1;
    // Deterministic mix of operations checked against a plain array.
    for (let step = 0; step < 2000; step++) {
      const op = (step * 7919) % 5;
      if (op < 2) {
        q.push(x);
        ref.push(x++);
      } else if (op === 2) {
        q.unshift(x);
        ref.unshift(x++);
      } else {
        expect(q.shift()).toBe(ref.shift());
      }
      expect(q.length).toBe(ref.length);
    }
    expect([...q]).toEqual(ref);
    expect(q.filter((v) => v % 3 === 0)).toBe(ref.filter((v) => v % 3 !== 0).length);
    expect([...q]).toEqual(ref.filter((v) => v % 3 === 0));
    while (q.length) q.shift();
    expect(q.shift()).toBeUndefined();
  });
});
