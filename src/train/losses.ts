/**
 * Training losses, one line each, named after the papers. Logits in, a scalar
 * (mean over the batch) out.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Discriminator logistic loss (Goodfellow et al. 2014; StyleGAN2 `d_logistic_loss`):
 * `mean(softplus(D(fake))) + mean(softplus(-D(real)))`.
 *
 * @example
 * ```ts
 * const loss = dLogisticLoss(dReal, dFake); // scalar
 * ```
 */
export const dLogisticLoss = (realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar =>
  tf.tidy(() => tf.add(tf.mean(tf.softplus(fakeLogits)), tf.mean(tf.softplus(tf.neg(realLogits)))));

/**
 * Generator non-saturating loss (Goodfellow et al. 2014; StyleGAN2 `g_nonsaturating_loss`):
 * `mean(softplus(-D(G(z))))`.
 *
 * @example
 * ```ts
 * const loss = gNonSaturatingLoss(dFake);
 * ```
 */
export const gNonSaturatingLoss = (fakeLogits: tf.Tensor): tf.Scalar => tf.tidy(() => tf.mean(tf.softplus(tf.neg(fakeLogits))));

/**
 * Discriminator hinge loss (Lim & Ye 2017; BigGAN): `mean(relu(1 - D(real))) + mean(relu(1 + D(fake)))`.
 *
 * @example
 * ```ts
 * const loss = dHingeLoss(dReal, dFake);
 * ```
 */
export const dHingeLoss = (realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar =>
  tf.tidy(() => tf.add(tf.mean(tf.relu(tf.sub(1, realLogits))), tf.mean(tf.relu(tf.add(1, fakeLogits)))));

/**
 * Generator hinge loss (BigGAN): `-mean(D(G(z)))`.
 *
 * @example
 * ```ts
 * const loss = gHingeLoss(dFake);
 * ```
 */
export const gHingeLoss = (fakeLogits: tf.Tensor): tf.Scalar => tf.tidy(() => tf.neg(tf.mean(fakeLogits)));

/**
 * Binary cross-entropy on logits, numerically stable form
 * `max(x,0) - x·y + log(1 + exp(-|x|))`, mean over all elements.
 *
 * @example
 * ```ts
 * const loss = bceWithLogits(logits, masks); // logits, masks [N,H,W,1]
 * ```
 */
export const bceWithLogits = (logits: tf.Tensor, targets: tf.Tensor): tf.Scalar =>
  tf.tidy(() => tf.mean(tf.add(tf.sub(tf.relu(logits), tf.mul(logits, targets)), tf.softplus(tf.neg(tf.abs(logits))))));

/**
 * Soft Dice loss on probabilities `sigmoid(logits)`, per image then averaged:
 * `1 - (2·Σpy + ε) / (Σp + Σy + ε)` with ε = 1 (Milletari et al. 2016, smoothed as Pytorch-UNet).
 *
 * @example
 * ```ts
 * const loss = diceLoss(logits, masks); // [N,H,W,1] each
 * ```
 */
export const diceLoss = (logits: tf.Tensor4D, targets: tf.Tensor4D, eps = 1): tf.Scalar =>
  tf.tidy(() => {
    const p = tf.sigmoid(logits);
    const inter = tf.sum(tf.mul(p, targets), [1, 2, 3]);
    const denom = tf.add(tf.sum(p, [1, 2, 3]), tf.sum(targets, [1, 2, 3]));
    return tf.mean(tf.sub(1, tf.div(tf.add(tf.mul(2, inter), eps), tf.add(denom, eps))));
  });

/**
 * Categorical cross-entropy of K-class logits against class probabilities (one-hot for hard masks),
 * `−Σ_k y_k · log softmax(x)_k`, mean over pixels and images.
 *
 * @example
 * ```ts
 * const loss = softmaxCrossEntropy(logits, masks); // [N,H,W,K] each
 * ```
 */
export const softmaxCrossEntropy = (logits: tf.Tensor4D, targets: tf.Tensor4D): tf.Scalar =>
  tf.tidy(() => tf.mean(tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits, 3)), 3))));

/**
 * Soft Dice loss of K-class probabilities `softmax(logits)` against class masks: per image and class
 * `1 − (2·Σpy + ε) / (Σp + Σy + ε)` (ε = 1), averaged over classes and images.
 *
 * @example
 * ```ts
 * const loss = softmaxDiceLoss(logits, masks); // [N,H,W,K] each
 * ```
 */
export const softmaxDiceLoss = (logits: tf.Tensor4D, targets: tf.Tensor4D, eps = 1): tf.Scalar =>
  tf.tidy(() => {
    const p = tf.softmax(logits, 3);
    const inter = tf.sum(tf.mul(p, targets), [1, 2]);
    const denom = tf.add(tf.sum(p, [1, 2]), tf.sum(targets, [1, 2]));
    return tf.mean(tf.sub(1, tf.div(tf.add(tf.mul(2, inter), eps), tf.add(denom, eps))));
  });
