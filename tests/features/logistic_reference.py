#!/usr/bin/python3
"""scikit-learn's multinomial logistic regression on the data the C++ test wrote.
Usage: logistic_reference.py X.f32 y.i64 N D C OUT.f64  -> OUT: predict_proba on X, float64 [N, K]."""
import sys
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

x_path, y_path, n, d, c, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
x = np.fromfile(x_path, dtype=np.float32).reshape(n, d).astype(np.float64)
y = np.fromfile(y_path, dtype=np.int64)
x = StandardScaler().fit_transform(x)
clf = LogisticRegression(C=c, multi_class="multinomial", solver="lbfgs", tol=1e-12, max_iter=100000).fit(x, y)
clf.predict_proba(x).astype(np.float64).tofile(out)
