#!/usr/bin/python3
"""scikit-learn's LinearSVC() and SVC() on the data tests/features/svm_test.cpp wrote.
Usage: svm_reference.py DIR N M D GAMMA
Reads DIR/x_train.f64 [N, D], DIR/y_train.i64 [N] and DIR/x_test.f64 [M, D]. Writes, as float64 to
DIR/NAME_*.f64, for the models NAME = linear (LinearSVC(random_state=0)), rbf_scale (SVC()), rbf_gamma
(SVC(gamma=GAMMA)), linear_kernel (SVC(kernel="linear")) and poly (SVC(kernel="poly")), all on the test samples:
  NAME_pred      [M]  predict (the classes themselves)
  linear_dec     [M, K'] decision_function ([M] for two classes); linear_iterations [1] n_iter_
  NAME_pairs     [M, K'(K'-1)/2]  SVC: the one-vs-one values with LIBSVM's sign (> 0: the pair's first class)
  NAME_ovr       [M, K']  SVC: decision_function_shape="ovr" (also for two classes, by the same function)
  NAME_support   [K']  SVC: n_support_;  NAME_gamma [1]  SVC: the gamma used
K' counts the classes present in y_train."""
import sys

import numpy as np
from sklearn.svm import SVC, LinearSVC
from sklearn.utils.multiclass import _ovr_decision_function

d, n, m, dim, gamma = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
x = np.fromfile(f"{d}/x_train.f64", dtype=np.float64).reshape(n, dim)
y = np.fromfile(f"{d}/y_train.i64", dtype=np.int64)
xt = np.fromfile(f"{d}/x_test.f64", dtype=np.float64).reshape(m, dim)
assert y.shape == (n,)


def save(name, a):
    np.asarray(a, dtype=np.float64).tofile(f"{d}/{name}.f64")


# random_state only fixes the order LIBLINEAR visits the samples in (else it changes from run to run)
linear = LinearSVC(random_state=0).fit(x, y)
save("linear_pred", linear.predict(xt))
save("linear_dec", linear.decision_function(xt))
save("linear_iterations", [linear.n_iter_])

for name, model in [("rbf_scale", SVC()), ("rbf_gamma", SVC(gamma=gamma)), ("linear_kernel", SVC(kernel="linear")),
                    ("poly", SVC(kernel="poly"))]:
    model.fit(x, y)
    k = len(model.classes_)
    save(f"{name}_pred", model.predict(xt))
    if k == 2:
        pairs = -model.decision_function(xt).reshape(-1, 1)  # scikit-learn flips LIBSVM's sign for two classes
        ovr = _ovr_decision_function(pairs < 0, -pairs, 2)
    else:
        ovr = model.decision_function(xt)
        model.decision_function_shape = "ovo"
        pairs = model.decision_function(xt)
    save(f"{name}_pairs", pairs)
    save(f"{name}_ovr", ovr)
    save(f"{name}_support", model.n_support_)
    save(f"{name}_gamma", [model._gamma])
