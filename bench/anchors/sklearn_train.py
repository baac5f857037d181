"""Train scikit-learn's MLP on matrices written by bench/train-vs-sklearn.ts.

Fits the same network as ours (layers, batch size, epochs, learning rate, Adam,
no L2 penalty, no early stopping) `warmup` times untimed, then `repeats` times,
and prints one JSON line per fit: seconds, the test score, the peak RSS so far
and the BLAS libraries that ran (threadpoolctl).
"""
import json
import resource
import sys
import time
import warnings

import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

from matrices import blas, load

spec = json.loads(sys.argv[1])
x_train, y_train, x_test, y_test = load(spec)

warnings.filterwarnings("ignore", category=ConvergenceWarning)
Model = MLPClassifier if spec["task"] == "classification" else MLPRegressor
# Fits with r < warmup are untimed: the first fit in a process pays for loading and first use.
for r in range(spec.get("warmup", 0) + spec["repeats"]):
    model = Model(
        hidden_layer_sizes=tuple(spec["layers"]),
        activation="relu",
        solver="adam",
        alpha=0.0,
        batch_size=spec["batch"],
        learning_rate_init=spec["lr"],
        max_iter=spec["epochs"],
        shuffle=True,
        tol=0.0,
        n_iter_no_change=spec["epochs"] + 1,
        early_stopping=False,
        random_state=spec.get("seed", 0) + r,
    )
    start = time.perf_counter()
    model.fit(x_train, y_train)
    seconds = time.perf_counter() - start
    if r < spec.get("warmup", 0):
        continue
    score = model.score(x_test, y_test)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "seconds": seconds,
        "epochs": model.n_iter_,
        "score": score,
        "peak_rss_mb": peak_mb,
        "version": sklearn.__version__,
        "blas": blas(),
    }))
