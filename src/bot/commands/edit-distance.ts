import { editDistance } from "../../util/edit-distance";

export { editDistance };

/** The candidates at the smallest distance from `input`, if that distance is small enough to be a typo. */
export function nearest(input: string, candidates: readonly string[], maxDistance = typoBudget(input)): string[] {
  let best = Number.POSITIVE_INFINITY;
  let found: string[] = [];
  for (const candidate of candidates) {
    const d = editDistance(input.toLowerCase(), candidate.toLowerCase());
    if (d < best) {
      best = d;
      found = [candidate];
    } else if (d === best && !found.includes(candidate)) {
      found.push(candidate);
    }
  }
  return best <= maxDistance ? found : [];
}

/** About one typo per three characters, at least two: "recovr" -> "recover", but "launch" is not "status". */
export function typoBudget(input: string): number {
  return Math.max(2, Math.floor(input.length / 3));
}
