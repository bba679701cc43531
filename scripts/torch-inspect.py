#!/usr/bin/env python3
"""Time of the inspector's work in the OFFICIAL PyTorch DINO code on the CPU: the last block's
self-attention of ViT-S/16 and ViT-S/8 (`get_last_selfattention`, what the write-up's attention
maps read), one image, random weights. Side measurement for the README's "Measured here", to put
beside `npm run bench`'s rows taken minutes apart on the same machine.

The official code is not part of this repository (see scripts/torch-step-memory.py for how to get
vision_transformer.py into a folder outside it):

    /usr/bin/python3 scripts/torch-inspect.py --dino-dir /tmp/dino-official [--reps 5] [--threads 2]

Prints one JSON line per row: model, patch, size, threads, median and all ms per image, and
/proc/loadavg at start and end.
"""
import argparse
import json
import statistics
import sys
import time

ROWS = [("vit-small-16", 16, 224), ("vit-small-8", 8, 224), ("vit-small-8", 8, 448)]


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dino-dir", required=True, help="folder with the official vision_transformer.py")
    ap.add_argument("--reps", type=int, default=5, help="timed images per row (after 1 warm-up)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    sys.path.insert(0, args.dino_dir)
    import torch
    import vision_transformer as vits

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    start = loadavg()
    for model, patch, size in ROWS:
        net = vits.vit_small(patch_size=patch).eval()
        img = torch.randn(1, 3, size, size)
        times = []
        with torch.no_grad():
            for i in range(args.reps + 1):
                t0 = time.perf_counter()
                attn = net.get_last_selfattention(img)
                if i > 0:
                    times.append((time.perf_counter() - t0) * 1000.0)
        assert attn.shape == (1, 6, 1 + (size // patch) ** 2, 1 + (size // patch) ** 2)
        print(json.dumps({"impl": "facebookresearch/dino (official), CPU fp32", "torch": torch.__version__, "model": model,
                          "patch": patch, "size": size, "threads": args.threads,
                          "ms_median": round(statistics.median(times), 1), "ms": [round(t, 1) for t in times],
                          "load_start": start, "load_end": loadavg()}), flush=True)


if __name__ == "__main__":
    main()
