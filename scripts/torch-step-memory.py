#!/usr/bin/env python3
"""Peak memory and time of one training step of the OFFICIAL PyTorch DINO code
(facebookresearch/dino) for dinolab's "nano" configuration, on the CPU.

Side measurement so the README can put dinolab's peak memory beside PyTorch's.
The official code is NOT part of this repository; get it into a folder outside it:

    git clone https://github.com/facebookresearch/dino /tmp/dino-src   # or any existing clone / mirror
    mkdir -p /tmp/dino-official
    for f in vision_transformer.py utils.py main_dino.py; do
        git --git-dir=/tmp/dino-src/.git show HEAD:$f > /tmp/dino-official/$f
    done

Run each head in its own process (so the peak RSS values do not mix):

    cat /proc/loadavg
    /usr/bin/python3 scripts/torch-step-memory.py --dino-dir /tmp/dino-official --head small
    /usr/bin/python3 scripts/torch-step-memory.py --dino-dir /tmp/dino-official --head default
    cat /proc/loadavg

Each run prints one JSON line. Configuration (fixed, dinolab "nano"): official
VisionTransformer with patch 8, embed_dim 128, depth 6, 4 heads, mlp_ratio 4,
qkv_bias True, LayerNorm eps 1e-6 (as in the official vit_* constructors),
img_size 64 (the global crop; local crops use the official pos-embed
interpolation), student drop_path_rate 0.1 (official default); batch 32,
2 global crops 64 px + 6 local crops 32 px as random tensors (no data loading);
official DINOHead (nlayers 3, use_bn False, norm_last_layer True) with
  small:   out_dim 1024, hidden_dim 512,  bottleneck_dim 128
  default: out_dim 4096, hidden_dim 2048, bottleneck_dim 256
official MultiCropWrapper, get_params_groups + torch.optim.AdamW, DINOLoss with
its default temperatures (0.04/0.04, 0 warm-up epochs, student 0.1, centre
momentum 0.9), utils.clip_gradients(3.0), utils.cancel_gradients_last_layer in
epoch 0 (freeze_last_layer 1), official lr/wd/momentum cosine schedules, teacher
EMA. fp32 (no autocast on CPU), no DDP (single process); DINOLoss's
dist.all_reduce / dist.get_world_size are replaced by a single-process shim.
torch.set_num_threads(2) by default.

The step body follows main_dino.train_one_epoch line by line (minus .cuda(),
autocast and the metric logger). DINOLoss is taken from main_dino.py by source
(main_dino.py imports torchvision, which may be absent).

Reported: RSS after imports, RSS (current and ru_maxrss) right before the first
step (imports + models + optimizer + inputs), peak RSS (ru_maxrss, whole
process) after 1 warm-up + N timed steps, median/all ms per step, parameter
counts, /proc/loadavg at start and end. Unless --no-profile, after the RSS
measurement one extra step runs under torch.profiler(profile_memory=True) to
give torch's allocator view: bytes live in the persistent state (parameters,
grads, AdamW moments) and the peak of extra bytes allocated during a step.
"""
import argparse
import ast
import json
import os
import resource
import statistics
import sys
import time


def rss_now_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def peak_rss_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def mib(kib):
    return round(kib / 1024.0, 1)


HEADS = {
    "small": dict(out_dim=1024, hidden_dim=512, bottleneck_dim=128),
    "default": dict(out_dim=4096, hidden_dim=2048, bottleneck_dim=256),
}


def load_dino_loss(dino_dir, torch, nn, F, np):
    """Exec the official DINOLoss class source from main_dino.py."""
    path = os.path.join(dino_dir, "main_dino.py")
    src = open(path).read()
    tree = ast.parse(src)
    node = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "DINOLoss")
    cls_src = ast.get_source_segment(src, node)

    class _SingleProcessDist:  # world size 1: all_reduce is the identity
        @staticmethod
        def all_reduce(t, *a, **k):
            return None

        @staticmethod
        def get_world_size():
            return 1

    ns = dict(torch=torch, nn=nn, F=F, np=np, dist=_SingleProcessDist)
    exec(compile(cls_src, path, "exec"), ns)
    return ns["DINOLoss"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dino-dir", required=True, help="folder with the official vision_transformer.py, utils.py, main_dino.py")
    ap.add_argument("--head", choices=sorted(HEADS), required=True)
    ap.add_argument("--steps", type=int, default=5, help="timed steps (after 1 warm-up step)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-profile", action="store_true", help="skip the torch allocator view")
    args = ap.parse_args()

    load_start = loadavg()
    sys.path.insert(0, os.path.abspath(args.dino_dir))
    import math
    from functools import partial

    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    import utils  # official
    import vision_transformer as vits  # official
    from vision_transformer import DINOHead  # official

    DINOLoss = load_dino_loss(args.dino_dir, torch, nn, F, np)
    torch.set_num_threads(args.threads)
    rss_imports = rss_now_kib()

    # ---- configuration ----
    batch, n_global, n_local, g_px, l_px = 32, 2, 6, 64, 32
    patch, embed_dim, depth, heads = 8, 128, 6, 4
    head_cfg = HEADS[args.head]
    epochs, freeze_last_layer, clip_grad = 100, 1, 3.0
    lr, min_lr, warmup_epochs = 0.0005, 1e-6, 10
    wd, wd_end, momentum_teacher = 0.04, 0.4, 0.996
    niter_per_ep = 1 + args.steps  # only epoch 0 is used; schedules are tiny

    utils.fix_random_seeds(0)

    def vit(**kw):
        return vits.VisionTransformer(
            img_size=[g_px], patch_size=patch, embed_dim=embed_dim, depth=depth, num_heads=heads,
            mlp_ratio=4, qkv_bias=True, norm_layer=partial(nn.LayerNorm, eps=1e-6), **kw)

    # ---- models (as main_dino.train_dino) ----
    student = vit(drop_path_rate=0.1)
    teacher = vit()
    student = utils.MultiCropWrapper(student, DINOHead(
        embed_dim, head_cfg["out_dim"], use_bn=False, norm_last_layer=True, nlayers=3,
        hidden_dim=head_cfg["hidden_dim"], bottleneck_dim=head_cfg["bottleneck_dim"]))
    teacher = utils.MultiCropWrapper(teacher, DINOHead(
        embed_dim, head_cfg["out_dim"], False, nlayers=3,
        hidden_dim=head_cfg["hidden_dim"], bottleneck_dim=head_cfg["bottleneck_dim"]))
    teacher_without_ddp = teacher
    teacher_without_ddp.load_state_dict(student.state_dict())
    for p in teacher.parameters():
        p.requires_grad = False

    dino_loss = DINOLoss(head_cfg["out_dim"], n_local + 2, 0.04, 0.04, 0, epochs)
    params_groups = utils.get_params_groups(student)
    optimizer = torch.optim.AdamW(params_groups)
    lr_schedule = utils.cosine_scheduler(lr * batch / 256.0, min_lr, epochs, niter_per_ep, warmup_epochs=warmup_epochs)
    wd_schedule = utils.cosine_scheduler(wd, wd_end, epochs, niter_per_ep)
    momentum_schedule = utils.cosine_scheduler(momentum_teacher, 1, epochs, niter_per_ep)

    images = [torch.randn(batch, 3, g_px, g_px) for _ in range(n_global)] + \
             [torch.randn(batch, 3, l_px, l_px) for _ in range(n_local)]

    n_student = sum(p.numel() for p in student.parameters())
    n_trainable = sum(p.numel() for p in student.parameters() if p.requires_grad)
    n_teacher = sum(p.numel() for p in teacher.parameters())
    rss_before = rss_now_kib()
    peak_before = peak_rss_kib()

    epoch = 0

    def step(it):
        # body of main_dino.train_one_epoch (fp16_scaler None, no DDP, CPU)
        for i, param_group in enumerate(optimizer.param_groups):
            param_group["lr"] = lr_schedule[it]
            if i == 0:
                param_group["weight_decay"] = wd_schedule[it]
        teacher_output = teacher(images[:2])
        student_output = student(images)
        loss = dino_loss(student_output, teacher_output, epoch)
        if not math.isfinite(loss.item()):
            raise SystemExit("Loss is {}".format(loss.item()))
        optimizer.zero_grad()
        loss.backward()
        if clip_grad:
            utils.clip_gradients(student, clip_grad)
        utils.cancel_gradients_last_layer(epoch, student, freeze_last_layer)
        optimizer.step()
        with torch.no_grad():
            m = momentum_schedule[it]
            for param_q, param_k in zip(student.parameters(), teacher_without_ddp.parameters()):
                param_k.data.mul_(m).add_((1 - m) * param_q.detach().data)
        return loss.item()

    losses = [step(0)]  # warm-up
    times = []
    for it in range(1, 1 + args.steps):
        t0 = time.perf_counter()
        losses.append(step(it))
        times.append((time.perf_counter() - t0) * 1000.0)
    peak = peak_rss_kib()
    rss_after = rss_now_kib()
    load_end = loadavg()

    out = {
        "impl": "facebookresearch/dino (official), CPU fp32",
        "head": args.head,
        **head_cfg,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "batch": batch,
        "crops": "%dx%dpx + %dx%dpx" % (n_global, g_px, n_local, l_px),
        "student_params": n_student,
        "student_trainable_params": n_trainable,
        "teacher_params": n_teacher,
        "rss_after_imports_mib": mib(rss_imports),
        "rss_before_first_step_mib": mib(rss_before),
        "peak_rss_before_first_step_mib": mib(peak_before),
        "peak_rss_mib": mib(peak),
        "rss_after_steps_mib": mib(rss_after),
        "ms_per_step_median": round(statistics.median(times), 1),
        "ms_per_step": [round(t, 1) for t in times],
        "loss_first_last": [round(losses[0], 4), round(losses[-1], 4)],
        "loadavg_start": load_start,
        "loadavg_end": load_end,
    }

    if not args.no_profile:
        # torch allocator view, measured after the RSS numbers above were taken.
        state_bytes = sum(p.numel() * p.element_size() for p in student.parameters())
        state_bytes += sum(p.numel() * p.element_size() for p in teacher.parameters())
        state_bytes += sum(p.grad.numel() * p.grad.element_size() for p in student.parameters() if p.grad is not None)
        for st in optimizer.state.values():
            state_bytes += sum(v.numel() * v.element_size() for v in st.values() if torch.is_tensor(v))
        state_bytes += sum(t.numel() * t.element_size() for t in images)
        from torch.profiler import profile, ProfilerActivity
        with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
            step(1 + args.steps)
        # raw allocator events: +bytes on alloc, -bytes on free, in time order
        evs = [e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"]
        evs.sort(key=lambda e: e.start_us())
        cur = top = 0
        for e in evs:
            cur += e.nbytes()
            top = max(top, cur)
        out["torch_state_mib"] = round(state_bytes / 2**20, 1)
        out["torch_step_alloc_peak_mib"] = round(top / 2**20, 1)
        out["torch_alloc_note"] = ("state = params (student+teacher) + grads + AdamW moments + inputs; "
                                   "step peak = max extra bytes live during one profiled step (profiler [memory] events; "
                                   "frees of blocks allocated before profiling are not seen, so approximate)")

    print(json.dumps(out))


if __name__ == "__main__":
    main()
