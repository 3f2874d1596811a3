// The colour of a province or sector tile by its open warnings: 0 is grey, then five steps
// from pale yellow to dark red. Steps are relative to the largest value (at least 5) so that
// a quiet day still shows where the warnings are.

export const SCALE_COLOURS = ['#eef1f4', '#fff1c2', '#ffd07a', '#fb9a4b', '#e4572e', '#a3122a'];

/** Upper bounds of steps 1..5 for a maximum (the legend), rounded up, strictly increasing. */
export function scaleBounds(max: number): number[] {
  const m = Math.max(5, Math.ceil(max));
  const out: number[] = [];
  for (let i = 1; i <= 5; i++) {
    const b = Math.ceil((m * i) / 5);
    out.push(Math.max(b, (out[out.length - 1] ?? 0) + 1));
  }
  return out;
}

/** Step 0..5 of a value given the maximum over the tiles. */
export function scaleStep(value: number, max: number): number {
  if (!(value > 0)) return 0;
  const bounds = scaleBounds(max);
  for (let i = 0; i < bounds.length; i++) if (value <= bounds[i]) return i + 1;
  return 5;
}

export function scaleColour(value: number, max: number): string {
  return SCALE_COLOURS[scaleStep(value, max)];
}

/** Dark steps need white text. */
export function scaleIsDark(step: number): boolean {
  return step >= 4;
}
