"""Reference crops from PIL for src/engine/augment.test.ts (PIL-bicubic resize of random crops).

torchvision's RandomResizedCrop on a PIL image (what the official DINO loader runs) is
img.crop((left, top, left + w, top + h)).resize((S, S), Image.BICUBIC); a flip comes after.
This writes a random RGB image, a set of crop rectangles and sizes (shrinking by up to 5x,
enlarging, non-square spans, flips) and PIL's uint8 output for each, as JSON.

    /usr/bin/python3 scripts/make-pil-fixture.py > src/engine/fixtures/pil-bicubic.json

(Debian: sudo apt-get install python3-pil.) The fixture records the PIL version it came from.
"""
import json
import random

import PIL
from PIL import Image

rng = random.Random(1)
W, H = 41, 29
# Smooth-ish content plus noise, so both low and high frequencies are present.
pixels = []
for y in range(H):
    for x in range(W):
        base = [(x * 6 + y * 2) % 256, (y * 8) % 256, (x * y) % 256]
        pixels.extend(max(0, min(255, v + rng.randint(-40, 40))) for v in base)
img = Image.frombytes('RGB', (W, H), bytes(pixels))

cases = [
    # (top, left, height, width, size, flip)
    (0, 0, H, W, 8, False),      # whole image, shrink ~5x / ~3.6x
    (3, 5, 20, 30, 6, True),     # shrink 5x / 3.3x, flipped
    (10, 12, 7, 9, 16, False),   # enlarge
    (2, 30, 25, 11, 12, False),  # shrink one axis, enlarge the other
    (0, 0, 29, 41, 29, True),    # near 1:1
    (5, 7, 12, 12, 12, False),   # exactly 1:1 (identity)
    (1, 2, 17, 23, 5, True),     # strong shrink
]
out = []
for top, left, h, w, size, flip in cases:
    c = img.crop((left, top, left + w, top + h)).resize((size, size), Image.BICUBIC)
    if flip:
        c = c.transpose(Image.FLIP_LEFT_RIGHT)
    out.append({'top': top, 'left': left, 'height': h, 'width': w, 'size': size, 'flip': flip,
                'pixels': list(c.tobytes())})
print(json.dumps({'pil': PIL.__version__, 'width': W, 'height': H, 'pixels': pixels, 'crops': out}))
