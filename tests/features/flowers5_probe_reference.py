# Reference for docs/RESULTS.md: a linear probe of the shared MobileNetV2 on flowers5 with PyTorch +
# scikit-learn. Run from the repository root: /usr/bin/python3 tests/features/flowers5_probe_reference.py THREADS SIZE
import sys, time, torch, torchvision, numpy as np
from torchvision import transforms as T
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.model_selection import train_test_split
torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
size = int(sys.argv[2]) if len(sys.argv) > 2 else 224
m = torchvision.models.mobilenet_v2()
m.load_state_dict(torch.load('../shared/weights/mobilenet_v2-imagenet-folded.pth'))
m.classifier = torch.nn.Identity()
m.eval()
tf = T.Compose([T.Resize(256), T.CenterCrop(224)] if size == 224 else [T.Resize((size, size))])
tf = T.Compose([tf, T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
ds = torchvision.datasets.ImageFolder('../shared/datasets/flowers5', tf)
dl = torch.utils.data.DataLoader(ds, batch_size=64, num_workers=1)
feats, labels = [], []
t0 = time.time()
with torch.no_grad():
    for x, y in dl:
        feats.append(m(x)); labels.append(y)
X = torch.cat(feats).numpy(); y = torch.cat(labels).numpy()
print('extracted', X.shape, time.time() - t0)
Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
sc = StandardScaler().fit(Xtr)
clf = LogisticRegression(max_iter=1000).fit(sc.transform(Xtr), ytr)
print('size', size, 'test accuracy', clf.score(sc.transform(Xte), yte))
