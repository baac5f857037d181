/**
 * Life expectancy as each country's own level and its own trend over the
 * years, plus a small dense net on the year and the country for the rest.
 *
 * The level, the trend and the country's place in the dense net are
 * embeddings: numbers learnt per country and looked up by the country's index
 * (the module takes one input per feature: `inputs = 'features'`). A dense
 * net on the one-hot country column has to find "this country, this much
 * better every year" among all the ways of mixing 63 columns with the year;
 * here it is the shape of the model.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';

export const inputs = 'features';

export const params = z.strictObject({
  /** Width of the dense net. */
  units: z.number().int().positive().default(16),
  /** Numbers per country fed to the dense net. */
  dims: z.number().int().positive().default(4),
});

type Feature =
  { name: string; type: 'numeric' } | { name: string; type: 'categorical'; vocabulary: number };
type Tensor = tfl.SymbolicTensor;

export default function build(
  inputs: { features: Feature[] },
  task: string,
  outputs: number,
  { units, dims }: z.infer<typeof params>,
  { seed }: { seed: number },
): tfl.LayersModel {
  const input = new Map(
    inputs.features.map((f) => [f.name, tfl.input({ shape: [1], name: f.name })]),
  );
  const country = inputs.features.find((f) => f.name === 'country');
  if (country?.type !== 'categorical' || !input.has('year'))
    throw new Error('expected a categorical feature country and a numeric feature year');
  const year = input.get('year')!;

  // `dims` numbers per country, one row per country seen in training and one
  // for a country that was not (its index is country.vocabulary - 1).
  const perCountry = (dims: number, initializer: tfl.initializers.Initializer): Tensor => {
    const embedding = tfl.layers.embedding({
      inputDim: country.vocabulary,
      outputDim: dims,
      embeddingsInitializer: initializer,
    });
    return tfl.layers.flatten().apply(embedding.apply(input.get('country')!)) as Tensor;
  };

  const level = perCountry(1, tfl.initializers.zeros());
  const trend = tfl.layers
    .multiply()
    .apply([perCountry(1, tfl.initializers.zeros()), year]) as Tensor;

  const numeric = inputs.features
    .filter((f) => f.type === 'numeric')
    .map((f) => input.get(f.name)!);
  const mixed = tfl.layers
    .concatenate()
    .apply([
      ...numeric,
      perCountry(dims, tfl.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed })),
    ]) as Tensor;
  const hidden = tfl.layers
    .dense({
      units,
      activation: 'relu',
      kernelInitializer: tfl.initializers.glorotUniform({ seed }),
    })
    .apply(mixed) as Tensor;
  const rest = tfl.layers
    .dense({
      units: outputs,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }),
    })
    .apply(hidden) as Tensor;

  const output = tfl.layers.add().apply([level, trend, rest]) as Tensor;
  return tfl.model({ inputs: inputs.features.map((f) => input.get(f.name)!), outputs: output });
}
