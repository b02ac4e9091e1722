/**
 * The `optkit reproduce` report: one self-contained HTML page (inline CSS, plots as inline SVG, no
 * scripts) and `results.json`. Plots are Vega-Lite specifications compiled and rendered to SVG in
 * Node by vega, loaded only when a report is written.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PaperRef, Plot, SeriesPlot, Table } from '@optkit/core';
import { formatBytes } from './machine.js';
import { formatValue } from './format.js';
import { claimStatus, resultsJson, type ExperimentRecord, type ReproduceReport } from './results.js';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/**
 * A Vega-Lite line (or point) chart of a {@link SeriesPlot}: one colour per series, points drawn in
 * the order given, log axes when asked. Points that cannot be drawn (non-finite, or <= 0 on a log
 * axis) are left out and counted in `dropped`.
 */
export function seriesToVegaLite(plot: SeriesPlot): { spec: Record<string, unknown>; dropped: number } {
  const values: { series: string; i: number; x: number; y: number }[] = [];
  let dropped = 0;
  for (const s of plot.series) {
    const n = Math.min(s.x.length, s.y.length);
    dropped += Math.max(s.x.length, s.y.length) - n;
    for (let i = 0; i < n; i++) {
      const x = Number(s.x[i]);
      const y = Number(s.y[i]);
      if (!Number.isFinite(x) || !Number.isFinite(y) || (plot.logX && x <= 0) || (plot.logY && y <= 0)) {
        dropped++;
        continue;
      }
      values.push({ series: s.name, i, x, y });
    }
  }
  const axis = (field: string, title: string, log?: boolean) => ({
    field,
    type: 'quantitative',
    title,
    scale: log ? { type: 'log' } : { zero: false },
    axis: log ? { format: '~g' } : {},
  });
  const spec: Record<string, unknown> = {
    $schema: VEGA_LITE_SCHEMA,
    title: plot.title,
    width: 520,
    height: 300,
    background: 'white',
    data: { values },
    mark: plot.mark === 'point' ? { type: 'point', filled: true, size: 30 } : { type: 'line', clip: true },
    encoding: {
      x: axis('x', plot.xLabel, plot.logX),
      y: axis('y', plot.yLabel, plot.logY),
      color: { field: 'series', type: 'nominal', title: null },
      ...(plot.mark === 'point' ? {} : { order: { field: 'i', type: 'quantitative' } }),
    },
  };
  return { spec, dropped };
}

type VegaModule = typeof import('vega');
type VegaLiteModule = typeof import('vega-lite');
let renderers: Promise<{ vega: VegaModule; vl: VegaLiteModule }> | undefined;

function loadRenderers(): Promise<{ vega: VegaModule; vl: VegaLiteModule }> {
  renderers ??= Promise.all([import('vega'), import('vega-lite')]).then(([vega, vl]) => ({ vega, vl }));
  return renderers;
}

/**
 * Renders a Vega-Lite specification to an SVG string in Node. External data and images are refused
 * (a report must not depend on the network or on files). `idPrefix` makes the SVG's element ids
 * unique so several SVGs can share one page.
 */
export async function vegaLiteToSvg(spec: Record<string, unknown>, idPrefix = ''): Promise<string> {
  const { vega, vl } = await loadRenderers();
  const loader = vega.loader();
  // Vega logs a failed load and draws an empty chart; the refused URIs are kept to fail loudly instead.
  const refused: string[] = [];
  const refuse = (uri: unknown) => {
    refused.push(String(uri));
    return Promise.reject(new Error(`external resource ${String(uri)} is not allowed in a report`));
  };
  loader.load = refuse as typeof loader.load;
  loader.sanitize = refuse as typeof loader.sanitize;
  const compiled = vl.compile(spec as unknown as Parameters<typeof vl.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader, logLevel: vega.None });
  try {
    const svg = await view.toSVG();
    if (refused.length > 0) throw new Error(`external resources are not allowed in a report: ${refused.join(', ')}`);
    return idPrefix ? prefixSvgIds(svg, idPrefix) : svg;
  } finally {
    view.finalize();
  }
}

/** Renames every `id` in an SVG (and the `url(#...)` / `href="#..."` references to it). */
function prefixSvgIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, (_m, id: string) => `id="${prefix}${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_m, id: string) => `url(#${prefix}${id})`)
    .replace(/href="#([^"]+)"/g, (_m, id: string) => `href="#${prefix}${id}"`);
}

/** A plot as inline SVG (figure + caption), or a visible error box when it cannot be drawn. */
export async function renderPlot(plot: Plot, idPrefix = ''): Promise<string> {
  try {
    let spec: Record<string, unknown>;
    let note = '';
    if (plot.kind === 'series') {
      const r = seriesToVegaLite(plot);
      spec = r.spec;
      if (r.dropped > 0) note = `${r.dropped} point${r.dropped === 1 ? '' : 's'} not drawn (non-finite, or not positive on a log axis).`;
    } else if (plot.kind === 'vega-lite') {
      spec = plot.spec;
    } else {
      throw new Error(`unknown plot kind ${JSON.stringify((plot as { kind?: unknown }).kind)}`);
    }
    const svg = await vegaLiteToSvg(spec, idPrefix);
    return `<figure>${svg}${note ? `<figcaption>${escapeHtml(note)}</figcaption>` : ''}</figure>`;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return `<div class="error">Plot ${escapeHtml(plot?.title ?? '')} could not be rendered: ${escapeHtml(msg)}</div>`;
  }
}

function renderTable(t: Table): string {
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = t.rows
    .map((r) => `<tr>${r.map((c) => `<td${typeof c === 'number' ? ' class="num"' : ''}>${escapeHtml(typeof c === 'number' ? formatValue(c) : c)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table class="data"><caption>${escapeHtml(t.title)}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** A link to the paper when `arxiv` is an arXiv id or an http(s) URL. */
function paperHtml(p: PaperRef): string {
  const bits = [p.authors, p.venue, p.year].filter((b) => b !== undefined && b !== '').map(escapeHtml);
  let link = '';
  if (p.arxiv) {
    const href = /^https?:\/\//i.test(p.arxiv) ? p.arxiv : /^[\w./-]+$/.test(p.arxiv) ? `https://arxiv.org/abs/${p.arxiv}` : undefined;
    link = href ? ` <a href="${escapeHtml(href)}">${escapeHtml(p.arxiv)}</a>` : ` ${escapeHtml(p.arxiv)}`;
  }
  return `<em>${escapeHtml(p.title)}</em>${bits.length ? `, ${bits.join(', ')}` : ''}${link}`;
}

const anchor = (id: string) => `exp-${id.replace(/[^a-z0-9._-]/gi, '_')}`;

function statusClass(status: string): string {
  if (status === 'pass') return 'pass';
  if (status === 'FAIL' || status === 'ERROR') return 'fail';
  return 'report';
}

function claimsTable(experiments: readonly ExperimentRecord[]): string {
  const rows: string[] = [];
  for (const e of experiments) {
    const link = `<a href="#${anchor(e.id)}">${escapeHtml(e.id)}</a>`;
    const secs = escapeHtml(e.seconds.toFixed(2));
    if (e.error !== undefined) {
      rows.push(`<tr class="fail"><td>${link}</td><td colspan="3">threw: ${escapeHtml(e.error)}</td><td>ERROR</td><td class="num">${secs}</td></tr>`);
    }
    if (e.error === undefined && e.claims.length === 0) {
      rows.push(`<tr class="report"><td>${link}</td><td colspan="3">(no claims)</td><td>-</td><td class="num">${secs}</td></tr>`);
    }
    e.claims.forEach((c, i) => {
      const status = claimStatus(c);
      rows.push(
        `<tr class="${statusClass(status)}"><td>${link}</td><td>${escapeHtml(c.claim)}</td><td class="num">${escapeHtml(formatValue(c.measured))}</td>` +
          `<td>${escapeHtml(c.expected)}</td><td>${escapeHtml(status)}</td><td class="num">${i === 0 && e.error === undefined ? secs : ''}</td></tr>`,
      );
    });
  }
  return `<table class="claims"><thead><tr><th>experiment</th><th>claim</th><th>measured</th><th>expected</th><th>result</th><th>seconds</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

async function experimentSection(e: ExperimentRecord, index: number): Promise<string> {
  const parts: string[] = [];
  parts.push(`<section id="${anchor(e.id)}"><h2>${escapeHtml(e.title)}</h2>`);
  parts.push(
    `<p class="meta"><code>${escapeHtml(e.id)}</code> · ${escapeHtml(e.plugin)} · card <code>${escapeHtml(e.card)}</code> · ${escapeHtml(e.seconds.toFixed(2))} s</p>`,
  );
  parts.push(`<p class="paper">Paper: ${paperHtml(e.paper)}</p>`);
  if (e.error !== undefined) parts.push(`<div class="error">The experiment threw: ${escapeHtml(e.error)}</div>`);
  for (let p = 0; p < e.plots.length; p++) parts.push(await renderPlot(e.plots[p], `e${index}p${p}-`));
  for (const t of e.tables) parts.push(renderTable(t));
  if (e.notes.length) parts.push(`<ul class="notes">${e.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`);
  parts.push('</section>');
  return parts.join('\n');
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#1b1b1b}
h1{margin-bottom:.2rem}h2{margin-top:2.5rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.pass td{background:#e9f7ec}tr.fail td{background:#fde8e8}tr.report td{background:#f6f3e6}
.summary{font-size:1.1rem;padding:.5rem .8rem;border-radius:4px;display:inline-block}
.summary.ok{background:#e9f7ec}.summary.bad{background:#fde8e8}
.error{background:#fde8e8;border-left:4px solid #c62828;padding:.5rem .8rem;margin:.8rem 0;white-space:pre-wrap}
.meta{color:#555}figure{margin:1rem 0}figcaption{color:#555;font-size:.9rem}caption{text-align:left;font-weight:600;padding-bottom:.3rem}
dl.machine{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dl.machine dt{font-weight:600}dl.machine dd{margin:0}
`;

/** The report as a self-contained HTML page. All text coming from plugins is escaped. */
export async function renderReport(report: ReproduceReport): Promise<string> {
  const m = report.machine;
  const s = report.summary;
  const machine: [string, string][] = [
    ['CPU', m.cpu],
    ['cores', String(m.cores)],
    ['memory', `${formatBytes(m.memory.totalBytes)} total, ${formatBytes(m.memory.freeBytes)} free at start`],
    ['OS', m.os],
    ['Node.js', m.node],
    ...(m.tfBackend ? ([['tfjs backend', m.tfBackend]] as [string, string][]) : []),
    ['optkit packages', Object.entries(report.versions).map(([k, v]) => `${k} ${v}`).join(', ') || '-'],
    ['options', `quick: ${report.options.quick}, seed: ${report.options.seed}, threads: ${report.options.threads}`],
  ];
  const summary =
    s.experiments === 0
      ? 'No experiments are registered: install optkit plugin packages or pass --plugin to add some.'
      : `${s.experiments} experiment${s.experiments === 1 ? '' : 's'}, ${s.claims} claims: ${s.passed} passed, ${s.failed} failed, ` +
        `${s.reportOnly} report-only, ${s.errors} experiment${s.errors === 1 ? '' : 's'} threw`;
  const sections: string[] = [];
  for (let i = 0; i < report.experiments.length; i++) sections.push(await experimentSection(report.experiments[i], i));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>optkit reproduce report</title>
<style>${CSS}</style>
</head>
<body>
<h1>optkit reproduce report</h1>
<p>Run on ${escapeHtml(report.date)}</p>
<p class="summary ${s.ok ? 'ok' : 'bad'}">${escapeHtml(summary)}</p>
<h2>Machine</h2>
<dl class="machine">${machine.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>
${report.experiments.length ? `<h2>Claims</h2>\n${claimsTable(report.experiments)}` : ''}
${sections.join('\n')}
</body>
</html>
`;
}

/**
 * Writes `<outDir>/results.json` and, unless `html` is false, `<outDir>/index.html`; creates the
 * folder. Returns the paths written.
 */
export async function writeReport(report: ReproduceReport, outDir: string, options: { html?: boolean } = {}): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  const jsonPath = join(outDir, 'results.json');
  await writeFile(jsonPath, `${JSON.stringify(resultsJson(report), null, 2)}\n`);
  written.push(jsonPath);
  if (options.html !== false) {
    const htmlPath = join(outDir, 'index.html');
    await writeFile(htmlPath, await renderReport(report));
    written.push(htmlPath);
  }
  return written;
}
