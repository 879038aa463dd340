/**
 * Horizontal bar charts as SVG, and SVG → PNG. Hand-written SVG rather than a charting library:
 * the plots are two bar panels, and this keeps the output deterministic and the dependencies to
 * one rasteriser (`@resvg/resvg-js`, prebuilt napi binaries from npm, no native build step).
 */
import { Resvg } from '@resvg/resvg-js';

/** One series of bars (one colour in the legend). */
export interface BarSeries {
  name: string;
  /** CSS colour. */
  color: string;
  /** One value per category (NaN or negative draws no bar). */
  values: number[];
}

/** One panel: categories down the side, one bar per series (grouped) or one stacked bar per category. */
export interface BarPanel {
  title: string;
  /** Axis label under the panel. */
  axisLabel: string;
  series: BarSeries[];
  /** Stack the series in one bar per category instead of grouping them. */
  stacked?: boolean;
  /** Axis maximum (e.g. 100 for scores); computed from the data when absent. */
  max?: number;
  /** Digits after the point in the value labels. */
  digits?: number;
}

/** A figure: a title, the shared category labels, and panels side by side. */
export interface BarFigure {
  title: string;
  subtitle?: string;
  categories: string[];
  /** Categories whose labels are bold (e.g. the split mean). */
  boldCategories?: string[];
  panels: BarPanel[];
}

/** Colours for series, colour-blind safe (Okabe-Ito). */
export const SERIES_COLORS: readonly string[] = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00'];

const FONT = 'DejaVu Sans, sans-serif';
const FONT_SIZE = 12;
/** DejaVu Sans' mean advance at 12 px is about 7 px; a little more so labels never clip. */
const CHAR_WIDTH = 7.2;
const PANEL_WIDTH = 360;
const PANEL_GAP = 40;
const MARGIN = 16;

/** Renders a figure as an SVG document. */
export function barFigureSvg(figure: BarFigure): string {
  const labelWidth = Math.min(60, Math.max(8, ...figure.categories.map((c) => c.length))) * CHAR_WIDTH + 12;
  const maxSeries = Math.max(1, ...figure.panels.map((p) => (p.stacked ? 1 : p.series.length)));
  const barHeight = 12;
  const rowHeight = maxSeries * barHeight + 8;
  const legendRows = Math.max(1, ...figure.panels.map((p) => legendLines(p).length));
  const top = MARGIN + 22 + (figure.subtitle ? 18 : 0) + 22 + legendRows * 16 + 6;
  const plotHeight = figure.categories.length * rowHeight;
  const height = top + plotHeight + 44;
  const width = MARGIN + labelWidth + figure.panels.length * (PANEL_WIDTH + PANEL_GAP) + MARGIN;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" font-size="${FONT_SIZE}">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    text(MARGIN, MARGIN + 14, figure.title, { size: 16, weight: 'bold' }),
  ];
  if (figure.subtitle) parts.push(text(MARGIN, MARGIN + 32, figure.subtitle, { fill: '#555555' }));
  figure.categories.forEach((c, i) => {
    if (i % 2 === 1) parts.push(bar(MARGIN, top + i * rowHeight, width - 2 * MARGIN, rowHeight, '#f4f4f4'));
  });
  figure.categories.forEach((c, i) => {
    const y = top + i * rowHeight + rowHeight / 2 + 4;
    const weight = figure.boldCategories?.includes(c) ? 'bold' : undefined;
    parts.push(text(MARGIN + labelWidth - 8, y, truncate(c, 60), { anchor: 'end', weight }));
  });
  figure.panels.forEach((panel, p) => {
    const x0 = MARGIN + labelWidth + p * (PANEL_WIDTH + PANEL_GAP);
    parts.push(...panelSvg(panel, figure.categories.length, x0, top, rowHeight, barHeight, legendRows));
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function panelSvg(
  panel: BarPanel,
  categories: number,
  x0: number,
  top: number,
  rowHeight: number,
  barHeight: number,
  legendRows: number,
): string[] {
  const out: string[] = [];
  const totals = Array.from({ length: categories }, (_, i) =>
    panel.stacked
      ? panel.series.reduce((s, series) => s + positive(series.values[i]), 0)
      : Math.max(0, ...panel.series.map((series) => positive(series.values[i]))),
  );
  const axis =
    panel.max !== undefined ? { max: panel.max, step: niceStep(panel.max / 5) } : niceAxis(Math.max(0, ...totals));
  const max = axis.max;
  const ticks = tickValues(max, axis.step);
  const scale = (v: number) => (max === 0 ? 0 : (v / max) * PANEL_WIDTH);
  const plotBottom = top + categories * rowHeight;
  const legendTop = top - 6 - legendRows * 16;
  out.push(text(x0, legendTop - 10, panel.title, { weight: 'bold', size: 13 }));
  legendLines(panel).forEach((line, row) => {
    let x = x0;
    for (const series of line) {
      const y = legendTop + row * 16;
      out.push(`<rect x="${x}" y="${y}" width="10" height="10" fill="${series.color}"/>`);
      out.push(text(x + 14, y + 9, series.name, { size: 11 }));
      x += 24 + series.name.length * 6.6;
    }
  });
  for (const t of ticks) {
    const x = x0 + scale(t);
    out.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${plotBottom}" stroke="#d0d0d0" stroke-width="1"/>`);
    out.push(text(x, plotBottom + 14, formatTick(t), { anchor: 'middle', size: 11, fill: '#444444' }));
  }
  out.push(`<line x1="${x0}" y1="${top}" x2="${x0}" y2="${plotBottom}" stroke="#333333" stroke-width="1"/>`);
  out.push(text(x0 + PANEL_WIDTH / 2, plotBottom + 32, panel.axisLabel, { anchor: 'middle', fill: '#333333' }));
  const digits = panel.digits ?? 1;
  for (let i = 0; i < categories; i++) {
    const rowTop = top + i * rowHeight + 4;
    if (panel.stacked) {
      let x = x0;
      for (const series of panel.series) {
        const w = scale(positive(series.values[i]));
        if (w > 0) out.push(bar(x, rowTop + (rowHeight - 8 - barHeight) / 2, w, barHeight, series.color));
        x += w;
      }
      out.push(valueLabel(x + 4, rowTop + (rowHeight - 8) / 2 + 4, totals[i], digits));
    } else {
      panel.series.forEach((series, s) => {
        const v = series.values[i];
        const y = rowTop + s * barHeight;
        const w = scale(positive(v));
        if (w > 0) out.push(bar(x0, y, w, barHeight - 1, series.color));
        if (Number.isFinite(v)) out.push(valueLabel(x0 + w + 4, y + barHeight - 2, v, digits));
      });
    }
  }
  return out;
}

/** Legend entries wrapped to the panel's width. */
function legendLines(panel: BarPanel): BarSeries[][] {
  const lines: BarSeries[][] = [[]];
  let x = 0;
  for (const series of panel.series) {
    const w = 24 + series.name.length * 6.6;
    if (x + w > PANEL_WIDTH && lines[lines.length - 1].length > 0) {
      lines.push([]);
      x = 0;
    }
    lines[lines.length - 1].push(series);
    x += w;
  }
  return lines;
}

function bar(x: number, y: number, w: number, h: number, color: string): string {
  return `<rect x="${r(x)}" y="${r(y)}" width="${r(w)}" height="${r(h)}" fill="${color}"/>`;
}

function valueLabel(x: number, y: number, v: number, digits: number): string {
  return text(x, y, v.toFixed(digits), { size: 10, fill: '#222222' });
}

function text(
  x: number,
  y: number,
  content: string,
  opts: { anchor?: 'start' | 'middle' | 'end'; size?: number; weight?: string; fill?: string } = {},
): string {
  const attrs = [`x="${r(x)}"`, `y="${r(y)}"`];
  if (opts.anchor && opts.anchor !== 'start') attrs.push(`text-anchor="${opts.anchor}"`);
  if (opts.size) attrs.push(`font-size="${opts.size}"`);
  if (opts.weight) attrs.push(`font-weight="${opts.weight}"`);
  attrs.push(`fill="${opts.fill ?? '#000000'}"`);
  return `<text ${attrs.join(' ')}>${escapeXml(content)}</text>`;
}

/** Escapes text for SVG/XML content and attributes. */
export function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n - 1) + '…';
}

function positive(v: number | undefined): number {
  return v !== undefined && Number.isFinite(v) && v > 0 ? v : 0;
}

function r(v: number): string {
  return String(Math.round(v * 10) / 10);
}

/** The smallest 1, 2 or 5 × 10^k at or above `v` (1 for 0 or less). */
export function niceStep(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5]) if (m * p >= v * (1 - 1e-9)) return m * p;
  return 10 * p;
}

/** Axis end and tick step for data up to `dataMax`: about five ticks of a 1/2/5 step. */
export function niceAxis(dataMax: number): { max: number; step: number } {
  const step = niceStep(dataMax / 5);
  const max = Math.max(step, Math.ceil(dataMax / step - 1e-9) * step);
  return { max: Math.round(max * 1e9) / 1e9, step };
}

function tickValues(max: number, step: number): number[] {
  const ticks: number[] = [];
  for (let i = 0; i * step <= max * (1 + 1e-9); i++) ticks.push(Math.round(i * step * 1e6) / 1e6);
  return ticks;
}

function formatTick(t: number): string {
  return Number.isInteger(t) ? String(t) : t.toFixed(Math.min(3, Math.max(1, -Math.floor(Math.log10(t)) + 1)));
}

/** Rasterises an SVG document to PNG bytes (DejaVu Sans from the system fonts; 2× zoom for sharp text). */
export function svgToPng(svg: string, zoom = 2): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: zoom },
    background: '#ffffff',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}
