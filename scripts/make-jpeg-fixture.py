"""Reference decodes from PIL for src/conformance/jpeg.test.ts (the conformance JPEG decoder).

Writes small JPEGs with odd sizes (partial MCUs at the right and bottom edges) in 4:4:4, 4:2:2
and 4:2:0 chroma subsampling, one with restart markers, and the RGB bytes PIL decodes from each
(libjpeg-turbo, what torchvision's loader gets), as JSON.

    /usr/bin/python3 scripts/make-jpeg-fixture.py > src/conformance/fixtures/jpeg-pil.json

(Debian: sudo apt-get install python3-pil.) The fixture records the PIL version it came from.
"""
import base64
import io
import json
import random

import PIL
from PIL import Image

rng = random.Random(3)
W, H = 37, 23
pixels = []
for y in range(H):
    for x in range(W):
        base = [(x * 7 + y * 3) % 256, (y * 11) % 256, (x * y * 2) % 256]
        pixels.extend(max(0, min(255, v + rng.randint(-50, 50))) for v in base)
img = Image.frombytes('RGB', (W, H), bytes(pixels))

cases = []
for name, opts in [
    ('444', dict(subsampling=0, quality=92)),
    ('422', dict(subsampling=1, quality=85)),
    ('420', dict(subsampling=2, quality=75)),
    ('420-restart', dict(subsampling=2, quality=60, restart_marker_blocks=1)),
]:
    buf = io.BytesIO()
    img.save(buf, 'JPEG', **opts)
    data = buf.getvalue()
    decoded = Image.open(io.BytesIO(data)).convert('RGB')
    cases.append({'name': name, 'jpeg': base64.b64encode(data).decode(), 'width': decoded.width, 'height': decoded.height,
                  'pixels': list(decoded.tobytes())})
print(json.dumps({'pil': PIL.__version__, 'cases': cases}))
