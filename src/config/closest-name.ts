import { editDistance } from "../util/edit-distance";

/**
 * The candidate a typo most likely meant, for "did you mean" hints: the
 * nearest by edit distance (a swap of two neighbours counts as one edit),
 * within 1 edit for short names and 2 for longer ones; case is ignored.
 */
export function closestName(typo: string, candidates: readonly string[]): string | undefined {
  const limit = typo.length <= 4 ? 1 : 2;
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(typo.toLowerCase(), name.toLowerCase());
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}
