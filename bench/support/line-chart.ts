/**
 * Line charts as hand-written SVG (the eval plots' approach, `src/eval/chart.ts`): panels side by
 * side, one line per series over a shared x axis. Used by `bench/tokens.ts` for prompt tokens per
 * step against the step index.
 */
import { escapeXml, niceAxis } from '../../src/eval/chart';

/** One line: y values at x = 0, 1, 2, ... (NaN leaves a gap). */
export interface LineSeries {
  name: string;
  color: string;
  values: number[];
  /** Dashed line (e.g. a baseline). */
  dashed?: boolean;
}

/** One panel of a line figure. */
export interface LinePanel {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
}

/** A figure: title, optional subtitle, panels side by side, one shared legend. */
export interface LineFigure {
  title: string;
  subtitle?: string;
  panels: LinePanel[];
}

const FONT = 'DejaVu Sans, sans-serif';
const W = 440;
const H = 300;
const LEFT = 60;
const GAP = 40;
const MARGIN = 16;

/** Renders the figure as an SVG document. */
export function lineFigureSvg(figure: LineFigure): string {
  const legend = [...new Map(figure.panels.flatMap((p) => p.series).map((s) => [s.name, s])).values()];
  const top = MARGIN + 22 + (figure.subtitle ? 18 : 0) + 28;
  const legendTop = top + H + 50;
  const width = MARGIN * 2 + figure.panels.length * (LEFT + W) + (figure.panels.length - 1) * GAP;
  const height = legendTop + legend.length * 16 + MARGIN;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="${FONT}" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    text(MARGIN, MARGIN + 14, figure.title, 'font-size="15" font-weight="bold"'),
  ];
  if (figure.subtitle) parts.push(text(MARGIN, MARGIN + 32, figure.subtitle, 'fill="#444444"'));
  figure.panels.forEach((panel, i) => parts.push(panelSvg(panel, MARGIN + i * (LEFT + W + GAP) + LEFT, top)));
  legend.forEach((s, i) => {
    const y = legendTop + i * 16;
    parts.push(
      `<line x1="${MARGIN}" y1="${y - 4}" x2="${MARGIN + 24}" y2="${y - 4}" stroke="${s.color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
      text(MARGIN + 30, y, s.name),
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function panelSvg(panel: LinePanel, x0: number, y0: number): string {
  const n = Math.max(2, ...panel.series.map((s) => s.values.length));
  const yMaxData = Math.max(1, ...panel.series.flatMap((s) => s.values.filter(Number.isFinite)));
  const y = niceAxis(yMaxData);
  const x = niceAxis(n - 1);
  const px = (i: number) => x0 + (i / x.max) * W;
  const py = (v: number) => y0 + H - (v / y.max) * H;
  const parts = [text(x0, y0 - 4, panel.title, 'font-weight="bold"')];
  parts.push(`<rect x="${x0}" y="${y0}" width="${W}" height="${H}" fill="none" stroke="#999999"/>`);
  for (let v = 0; v <= y.max + 1e-9; v += y.step) {
    parts.push(`<line x1="${x0}" y1="${py(v)}" x2="${x0 + W}" y2="${py(v)}" stroke="#eeeeee"/>`);
    parts.push(text(x0 - 6, py(v) + 4, String(Math.round(v)), 'text-anchor="end"'));
  }
  for (let v = 0; v <= x.max + 1e-9; v += x.step)
    parts.push(text(px(v), y0 + H + 16, String(Math.round(v)), 'text-anchor="middle"'));
  parts.push(text(x0 + W / 2, y0 + H + 34, panel.xLabel, 'text-anchor="middle"'));
  parts.push(
    `<text x="${x0 - 44}" y="${y0 + H / 2}" transform="rotate(-90 ${x0 - 44} ${y0 + H / 2})" text-anchor="middle">${escapeXml(panel.yLabel)}</text>`,
  );
  for (const s of panel.series) {
    // Runs of finite values become one polyline each (a NaN breaks the line).
    let run: string[] = [];
    const flush = () => {
      if (run.length > 1)
        parts.push(
          `<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''} points="${run.join(' ')}"/>`,
        );
      run = [];
    };
    s.values.forEach((v, i) => (Number.isFinite(v) ? run.push(`${px(i).toFixed(1)},${py(v).toFixed(1)}`) : flush()));
    flush();
  }
  return parts.join('\n');
}

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${x}" y="${y}" ${attrs}>${escapeXml(content)}</text>`;
}
