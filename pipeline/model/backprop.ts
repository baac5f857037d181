/**
 * Forward and backward passes of a stack of dense layers over Float32Arrays,
 * with every buffer allocated once for the largest batch (matmul.ts): the step
 * a training loop repeats thousands of times allocates nothing.
 *
 * Parameters are laid out as tfjs-layers keeps them (kernel [in, out] row-major,
 * then bias, per layer), so they move in and out of a LayersModel unchanged.
 */
import type { ModelConfig } from '../config/schema.js';
import { activate, backActivate, type Activation } from './activations.js';
import { createMatMul, type MatMul } from './matmul.js';

const EPSILON = 1e-7;

export interface StackShape {
  /** Units per layer, input first: [inputs, ...hidden, outputs]. */
  dims: readonly number[];
  activation: Activation;
  task: ModelConfig['task'];
  dropout: number;
}

export class DenseStack {
  /** [kernel0, bias0, kernel1, bias1, …] in tfjs getWeights() order. */
  readonly params: Float32Array[];
  readonly grads: Float32Array[];
  /** Rows for the next forward pass go here (capacity × inputs); forward copies others in. */
  readonly input: Float32Array;
  private readonly z: Float32Array[];
  private readonly h: Float32Array[];
  /** Dropout: per element 0 (dropped) or 1/keep, and the layer output times it. */
  private readonly scale: Float32Array[];
  private readonly dropped: Float32Array[];
  private readonly dz: Float32Array[];
  /** Room for one transposed kernel, for the input gradient dZ·Wᵀ. */
  private readonly kernelT: Float32Array;
  private readonly layers: number;
  private readonly mm: MatMul;
  /** Whether the last forward pass applied dropout. */
  private trained = false;

  constructor(
    readonly shape: StackShape,
    /** Most rows one pass handles. */
    readonly capacity: number,
    initial: readonly Float32Array[],
    options: { useWasm?: boolean } = {},
  ) {
    const { dims } = shape;
    this.layers = dims.length - 1;
    const units = dims.slice(1).reduce((a, b) => a + b, 0);
    const perRow = units * (shape.dropout > 0 ? 5 : 3);
    const paramCount = initial.reduce((a, p) => a + p.length, 0);
    const widest = Math.max(...dims.slice(1).map((d, l) => d * dims[l]!));
    this.mm = createMatMul(capacity * (perRow + dims[0]!) + 2 * paramCount + widest, options);
    this.params = initial.map((p) => {
      const copy = this.mm.alloc(p.length);
      copy.set(p);
      return copy;
    });
    this.grads = initial.map((p) => this.mm.alloc(p.length));
    this.input = this.mm.alloc(capacity * dims[0]!);
    const perLayer = () =>
      Array.from({ length: this.layers }, (_, l) => this.mm.alloc(capacity * dims[l + 1]!));
    this.z = perLayer();
    this.h = perLayer();
    this.dz = perLayer();
    this.scale = shape.dropout > 0 ? perLayer() : [];
    this.dropped = shape.dropout > 0 ? perLayer() : [];
    this.kernelT = this.mm.alloc(widest);
  }

  /** What layer l reads: the input rows, or the previous layer's output (after dropout). */
  private layerInput(l: number): Float32Array {
    if (l === 0) return this.input;
    return this.trained && this.dropped.length ? this.dropped[l - 1]! : this.h[l - 1]!;
  }

  /**
   * Outputs for `rows` rows of x (or of `input` when x is omitted): class
   * probabilities or values, as a view valid until the next pass. `random`
   * draws dropout masks when training.
   */
  forward(
    rows: number,
    x: Float32Array | undefined,
    training: boolean,
    random?: () => number,
  ): Float32Array {
    const { dims, activation, task, dropout } = this.shape;
    if (x) this.input.set(x.subarray(0, rows * dims[0]!));
    this.trained = training && dropout > 0;
    for (let l = 0; l < this.layers; l++) {
      const inDim = dims[l]!;
      const outDim = dims[l + 1]!;
      const z = this.z[l]!;
      this.mm.mul(rows, outDim, inDim, this.layerInput(l), inDim, 1, this.params[2 * l]!, z);
      this.mm.addBias(rows, outDim, z, this.params[2 * l + 1]!);
      const h = this.h[l]!;
      const count = rows * outDim;
      if (l < this.layers - 1) {
        if (activation === 'relu') this.mm.relu(count, z, h);
        else activate(activation, z, h, count);
        if (this.trained) {
          // Inverted dropout, as tf.dropout: keep with probability 1 - rate, scale up.
          const keep = 1 - dropout;
          const scale = this.scale[l]!;
          const out = this.dropped[l]!;
          for (let i = 0; i < count; i++) {
            scale[i] = random!() < keep ? 1 / keep : 0;
            out[i] = h[i]! * scale[i]!;
          }
        }
      } else if (task === 'classification') softmaxRows(z, h, rows, outDim);
      else h.set(z.subarray(0, count));
    }
    return this.h[this.layers - 1]!;
  }

  /**
   * Mean loss of the last forward pass against the targets, and (when `backward`)
   * the gradient of every parameter into `grads`.
   */
  lossAndGradients(rows: number, targets: Int32Array | Float32Array, backward: boolean): number {
    const { dims, task, activation } = this.shape;
    const last = this.layers - 1;
    const outDim = dims[this.layers]!;
    const out = this.h[last]!;
    const delta = this.dz[last]!;
    let loss = 0;
    if (task === 'classification') {
      // Cross-entropy on clipped probabilities, as Keras; its gradient through
      // the softmax is p - onehot.
      for (let r = 0; r < rows; r++) {
        const t = targets[r]!;
        const p = out[r * outDim + t]!;
        loss -= Math.log(Math.min(Math.max(p, EPSILON), 1 - EPSILON));
        if (backward)
          for (let j = 0; j < outDim; j++)
            delta[r * outDim + j] = (out[r * outDim + j]! - (j === t ? 1 : 0)) / rows;
      }
    } else {
      for (let r = 0; r < rows; r++) {
        const d = out[r]! - targets[r]!;
        loss += d * d;
        if (backward) delta[r] = (2 * d) / rows;
      }
    }
    if (!backward) return loss / rows;
    for (let l = last; l >= 0; l--) {
      const inDim = dims[l]!;
      const outD = dims[l + 1]!;
      const dz = this.dz[l]!;
      // dW = inputᵀ·dZ: the input read transposed through its strides.
      this.mm.mul(inDim, outD, rows, this.layerInput(l), 1, inDim, dz, this.grads[2 * l]!);
      this.mm.colSum(rows, outD, dz, this.grads[2 * l + 1]!);
      if (l === 0) break;
      const prev = this.dz[l - 1]!;
      // dInput = dZ·Wᵀ.
      this.mm.transpose(inDim, outD, this.params[2 * l]!, this.kernelT);
      this.mm.mul(rows, inDim, outD, dz, outD, 1, this.kernelT, prev);
      const count = rows * inDim;
      if (this.scale.length) {
        const scale = this.scale[l - 1]!;
        for (let i = 0; i < count; i++) prev[i]! *= scale[i]!;
      }
      if (activation === 'relu') this.mm.reluBack(count, this.z[l - 1]!, prev);
      else backActivate(activation, this.z[l - 1]!, this.h[l - 1]!, prev, count);
    }
    return loss / rows;
  }
}

function softmaxRows(z: Float32Array, p: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, z[o + j]!);
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(z[o + j]! - max);
      p[o + j] = e;
      sum += e;
    }
    for (let j = 0; j < cols; j++) p[o + j]! /= sum;
  }
}
