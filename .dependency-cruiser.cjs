/* global module */
/**
 * The import directions of README's "Layout", checked by `npm run lint`.
 *
 * Data flows one way: config → data → prepare → model → train/evaluate → gate →
 * report → package/registry → serve/deploy → run → cli. A module may import from
 * its own layer and the layers before it, never after; the shells (cli,
 * actions) sit on top and nothing in pipeline/ reaches into them.
 *
 * Where a step of that flow holds two stages, the list below orders them by
 * which one uses the other (each change is explained beside it).
 */

// Lowest first. Each entry is a folder (or file) under pipeline/.
const LAYERS = [
  ['errors\\.ts', 'util'],
  ['config'],
  ['storage'],
  ['data'],
  ['prepare'],
  ['model'],
  // Evaluate and predict sit below train, in the flow's one "train/evaluate"
  // step: they run a model (model/) and score or decode its outputs, and train
  // scores every trial on the validation split with evaluate's metrics.
  // Evaluate running after train is the order of the stages, not of the imports.
  ['evaluate', 'predict'],
  ['search'],
  ['train'],
  ['gate'],
  // The production record: a model's digest (model/) and its metrics as a
  // baseline (gate/), kept on a git ref; report renders it and run reads it.
  ['production'],
  // The training profile and the live window compared with it: package writes
  // the profile into the bundle, serve feeds the window and exports it.
  ['monitor'],
  ['package'],
  // Bench (not on the flow's line) measures a saved model and returns a typed
  // result, bench.json, which report renders as it renders evaluate's metrics:
  // so bench sits below report, as evaluate does.
  ['bench'],
  ['report'],
  ['registry'],
  ['serve', 'deploy'],
  ['run'],
  ['cli'],
];

const pattern = (names) => `^pipeline/(${names.join('|')})(/|$)`;

const backward = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${layer[0].replace(/\\\./g, '.')}`,
  comment: `${layer.join(', ')} may not import from a later stage (${LAYERS.slice(i + 1)
    .flat()
    .join(', ')})`,
  severity: 'error',
  from: { path: pattern(layer) },
  to: { path: pattern(LAYERS.slice(i + 1).flat()) },
}));

module.exports = {
  forbidden: [
    ...backward,
    {
      name: 'no-circular',
      comment: 'a cycle means two modules each need the other: one of them holds two concepts',
      severity: 'error',
      from: { path: '^(pipeline|actions)/' },
      to: { circular: true },
    },
    {
      name: 'library-knows-no-shell',
      comment: 'pipeline/ knows nothing of GitHub, the actions or the workflows',
      severity: 'error',
      from: { path: '^pipeline/' },
      to: { path: '^(actions|workflows|scripts|bin)/|node_modules/@actions/' },
    },
    {
      name: 'library-knows-no-terminal',
      comment: 'only the CLI prints: progress bars and argument parsing stay in pipeline/cli',
      severity: 'error',
      from: { path: '^pipeline/', pathNot: '^pipeline/cli/' },
      to: { path: 'node_modules/(commander|cli-progress)/' },
    },
    {
      name: 'actions-through-the-library',
      comment: 'an action is a shell over pipeline/: it reaches no other action',
      severity: 'error',
      from: { path: '^actions/([^/]+)/' },
      to: {
        path: '^actions/([^/]+)/',
        pathNot: ['^actions/$1/', '^actions/shared/', '^actions/vendor/'],
      },
    },
    {
      name: 'no-tests-in-code',
      severity: 'error',
      from: { path: '^(pipeline|actions|workflows)/' },
      to: { path: '^tests/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)dist/|^node_modules/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.json'],
    },
  },
};
