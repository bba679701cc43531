"""scikit-learn's side of scripts/tsne-vs-sklearn.ts: the write-up's TSNE and KNeighborsClassifier on the
Fashion-MNIST demo's pixels (same data, one core). Needs python3-sklearn (Debian); not part of the tests.

    OMP_NUM_THREADS=1 /usr/bin/python3 scripts/tsne-vs-sklearn.py [n]
"""
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.manifold import TSNE, trustworthiness
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier

n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
demo = Path(__file__).resolve().parent.parent / 'public/demo/fashion-mnist'
x = np.frombuffer((demo / 'images.u8').read_bytes(), np.uint8)[: n * 784].reshape(n, 784).astype(np.float32) / 255
y = np.frombuffer((demo / 'labels.u8').read_bytes(), np.uint8)[:n].astype(np.int64)
xtr, xva, ytr, yva = train_test_split(x, y, test_size=0.2, random_state=42, stratify=y)
t0 = time.time()
acc = (KNeighborsClassifier(n_neighbors=20).fit(xtr, ytr).predict(xva) == yva).mean()
t_knn = time.time() - t0
t0 = time.time()
emb = TSNE(n_components=2, random_state=42).fit_transform(x)
t_tsne = time.time() - t0
idx = np.arange(n)
itr, iva = train_test_split(idx, test_size=0.2, random_state=42, stratify=y)
acc2 = (KNeighborsClassifier(n_neighbors=20).fit(emb[itr], y[itr]).predict(emb[iva]) == y[iva]).mean()
print(f'scikit-learn, {n} Fashion-MNIST demo images (pixels / 255, 784 dims):')
print(f'  k-NN (k 20, stratified 80/20, random_state 42) on pixels: accuracy {acc:.4f}, {t_knn:.2f} s')
print(f'  t-SNE (barnes_hut, defaults): {t_tsne:.2f} s; trustworthiness(5) {trustworthiness(x, emb, n_neighbors=5):.4f}; k-NN in 2-D {acc2:.4f}')
