"""The serving anchor: FastAPI + uvicorn + scikit-learn, as a Python team would serve the model.

Loads the same bundle `mlops serve` loads (MODEL_DIR): the feature schema and
preprocessing from preprocess.json, and the network's weights from model.json +
weights.bin into a scikit-learn MLPClassifier/MLPRegressor, so both servers
compute the same predictions. POST /v1/predict takes one row object or a list
of them, validated by a pydantic model built from the feature schema.

    MODEL_DIR=artifacts/model python3 -m uvicorn fastapi_server:app --app-dir bench/anchors --port 8000
"""
import json
import os
import warnings
from typing import List, Optional, Union

import numpy as np
from fastapi import FastAPI
from pydantic import create_model
from sklearn.neural_network import MLPClassifier, MLPRegressor

MODEL_DIR = os.environ.get("MODEL_DIR", "artifacts/model")
with open(os.path.join(MODEL_DIR, "preprocess.json")) as f:
    PRE = json.load(f)
with open(os.path.join(MODEL_DIR, "model.json")) as f:
    TOPOLOGY = json.load(f)
with open(os.path.join(MODEL_DIR, "metadata.json")) as f:
    VERSION = json.load(f)["model_version"]


def load_weights():
    specs = [w for group in TOPOLOGY["weightsManifest"] for w in group["weights"]]
    raw = b"".join(
        open(os.path.join(MODEL_DIR, p), "rb").read()
        for group in TOPOLOGY["weightsManifest"]
        for p in group["paths"]
    )
    arrays, offset = [], 0
    for spec in specs:
        count = int(np.prod(spec["shape"]))
        arrays.append(np.frombuffer(raw, np.float32, count, offset).reshape(spec["shape"]).astype(np.float64))
        offset += count * 4
    return arrays[0::2], arrays[1::2]


def build_model():
    kernels, biases = load_weights()
    hidden = tuple(k.shape[1] for k in kernels[:-1])
    inputs = PRE["inputSize"]
    classification = PRE["target"]["task"] == "classification"
    warnings.filterwarnings("ignore")
    if classification:
        classes = PRE["target"]["classes"]
        model = MLPClassifier(hidden_layer_sizes=hidden, max_iter=1)
        model.fit(np.zeros((len(classes), inputs)), np.array(classes))
    else:
        model = MLPRegressor(hidden_layer_sizes=hidden, max_iter=1)
        model.fit(np.zeros((2, inputs)), np.zeros(2))
    model.coefs_ = kernels
    model.intercepts_ = biases
    return model


MODEL = build_model()

fields = {}
for feat in PRE["features"]:
    kind = float if feat["type"] == "numeric" else str
    fields[feat["name"]] = (Optional[kind], None) if feat["name"] in PRE["optional"] else (kind, ...)
Row = create_model("Row", **fields)


def encode(rows):
    x = np.zeros((len(rows), PRE["inputSize"]))
    for i, row in enumerate(rows):
        offset = 0
        for feat in PRE["features"]:
            value = getattr(row, feat["name"])
            if feat["type"] == "numeric":
                x[i, offset] = 0.0 if value is None else (value - feat["mean"]) / feat["std"]
                offset += 1
            else:
                cats = feat["categories"]
                x[i, offset + (cats.index(value) if value in cats else len(cats))] = 1
                offset += len(cats) + 1
    return x


app = FastAPI()


@app.get("/readyz")
def ready():
    return {"ready": True, "model_version": VERSION}


@app.post("/v1/predict")
def predict(body: Union[Row, List[Row]]):
    rows = body if isinstance(body, list) else [body]
    x = encode(rows)
    if PRE["target"]["task"] == "classification":
        probs = MODEL.predict_proba(x)
        classes = list(MODEL.classes_)
        preds = [
            {"label": classes[int(np.argmax(p))], "probabilities": dict(zip(classes, map(float, p)))}
            for p in probs
        ]
    else:
        t = PRE["target"]
        preds = [{"value": float(v) * t["std"] + t["mean"]} for v in MODEL.predict(x)]
    return {"model_version": VERSION, "predictions": preds}
