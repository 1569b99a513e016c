import type { SlackApi } from "./slack-api";

/**
 * Shares a text file in a channel (or a thread) with Slack's external upload
 * flow, which `files.uploadV2` is made of: files.getUploadURLExternal, a POST
 * of the bytes to the URL it gives, files.completeUploadExternal.
 */
export async function uploadTextFile(api: SlackApi, file: { readonly filename: string; readonly title: string; readonly content: string; readonly channel: string; readonly threadTs?: string }): Promise<string> {
  const bytes = Buffer.from(file.content, "utf8");
  const ticket = await api.apiCall("files.getUploadURLExternal", { filename: file.filename, length: bytes.length });
  const url = ticket.upload_url;
  const id = ticket.file_id;
  if (typeof url !== "string" || typeof id !== "string") throw new Error("files.getUploadURLExternal answered without upload_url and file_id");
  if (api.uploadBytes !== undefined) await api.uploadBytes(url, bytes);
  else {
    const uploaded = await fetch(url, { method: "POST", body: bytes });
    if (!uploaded.ok) throw new Error(`file upload answered HTTP ${uploaded.status}`);
  }
  await api.apiCall("files.completeUploadExternal", {
    files: JSON.stringify([{ id, title: file.title }]),
    channel_id: file.channel,
    ...(file.threadTs !== undefined ? { thread_ts: file.threadTs } : {}),
  });
  return id;
}
