/** Levenshtein distance (insert, delete, substitute, each cost 1); used to suggest the nearest valid command. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

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
