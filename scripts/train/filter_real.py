"""Keeps the real clips whose tracked jawOpen follows their own speech (a label-quality filter).

A real clip's targets are what the face tracker read from the footage; where the tracker's
jawOpen does not rise and fall with the speech level, the clip teaches the motion model the
tracker's noise (docs/stages/motion.md, the second and third 2.0 candidates). This writes a
copy of a real shard folder (scripts/data/shards.ts format) whose index lists only the
sessions of clips whose copy-0 session has Pearson r (lag 0) >= --min-r between the jawOpen
target and 20*log10(rms), over the frames where the jawOpen mask is set. The arrays are
hard-linked, not copied. Validation speakers are kept whatever their r (they are not trained on).

  python3 scripts/train/filter_real.py --data data/motion/real-b --out data/motion/real-f \
      --min-r 0.3 --keep talk_dinet_test19,talk_mimictalk_Trump_10s
"""

import argparse
import glob
import json
import os

import numpy as np

JAW = 17  # ARKit index of jawOpen (MOTION_OUTPUTS order starts with the 52 ARKit weights)


def clip_r(targets, mask, rms, start, frames):
    jaw = targets[start : start + frames, JAW]
    valid = mask[start : start + frames, JAW] > 0
    level = 20 * np.log10(np.maximum(rms[start : start + frames], 1e-6))
    if valid.sum() < 10:
        return float("nan")
    a, b = jaw[valid], level[valid]
    if a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--min-r", type=float, default=0.3)
    ap.add_argument("--keep", default="", help="speakers kept whatever their r (validation)")
    args = ap.parse_args()
    keep = set(filter(None, args.keep.split(",")))
    os.makedirs(args.out, exist_ok=True)
    shards = [os.path.basename(p)[len("index-") : -len(".json")]
              for p in sorted(glob.glob(os.path.join(args.data, "index-*.json")))]
    load = lambda name, n: np.load(os.path.join(args.data, f"{name}-{n}.npy"), mmap_mode="r")
    index_of = lambda n: json.load(open(os.path.join(args.data, f"index-{n}.json")))
    # First every clip's r (its copy-0 session may sit in any shard), then the filtered copies.
    report = {}
    for n in shards:
        targets, mask, rms = load("targets", n), load("mask", n), load("rms", n)
        for s in index_of(n)["sessions"]:
            if s["copy"] == 0:
                report[s["clip"]] = clip_r(targets, mask, rms, s["frameStart"], s["frames"])
    for n in shards:
        index = index_of(n)
        kept = [
            s
            for s in index["sessions"]
            if s["speaker"] in keep or report.get(s["clip"], float("nan")) >= args.min_r
        ]
        json.dump({**index, "sessions": kept}, open(os.path.join(args.out, f"index-{n}.json"), "w"))
        for path in glob.glob(os.path.join(args.data, f"*-{n}.npy")):
            target = os.path.join(args.out, os.path.basename(path))
            if not os.path.exists(target):
                os.link(path, target)
    kept_clips = sorted(c for c, r in report.items() if r >= args.min_r)
    print(json.dumps({"minR": args.min_r, "clips": len(report), "kept": len(kept_clips),
                      "r": {c: round(r, 3) for c, r in sorted(report.items())}}, indent=1))


if __name__ == "__main__":
    main()
