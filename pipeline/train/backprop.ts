/**
 * Forward and backward passes of a stack of dense layers over Float32Arrays,
 * with every buffer allocated once for the largest batch: the step a training
 * loop repeats thousands of times allocates nothing.
 *
 * Parameters are laid out as tfjs-layers keeps them (kernel [in, out] row-major,
 * then bias, per layer), so they move in and out of a LayersModel unchanged.
 */
import type { ModelConfig } from '../config/schema.js';
import { activate, backActivate, type Activation } from './activations.js';
import { gemm, rowMajor, transposed } from './gemm.js';

const EPSILON = 1e-7;

export interface StackShape {
  /** Units per layer, input first: [inputs, ...hidden, outputs]. */
  dims: readonly number[];
  activation: Activation;
  task: ModelConfig['task'];
  dropout: number;
}

export interface Targets {
  /** Class indices (classification) or values (regression), one per row. */
  y: Int32Array | Float32Array;
}

export class DenseStack {
  /** [kernel0, bias0, kernel1, bias1, …] in tfjs getWeights() order. */
  readonly params: Float32Array[];
  readonly grads: Float32Array[];
  private readonly z: Float32Array[];
  private readonly h: Float32Array[];
  /** Dropout: per element 0 (dropped) or 1/keep, and the layer output times it. */
  private readonly scale: Float32Array[];
  private readonly dropped: Float32Array[];
  private readonly dz: Float32Array[];
  private readonly layers: number;

  constructor(
    readonly shape: StackShape,
    /** Most rows one pass handles. */
    readonly capacity: number,
    initial: readonly Float32Array[],
  ) {
    const { dims } = shape;
    this.layers = dims.length - 1;
    this.params = initial.map((p) => Float32Array.from(p));
    this.grads = initial.map((p) => new Float32Array(p.length));
    const perLayer = () =>
      Array.from({ length: this.layers }, (_, l) => new Float32Array(capacity * dims[l + 1]!));
    this.z = perLayer();
    this.h = perLayer();
    this.dz = perLayer();
    this.scale = shape.dropout > 0 ? perLayer() : [];
    this.dropped = shape.dropout > 0 ? perLayer() : [];
  }

  /** What layer l reads: the input rows, or the previous layer's output (after dropout). */
  private input(l: number, x: Float32Array, training: boolean): Float32Array {
    if (l === 0) return x;
    return training && this.dropped.length ? this.dropped[l - 1]! : this.h[l - 1]!;
  }

  /**
   * Outputs for `rows` rows of x: class probabilities or values, as a view valid
   * until the next pass. `random` draws dropout masks when training.
   */
  forward(x: Float32Array, rows: number, training: boolean, random?: () => number): Float32Array {
    const { dims, activation, task, dropout } = this.shape;
    for (let l = 0; l < this.layers; l++) {
      const inDim = dims[l]!;
      const outDim = dims[l + 1]!;
      const z = this.z[l]!;
      gemm(
        rows,
        outDim,
        inDim,
        rowMajor(this.input(l, x, training), inDim),
        rowMajor(this.params[2 * l]!, outDim),
        z,
      );
      const bias = this.params[2 * l + 1]!;
      for (let r = 0, o = 0; r < rows; r++) for (let j = 0; j < outDim; j++, o++) z[o]! += bias[j]!;
      const h = this.h[l]!;
      const count = rows * outDim;
      if (l < this.layers - 1) {
        activate(activation, z, h, count);
        if (training && dropout > 0) {
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
  lossAndGradients(
    x: Float32Array,
    rows: number,
    targets: Int32Array | Float32Array,
    backward: boolean,
  ): number {
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
      const input = this.input(l, x, true);
      gemm(inDim, outD, rows, transposed(input, inDim), rowMajor(dz, outD), this.grads[2 * l]!);
      const gb = this.grads[2 * l + 1]!.fill(0);
      for (let r = 0, o = 0; r < rows; r++) for (let j = 0; j < outD; j++, o++) gb[j]! += dz[o]!;
      if (l === 0) break;
      const prev = this.dz[l - 1]!;
      gemm(rows, inDim, outD, rowMajor(dz, outD), transposed(this.params[2 * l]!, outD), prev);
      const count = rows * inDim;
      if (this.scale.length) {
        const scale = this.scale[l - 1]!;
        for (let i = 0; i < count; i++) prev[i]! *= scale[i]!;
      }
      backActivate(activation, this.z[l - 1]!, this.h[l - 1]!, prev, count);
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
