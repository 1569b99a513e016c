import { postBytesWithFetch } from "./post-bytes-with-fetch";
import type { SlackApi } from "./slack-api";
import type { CallOptions } from "./slack-caller";

/** What the upload flow needs: Web API calls and the bytes' POST. `SlackCaller` is one (with retries). */
export interface FileUploader {
  call(method: string, args: Record<string, unknown>, options?: CallOptions): Promise<Record<string, unknown>>;
  uploadBytes(url: string, bytes: Buffer): Promise<void>;
}

/** Straight to `api`, each call tried once (a person's command, who sees a failure and can ask again). */
export function directUploader(api: SlackApi): FileUploader {
  return { call: (method, args) => api.apiCall(method, args), uploadBytes: (url, bytes) => (api.uploadBytes !== undefined ? api.uploadBytes(url, bytes) : postBytesWithFetch(url, bytes)) };
}

/**
 * Shares a text file in a channel (or a thread) with Slack's external upload
 * flow, which `files.uploadV2` is made of: files.getUploadURLExternal, a POST
 * of the bytes to the URL it gives, files.completeUploadExternal.
 *
 * Through a `SlackCaller`, the first two are tried again after a 5xx or a
 * network failure: a ticket unused and bytes never completed are shared
 * nowhere. The share itself is not: it may have taken effect, and Slack
 * gives no way to look for it by our key as a message's metadata does, so a
 * failed share is given up on (the report is missing, said in the log)
 * rather than risk the report twice. A 429 on it was not applied and waits.
 */
export async function uploadTextFile(via: FileUploader, file: { readonly filename: string; readonly title: string; readonly content: string; readonly channel: string; readonly threadTs?: string }): Promise<string> {
  const bytes = Buffer.from(file.content, "utf8");
  const ticket = await via.call("files.getUploadURLExternal", { filename: file.filename, length: bytes.length });
  const url = ticket.upload_url;
  const id = ticket.file_id;
  if (typeof url !== "string" || typeof id !== "string") throw new Error("files.getUploadURLExternal answered without upload_url and file_id");
  await via.uploadBytes(url, bytes);
  await via.call(
    "files.completeUploadExternal",
    {
      files: JSON.stringify([{ id, title: file.title }]),
      channel_id: file.channel,
      ...(file.threadTs !== undefined ? { thread_ts: file.threadTs } : {}),
    },
    { onAmbiguous: "give-up" },
  );
  return id;
}
