// What the benchmark pages share: the median of a figure's rounds, and ours and raw taking turns.

/** The middle value (the upper middle of an even count). */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Ours and raw taking turns: four warm-up rounds, then eleven measured (their medians are
 * the figure: on 2 cores a round of either side can take twice its median, and five rounds
 * let one or two of those move a ratio by a third). */
export async function rounds(ours: () => Promise<number>, raw: () => Promise<number>, n = 11): Promise<{ o: number[]; b: number[] }> {
  for (let i = 0; i < 4; i++) { await ours(); await raw(); }
  const o: number[] = []; const b: number[] = [];
  for (let i = 0; i < n; i++) { o.push(await ours()); b.push(await raw()); }
  return { o, b };
}
