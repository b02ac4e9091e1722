import { describe, expect, it } from 'vitest';
import { Stopwatch } from './result.js';

describe('Stopwatch', () => {
  it('measures elapsed seconds monotonically', async () => {
    const sw = new Stopwatch();
    const a = sw.seconds();
    await new Promise((r) => setTimeout(r, 20));
    const b = sw.seconds();
    expect(a).toBeGreaterThanOrEqual(0);
    expect(b).toBeGreaterThan(0.015);
    expect(b).toBeLessThan(5);
  });
});
