// Optimizers updating [{W, b}, …] in place: an exact mirror of src/edgeward/train/optim.py. Adam (Kingma
// & Ba) with bias correction, beta^t kept as running products; SGD with velocity v = momentum * v + g.

export const BETA1 = 0.9;
export const BETA2 = 0.999;
export const EPSILON = 1e-8;

/** @typedef {import('./backprop.js').Layer} Layer */

/** @param {Layer[]} layers @returns {Float64Array[]} W, b, W, b, … */
const flat = (layers) => layers.flatMap((l) => [l.W.data, l.b]);

export class Adam {
  /** @param {Layer[]} layers @param {number} lr */
  constructor(layers, lr, beta1 = BETA1, beta2 = BETA2, epsilon = EPSILON) {
    this.lr = lr;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.m = flat(layers).map((p) => new Float64Array(p.length));
    this.v = flat(layers).map((p) => new Float64Array(p.length));
    this.power1 = 1.0; // beta1 ** t
    this.power2 = 1.0;
  }

  /** @param {Layer[]} layers @param {Layer[]} grads */
  step(layers, grads) {
    const { lr, beta1, beta2, epsilon } = this;
    this.power1 *= beta1;
    this.power2 *= beta2;
    const gs = flat(grads);
    flat(layers).forEach((p, k) => {
      const g = gs[k];
      const m = this.m[k];
      const v = this.v[k];
      for (let i = 0; i < p.length; i++) {
        m[i] = beta1 * m[i] + (1.0 - beta1) * g[i];
        v[i] = beta2 * v[i] + (1.0 - beta2) * (g[i] * g[i]);
        const mHat = m[i] / (1.0 - this.power1);
        const vHat = v[i] / (1.0 - this.power2);
        p[i] -= lr * mHat / (Math.sqrt(vHat) + epsilon);
      }
    });
  }
}

export class Sgd {
  /** @param {Layer[]} layers @param {number} lr @param {number} [momentum] */
  constructor(layers, lr, momentum = 0.0) {
    this.lr = lr;
    this.momentum = momentum;
    this.velocity = flat(layers).map((p) => new Float64Array(p.length));
  }

  /** @param {Layer[]} layers @param {Layer[]} grads */
  step(layers, grads) {
    const gs = flat(grads);
    flat(layers).forEach((p, k) => {
      const g = gs[k];
      const vel = this.velocity[k];
      for (let i = 0; i < p.length; i++) {
        vel[i] = this.momentum * vel[i] + g[i];
        p[i] -= this.lr * vel[i];
      }
    });
  }
}
