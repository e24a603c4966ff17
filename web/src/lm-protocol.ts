/** Messages between the page's generate panel and its language-model worker. */

export interface LmRequest {
  text: string;
  prompt: string;
  length: number;
  epochs: number;
  hidden: number;
  seed: number;
}

export type LmReply =
  | { type: 'data'; backend: string; train: number; vocabulary: number }
  | { type: 'eval'; epoch: number; nats: number; seconds: number }
  | { type: 'trained'; nats: number }
  | { type: 'token'; text: string }
  | { type: 'done' }
  | { type: 'error'; message: string };
