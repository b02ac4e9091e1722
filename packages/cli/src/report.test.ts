import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SeriesPlot } from '@optkit/core';
import { escapeHtml, renderPlot, renderReport, seriesToVegaLite, writeReport } from './report.js';
import { summarize, type ExperimentRecord, type ReproduceReport } from './results.js';

const plot: SeriesPlot = {
  kind: 'series',
  title: 'residual vs iteration',
  xLabel: 'iteration',
  yLabel: 'residual',
  logY: true,
  series: [
    { name: 'cg', x: Float64Array.of(1, 2, 3, 4), y: Float64Array.of(1, 0.1, 0.01, 0) },
    { name: 'gmres', x: [1, 2, 3], y: [1, NaN, 0.5] },
  ],
};

function experiment(over: Partial<ExperimentRecord> = {}): ExperimentRecord {
  return {
    id: 'cg-demo',
    plugin: '@optkit/linalg',
    card: 'cg',
    title: 'CG converges',
    paper: { title: 'Methods of Conjugate Gradients for Solving Linear Systems', authors: 'Hestenes, Stiefel', year: 1952 },
    seconds: 1.25,
    claims: [
      { claim: 'residual below 1e-8', measured: 3e-9, expected: '<= 1e-8', pass: true, gated: true },
      { claim: 'faster than scipy', measured: 0.7, expected: '>= 1', pass: false, gated: false },
    ],
    plots: [plot],
    tables: [{ title: 'iterations', columns: ['n', 'iters'], rows: [[100, 12]] }],
    notes: ['a note'],
    ...over,
  };
}

function report(experiments: ExperimentRecord[]): ReproduceReport {
  return {
    date: '2026-11-29T00:00:00.000Z',
    machine: { cpu: 'Test CPU', cores: 2, memory: { totalBytes: 2 ** 34, freeBytes: 2 ** 33 }, os: 'linux 6 x64', node: 'v20.20.2' },
    versions: { '@optkit/cli': '0.1.0', '@optkit/linalg': '0.1.0' },
    options: { ids: experiments.map((e) => e.id), quick: true, seed: 0, threads: 2 },
    experiments,
    summary: summarize(experiments),
  };
}

describe('escapeHtml', () => {
  it('escapes the five HTML metacharacters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

describe('seriesToVegaLite', () => {
  it('makes a line chart coloured by series with log scales where asked, dropping undrawable points', () => {
    const { spec, dropped } = seriesToVegaLite(plot);
    // y = 0 on a log axis and y = NaN cannot be drawn.
    expect(dropped).toBe(2);
    const values = (spec.data as { values: { series: string; x: number; y: number }[] }).values;
    expect(values).toHaveLength(5);
    expect(values.filter((v) => v.series === 'cg').map((v) => v.y)).toEqual([1, 0.1, 0.01]);
    const enc = spec.encoding as Record<string, { field: string; scale?: { type?: string } }>;
    expect(enc.y.scale?.type).toBe('log');
    expect(enc.x.scale?.type).toBeUndefined();
    expect(enc.color.field).toBe('series');
    expect((spec.mark as { type: string }).type).toBe('line');
  });

  it('uses point marks when asked', () => {
    const { spec } = seriesToVegaLite({ ...plot, mark: 'point', logY: false });
    expect((spec.mark as { type: string }).type).toBe('point');
  });
});

describe('renderPlot', () => {
  it('renders a series plot to inline SVG with its title and series names as text', async () => {
    const html = await renderPlot(plot, 'p0-');
    expect(html).toMatch(/^<figure><svg /);
    expect(html).toContain('residual vs iteration');
    expect(html).toContain('gmres');
    expect(html).toContain('2 points not drawn');
  });

  it('uses a Vega-Lite plot as given', async () => {
    const html = await renderPlot({
      kind: 'vega-lite',
      title: 'bars',
      spec: { data: { values: [{ a: 'x', b: 3 }, { a: 'y', b: 5 }] }, mark: 'bar', encoding: { x: { field: 'a', type: 'nominal' }, y: { field: 'b', type: 'quantitative' } } },
    });
    expect(html).toContain('<svg');
    expect(html).toContain('role-mark');
  });

  it('shows an error box instead of failing on a broken spec or external data', async () => {
    const broken = await renderPlot({ kind: 'vega-lite', title: 'broken <x>', spec: { mark: 'no-such-mark' } });
    expect(broken).toContain('class="error"');
    expect(broken).toContain('broken &lt;x&gt;');
    const external = await renderPlot({ kind: 'vega-lite', title: 'remote', spec: { data: { url: 'https://example.com/d.json' }, mark: 'point' } });
    expect(external).toContain('class="error"');
    expect(external).toContain('not allowed');
  });
});

describe('renderReport', () => {
  it('is self-contained: claims table, machine, plots as SVG, no scripts or external resources', async () => {
    const html = await renderReport(report([experiment()]));
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<svg');
    expect(html).toContain('Test CPU');
    expect(html).toContain('@optkit/linalg 0.1.0');
    expect(html).toContain('<td>report-only (fail)</td>');
    expect(html).toContain('<tr class="pass">');
    expect(html).toMatch(/1 experiment, 2 claims: 1 passed, 0 failed, 1 report-only/);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link /i);
    expect(html).not.toMatch(/src="http/i);
  });

  it('escapes every text from plugins: titles, claims, notes, errors, table cells, plot titles', async () => {
    const evil = '<script>alert(1)</script>';
    const html = await renderReport(
      report([
        experiment({
          id: 'evil',
          title: `title ${evil}`,
          paper: { title: `paper ${evil}`, arxiv: `javascript:alert(1)` },
          claims: [{ claim: `claim ${evil}`, measured: evil, expected: evil, pass: false, gated: true }],
          notes: [`note ${evil}`],
          tables: [{ title: evil, columns: [evil], rows: [[evil]] }],
          plots: [{ ...plot, title: `plot ${evil}`, series: [{ name: evil, x: [1, 2], y: [1, 2] }] }],
        }),
        experiment({ id: 'boom', error: `NOT_SPD: ${evil}`, claims: [], plots: [] }),
      ]),
    );
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('title &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('NOT_SPD: &lt;script&gt;');
    // A non-URL, non-arXiv-id `arxiv` value is shown as text, never as a link.
    expect(html).not.toContain('href="javascript:');
  });

  it('says so when no experiments are registered', async () => {
    const html = await renderReport(report([]));
    expect(html).toContain('No experiments are registered');
    expect(html).not.toContain('<table class="claims">');
  });
});

describe('writeReport', () => {
  it('writes results.json with machine, versions and per-claim fields, and index.html', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'optkit-report-'));
    const files = await writeReport(report([experiment(), experiment({ id: 'boom', error: 'INVALID_OPTION: bad', claims: [], plots: [] })]), dir);
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['results.json', 'index.html']);
    const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(json.machine.cores).toBe(2);
    expect(json.versions['@optkit/cli']).toBe('0.1.0');
    expect(json.summary).toEqual({ experiments: 2, claims: 2, passed: 1, failed: 0, reportOnly: 1, errors: 1, ok: false });
    const [e0, e1] = json.experiments;
    expect(e0).toMatchObject({ id: 'cg-demo', card: 'cg', paperTitle: 'Methods of Conjugate Gradients for Solving Linear Systems', seconds: 1.25 });
    expect(e0.error).toBeUndefined();
    expect(e0.claims[1]).toEqual({ claim: 'faster than scipy', measured: 0.7, expected: '>= 1', pass: false, gated: false });
    expect(e0.plots).toEqual(['residual vs iteration']);
    expect(e1.error).toBe('INVALID_OPTION: bad');
    expect(readFileSync(join(dir, 'index.html'), 'utf8')).toContain('<svg');
  });

  it('writes only results.json with html: false', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'optkit-report-'));
    const files = await writeReport(report([]), dir, { html: false });
    expect(files).toEqual([join(dir, 'results.json')]);
  });
});
