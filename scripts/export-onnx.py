"""Writes an ONNX file of a DINO ViT backbone that returns the last block's self-attention
(B, heads, N, N), as the official `get_last_selfattention` does, for `npm run bench`'s
onnxruntime-web peer rows. Random weights: only the speed is compared.

    python3 scripts/export-onnx.py OUT.onnx --patch 8 --dim 384 --depth 12 --heads 6 --size 224

Needs torch (Debian: apt-get install python3-torch). The model below follows the official
vision_transformer.py's structure (pre-norm blocks, qkv Linear, exact GELU, LayerNorm eps 1e-6).
"""
import argparse

import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.fc2 = nn.Linear(4 * dim, dim)

    def attention(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q @ k.transpose(-2, -1)) * (C // self.heads) ** -0.5).softmax(dim=-1)
        return attn, (attn @ v).transpose(1, 2).reshape(B, N, C)

    def forward(self, x, return_attention=False):
        attn, y = self.attention(self.norm1(x))
        if return_attention:
            return attn
        x = x + self.proj(y)
        return x + self.fc2(nn.functional.gelu(self.fc1(self.norm2(x))))


class ViT(nn.Module):
    def __init__(self, patch, dim, depth, heads, size):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, patch, patch)
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos_embed = nn.Parameter(torch.randn(1, 1 + (size // patch) ** 2, dim) * 0.02)
        self.blocks = nn.ModuleList([Block(dim, heads) for _ in range(depth)])

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        for blk in self.blocks[:-1]:
            x = blk(x)
        return self.blocks[-1](x, return_attention=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--patch", type=int, default=16)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--depth", type=int, default=12)
    ap.add_argument("--heads", type=int, default=6)
    ap.add_argument("--size", type=int, default=224)
    a = ap.parse_args()
    torch.manual_seed(0)
    model = ViT(a.patch, a.dim, a.depth, a.heads, a.size).eval()
    x = torch.randn(1, 3, a.size, a.size)
    with torch.no_grad():
        torch.onnx.export(model, x, a.out, input_names=["image"], output_names=["attention"], opset_version=17)


if __name__ == "__main__":
    main()
