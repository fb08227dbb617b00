/**
 * A dependency-free SVG line chart with a logarithmic x axis, for the rounds-versus-N figure.
 */
export interface Series {
  name: string
  color: string
  dashed?: boolean
  points: { x: number; y: number }[]
}

export interface ChartOptions {
  title: string
  xLabel: string
  yLabel: string
  series: Series[]
  width?: number
  height?: number
}

const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

export function lineChartSvg(options: ChartOptions): string {
  const width = options.width ?? 800
  const height = options.height ?? 420
  const margin = { left: 60, right: 220, top: 40, bottom: 50 }
  const xs = options.series.flatMap((s) => s.points.map((p) => p.x))
  const ys = options.series.flatMap((s) => s.points.map((p) => p.y))
  const xMin = Math.log10(Math.min(...xs))
  const xMax = Math.log10(Math.max(...xs))
  const yMax = Math.ceil(Math.max(...ys) / 2) * 2
  const px = (x: number): number => margin.left + ((Math.log10(x) - xMin) / (xMax - xMin || 1)) * (width - margin.left - margin.right)
  const py = (y: number): number => height - margin.bottom - (y / yMax) * (height - margin.top - margin.bottom)
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2 - margin.right / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(options.title)}</text>`,
  ]
  for (let y = 0; y <= yMax; y += 2) {
    parts.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${py(y)}" y2="${py(y)}" stroke="#e5e5e5"/>`)
    parts.push(`<text x="${margin.left - 8}" y="${py(y) + 4}" text-anchor="end">${y}</text>`)
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    parts.push(`<line x1="${px(x)}" x2="${px(x)}" y1="${py(0)}" y2="${py(0) + 5}" stroke="#333"/>`)
    parts.push(`<text x="${px(x)}" y="${py(0) + 20}" text-anchor="middle">${x.toLocaleString('en-US')}</text>`)
  }
  parts.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${py(0)}" y2="${py(0)}" stroke="#333"/>`)
  parts.push(`<line x1="${margin.left}" x2="${margin.left}" y1="${py(0)}" y2="${margin.top}" stroke="#333"/>`)
  parts.push(`<text x="${(margin.left + width - margin.right) / 2}" y="${height - 10}" text-anchor="middle">${esc(options.xLabel)}</text>`)
  parts.push(`<text transform="translate(16 ${(height - margin.bottom + margin.top) / 2}) rotate(-90)" text-anchor="middle">${esc(options.yLabel)}</text>`)
  options.series.forEach((series, i) => {
    const path = series.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ')
    const dash = series.dashed === true ? ' stroke-dasharray="6 4"' : ''
    parts.push(`<path d="${path}" fill="none" stroke="${series.color}" stroke-width="2"${dash}/>`)
    for (const p of series.points) parts.push(`<circle cx="${px(p.x)}" cy="${py(p.y)}" r="3" fill="${series.color}"/>`)
    const ly = margin.top + 10 + i * 20
    const lx = width - margin.right + 15
    parts.push(`<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${series.color}" stroke-width="2"${dash}/>`)
    parts.push(`<text x="${lx + 30}" y="${ly + 4}">${esc(series.name)}</text>`)
  })
  parts.push('</svg>')
  return parts.join('\n')
}
