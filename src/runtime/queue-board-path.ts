/** Where the operations server serves Bull Board (`queue-board.ts`, loaded only when it is configured). */
export const QUEUE_BOARD_PATH = "/admin/queues";

export function isQueueBoardUrl(url: string): boolean {
  return url === QUEUE_BOARD_PATH || url.startsWith(`${QUEUE_BOARD_PATH}/`) || url.startsWith(`${QUEUE_BOARD_PATH}?`);
}
