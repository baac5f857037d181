/**
 * The hidden-layer activations of mlops.yaml and their derivatives, computed
 * exactly as tfjs-layers computes the forward pass, so a trained network
 * predicts the same once its weights are in a tfjs LayersModel.
 */
import type { ModelConfig } from '../config/schema.js';

export type Activation = ModelConfig['activation'];
/** relu runs in the matmul engine (WebAssembly), beside the GEMM: these are the others. */
type ScalarActivation = Exclude<Activation, 'relu'>;

// SELU constants as in tfjs-core (Klambauer et al. 2017).
const SELU_SCALE = 1.0507009873554805;
const SELU_ALPHA = 1.6732632423543772;
const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

// tfjs-core's erf (Abramowitz & Stegun 7.1.26), so gelu matches its kernel.
function erf(x: number): number {
  const sign = Math.sign(x);
  const v = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * v);
  const poly =
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  return sign * (1 - poly * Math.exp(-v * v));
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

interface Kernel {
  /** h[i] = f(z[i]) for the first `count` elements. */
  forward(z: Float32Array, h: Float32Array, count: number): void;
  /** g[i] *= f'(z[i]), given z and h = f(z): the chain rule through the activation. */
  backward(z: Float32Array, h: Float32Array, g: Float32Array, count: number): void;
}

// One small function per activation and direction: V8 optimises each tight
// loop on its own, where one switch over all of them ran several times slower.
const KERNELS: Record<ScalarActivation, Kernel> = {
  tanh: {
    forward(z, h, count) {
      for (let i = 0; i < count; i++) h[i] = Math.tanh(z[i]!);
    },
    backward(_z, h, g, count) {
      for (let i = 0; i < count; i++) g[i]! *= 1 - h[i]! * h[i]!;
    },
  },
  sigmoid: {
    forward(z, h, count) {
      for (let i = 0; i < count; i++) h[i] = sigmoid(z[i]!);
    },
    backward(_z, h, g, count) {
      for (let i = 0; i < count; i++) g[i]! *= h[i]! * (1 - h[i]!);
    },
  },
  elu: {
    forward(z, h, count) {
      for (let i = 0; i < count; i++) h[i] = z[i]! > 0 ? z[i]! : Math.expm1(z[i]!);
    },
    backward(z, h, g, count) {
      for (let i = 0; i < count; i++) if (!(z[i]! > 0)) g[i]! *= h[i]! + 1;
    },
  },
  selu: {
    forward(z, h, count) {
      for (let i = 0; i < count; i++)
        h[i] = z[i]! > 0 ? SELU_SCALE * z[i]! : SELU_SCALE * SELU_ALPHA * Math.expm1(z[i]!);
    },
    backward(z, h, g, count) {
      for (let i = 0; i < count; i++)
        g[i]! *= z[i]! > 0 ? SELU_SCALE : h[i]! + SELU_SCALE * SELU_ALPHA;
    },
  },
  swish: {
    forward(z, h, count) {
      for (let i = 0; i < count; i++) h[i] = z[i]! * sigmoid(z[i]!);
    },
    backward(z, _h, g, count) {
      for (let i = 0; i < count; i++) {
        const s = sigmoid(z[i]!);
        g[i]! *= s + z[i]! * s * (1 - s);
      }
    },
  },
  gelu: {
    forward(z, h, count) {
      for (let i = 0; i < count; i++) h[i] = z[i]! * 0.5 * (1 + erf(z[i]! * INV_SQRT2));
    },
    backward(z, _h, g, count) {
      for (let i = 0; i < count; i++) {
        const x = z[i]!;
        g[i]! *= 0.5 * (1 + erf(x * INV_SQRT2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
      }
    },
  },
};

/** h[i] = f(z[i]) for the first `count` elements. */
export function activate(
  kind: ScalarActivation,
  z: Float32Array,
  h: Float32Array,
  count: number,
): void {
  KERNELS[kind].forward(z, h, count);
}

/** g[i] *= f'(z[i]), given z and h = f(z): the chain rule through the activation. */
export function backActivate(
  kind: ScalarActivation,
  z: Float32Array,
  h: Float32Array,
  g: Float32Array,
  count: number,
): void {
  KERNELS[kind].backward(z, h, g, count);
}
