#!/usr/bin/python3
"""The Python peer of `tlab serve` in bench/serve.sh: the same torchvision model and weights behind
Flask (Debian's python3-flask, Werkzeug's threaded server), one request = one forward pass (no
batching), the same number of LibTorch threads, torchvision's preprocessing (resize 256, centre
crop 224, normalise) and the same answer: the top-5 classes as JSON.
Usage: /usr/bin/python3 bench/peer_serve.py --weights FILE --labels FILE --port P [--threads N]"""
import argparse
import io
import logging

import torch
import torchvision
from flask import Flask, jsonify, request
from PIL import Image
from torchvision import transforms

ap = argparse.ArgumentParser()
ap.add_argument("--weights", required=True)
ap.add_argument("--labels", required=True)
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--threads", type=int, default=2)
a = ap.parse_args()

torch.set_num_threads(a.threads)
model = torchvision.models.mobilenet_v2()
model.load_state_dict(torch.load(a.weights, map_location="cpu"))
model.eval()
classes = [line.rstrip("\n") for line in open(a.labels)]
preprocess = transforms.Compose([
    transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
    transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])

app = Flask(__name__)
logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request


@app.get("/ready")
def ready():
    return jsonify(ready=True)


@app.post("/predict")
def predict():
    image = Image.open(io.BytesIO(request.get_data())).convert("RGB")
    with torch.inference_mode():
        p = torch.softmax(model(preprocess(image).unsqueeze(0)), 1)[0]
    top = torch.topk(p, 5)
    return jsonify(predictions=[[{"label": classes[i], "index": int(i), "probability": float(v)}
                                 for v, i in zip(top.values, top.indices)]])


app.run(host="127.0.0.1", port=a.port, threaded=True)
