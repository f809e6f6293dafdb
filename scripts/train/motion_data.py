"""Loads motion training shards written by scripts/data/*.ts.

A shard directory holds, per shard NNN: mel-NNN.npy (mel frames x 80, the TypeScript
extractor's log-mel), targets-NNN.npy and mask-NNN.npy (video frames x 59, MOTION_OUTPUTS order)
and index-NNN.json (sessions with their offsets). Sessions never straddle shards.
"""

import glob
import json
import os

import numpy as np
import torch

from motion_model import DELAY, tokens_from_mel


class Session:
    __slots__ = ("mel", "targets", "mask", "meta")

    def __init__(self, mel, targets, mask, meta):
        self.mel, self.targets, self.mask, self.meta = mel, targets, mask, meta

    @property
    def frames(self):
        return self.targets.shape[0]


def load_sessions(directory: str):
    sessions = []
    for index_path in sorted(glob.glob(os.path.join(directory, "index-*.json"))):
        n = index_path[-8:-5]
        mel = np.load(os.path.join(directory, f"mel-{n}.npy"), mmap_mode="r")
        targets = np.load(os.path.join(directory, f"targets-{n}.npy"), mmap_mode="r")
        mask = np.load(os.path.join(directory, f"mask-{n}.npy"), mmap_mode="r")
        with open(index_path) as f:
            index = json.load(f)
        for s in index["sessions"]:
            ms, mf = s["melStart"], s["melFrames"]
            fs, ff = s["frameStart"], s["frames"]
            sessions.append(
                Session(
                    torch.from_numpy(np.array(mel[ms : ms + mf])),
                    torch.from_numpy(np.array(targets[fs : fs + ff])),
                    torch.from_numpy(np.array(mask[fs : fs + ff])),
                    s,
                )
            )
    return sessions


def sample_batch(sessions, weights, batch: int, tokens: int, rng: np.random.Generator):
    """Random crops: tokens [k0, k0+tokens) predict frames [k0-DELAY, ...).

    Returns tokens [B, T, 8, 80], targets [B, T, 59], mask [B, T, 59] aligned so that
    output position i is compared with frame k0 + i - DELAY (masked where it does not exist).
    """
    idx = rng.choice(len(sessions), size=batch, p=weights)
    xs, ys, ms = [], [], []
    for i in idx:
        s = sessions[i]
        last_token = s.frames - 1 + DELAY
        k0 = int(rng.integers(0, max(1, last_token - tokens + 2)))
        xs.append(tokens_from_mel(s.mel, k0, tokens))
        y = torch.zeros(tokens, s.targets.shape[1])
        m = torch.zeros(tokens, s.targets.shape[1])
        f0 = k0 - DELAY
        a, b = max(f0, 0), min(f0 + tokens, s.frames)
        if b > a:
            y[a - f0 : b - f0] = s.targets[a:b]
            m[a - f0 : b - f0] = s.mask[a:b]
        ys.append(y)
        ms.append(m)
    return torch.stack(xs), torch.stack(ys), torch.stack(ms)


def predict_session(model, session, chunk=None):
    """Model outputs for every frame of a session (reference path: full sequence)."""
    count = session.frames + DELAY
    tok = tokens_from_mel(session.mel, 0, count)[None]
    with torch.no_grad():
        y = model(tok)[0]
    return y[DELAY:]
