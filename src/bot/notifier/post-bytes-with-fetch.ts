import { webApi } from "@slack/bolt";

/**
 * An upload's bytes POSTed with fetch, for a `SlackApi` without `uploadBytes`
 * (WebClient), failing as `createHttpSlackApi`'s `uploadBytes` does, with
 * @slack/web-api's error classes: a non-2xx answer is a `WebAPIHTTPError`,
 * no answer a `WebAPIRequestError`, so `classifySlackError` reads them.
 */
export async function postBytesWithFetch(url: string, bytes: Buffer): Promise<void> {
  let answer: Response;
  try {
    answer = await fetch(url, { method: "POST", body: bytes });
  } catch (err) {
    throw new webApi.WebAPIRequestError(err instanceof Error ? err : new Error(String(err)));
  }
  const text = await answer.text().catch(() => "");
  if (!answer.ok) throw new webApi.WebAPIHTTPError(answer.status, answer.statusText, Object.fromEntries(answer.headers.entries()), text);
}
