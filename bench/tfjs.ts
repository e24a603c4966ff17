import type * as TF from '@tensorflow/tfjs';

/**
 * TensorFlow.js (cpu backend) on the seed's LSTM without the embedding: LSTM(128 → 64) on
 * (B, T, 128) features → Dense(2), Adam(1e-3), softmax cross-entropy, one trainOnBatch per step.
 * Median of `reps` steps after one warm-up step; null when @tensorflow/tfjs is not installed.
 */
export async function tfjsLstmStep(
  B: number,
  T: number,
  reps: number,
): Promise<{ trainMs: number; version: string } | null> {
  let tf: typeof TF;
  try {
    tf = await import('@tensorflow/tfjs');
  } catch {
    return null;
  }
  await tf.setBackend('cpu');
  const model = tf.sequential();
  model.add(tf.layers.lstm({ units: 64, inputShape: [T, 128] }));
  model.add(tf.layers.dense({ units: 2 }));
  model.compile({
    optimizer: tf.train.adam(1e-3),
    loss: (y: TF.Tensor, p: TF.Tensor) => tf.losses.softmaxCrossEntropy(y, p),
  });
  const x = tf.randomNormal([B, T, 128]);
  const y = tf.oneHot(tf.randomUniform([B], 0, 2, 'int32') as TF.Tensor1D, 2);
  const times: number[] = [];
  for (let i = 0; i <= reps; i++) {
    const t0 = performance.now();
    await model.trainOnBatch(x, y);
    if (i > 0) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { trainMs: times[times.length >> 1]!, version: tf.version.tfjs };
}
