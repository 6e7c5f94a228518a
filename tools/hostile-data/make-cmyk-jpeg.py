#!/usr/bin/python3
"""Writes tests/fixtures/hostile-data/cmyk-32x32.jpg: a CMYK JPEG (Adobe APP14, 4 components), the
kind Photoshop saves, which libjpeg cannot convert to RGB. Made with Debian's python3-pil from the
committed face fixture, so the test needs no Pillow.

    /usr/bin/python3 tools/hostile-data/make-cmyk-jpeg.py
"""
from pathlib import Path
from PIL import Image

root = Path(__file__).resolve().parents[2]
src = root / "tests/fixtures/rafdb/jpeg/face-420-100x100.jpg"
out = root / "tests/fixtures/hostile-data/cmyk-32x32.jpg"
img = Image.open(src).convert("RGB").resize((32, 32), Image.BILINEAR).convert("CMYK")
img.save(out, "JPEG", quality=75)
check = Image.open(out)
assert check.mode == "CMYK", check.mode
print(f"{out.relative_to(root)}: {out.stat().st_size} bytes, {check.size[0]}x{check.size[1]} {check.mode}")
