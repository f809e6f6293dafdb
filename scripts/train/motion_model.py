"""facecast motion model: log-mel tokens -> Controls, a causal transformer over 25 fps frames.

Token k holds the 8 log-mel frames (10 ms hop) up to the instant k * 40 ms: frames 4k-7 .. 4k.
Each of the `layers` blocks has temporal multi-head self-attention with a causal band mask
(a token sees itself and the `window - 1` tokens before it) and a learned relative-position
bias per head (initialised as ALiBi), then a feed-forward layer. The prediction for video frame
t is read at token t + DELAY (DELAY = 2): 80 ms of look-ahead, the most the design allows.

Two entry points share every weight:
  forward(tokens)                       training / reference: whole sequences with the band mask
  step(tokens, k_cache, v_cache, valid) streaming: n new tokens + a cache of the last `window`
                                        keys/values per layer. Exported to ONNX; the runtime uses
                                        it for both offline (large n) and streaming (small n), so
                                        the two modes compute the same function.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

N_MEL = 80
CTX = 8  # mel frames per token
HOP = 4  # mel frames per video frame
DELAY = 2  # tokens of look-ahead
N_BLEND = 52
N_OUT = 59  # 52 blendshapes + head pitch/yaw/roll + 4 gaze angles
MEL_SILENCE = math.log(1e-10)


def alibi_slopes(heads: int) -> torch.Tensor:
    return torch.tensor([2 ** (-8 * (h + 1) / heads) for h in range(heads)])


class Block(nn.Module):
    def __init__(self, d: int, heads: int, ffn: int, window: int, dropout: float):
        super().__init__()
        self.heads, self.dh, self.window = heads, d // heads, window
        self.norm1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.norm2 = nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, ffn), nn.GELU(), nn.Linear(ffn, d))
        self.drop = nn.Dropout(dropout)
        # Relative position: a learned per-head linear distance penalty (initialised as ALiBi).
        # Computed as slope * distance rather than looked up in a table: a Gather over
        # [heads, n, window + n] cost a third of the ONNX run time on CPU.
        self.slope = nn.Parameter(alibi_slopes(heads)[:, None, None].clone())  # [H, 1, 1]

    def _split(self, x):
        b, t, _ = x.shape
        q, k, v = self.qkv(x).split(self.heads * self.dh, dim=-1)
        shape = (b, t, self.heads, self.dh)
        return (q.view(shape).transpose(1, 2), k.view(shape).transpose(1, 2), v.view(shape).transpose(1, 2))

    def forward(self, x, dist, mask):
        """x: [B, T, d]; dist: [T, T] float distances; mask: [T, T] additive (0 / -inf)."""
        q, k, v = self._split(self.norm1(x))
        bias = mask - self.slope * dist  # [H, T, T]
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=bias[None])
        a = a.transpose(1, 2).reshape(x.shape)
        x = x + self.drop(self.proj(a))
        return x + self.drop(self.ff(self.norm2(x)))

    def step(self, x, k_cache, v_cache, dist, mask):
        """x: [1, n, d]; caches: [H, W, dh] (oldest first); dist/mask: [n, W + n].

        Returns the block output and the updated caches (the last W keys/values).
        """
        n = x.shape[1]
        q, k, v = self._split(self.norm1(x))  # [1, H, n, dh]
        keys = torch.cat([k_cache[None], k], dim=2)  # [1, H, W + n, dh]
        vals = torch.cat([v_cache[None], v], dim=2)
        bias = mask - self.slope * dist
        a = F.scaled_dot_product_attention(q, keys, vals, attn_mask=bias[None])
        a = a.transpose(1, 2).reshape(x.shape)
        x = x + self.proj(a)
        x = x + self.ff(self.norm2(x))
        return x, keys[0, :, n:], vals[0, :, n:]


class MotionNet(nn.Module):
    def __init__(self, d=64, heads=4, layers=4, ffn=256, window=48, dropout=0.1):
        super().__init__()
        self.config = dict(d=d, heads=heads, layers=layers, ffn=ffn, window=window)
        self.register_buffer("mel_mean", torch.zeros(N_MEL))
        self.register_buffer("mel_std", torch.ones(N_MEL))
        self.inp = nn.Sequential(nn.Linear(CTX * N_MEL, d), nn.GELU(), nn.Linear(d, d))
        self.blocks = nn.ModuleList([Block(d, heads, ffn, window, dropout) for _ in range(layers)])
        self.norm = nn.LayerNorm(d)
        self.out = nn.Linear(d, N_OUT)
        with torch.no_grad():
            self.out.bias.zero_()
            self.out.bias[:N_BLEND] = -3.0  # blendshapes start near rest (sigmoid(-3) = 0.05)

    def embed(self, tokens):
        """tokens: [B, T, CTX, N_MEL] raw log-mel -> [B, T, d]."""
        x = (tokens - self.mel_mean) / self.mel_std
        return self.inp(x.flatten(2))

    def head(self, x):
        y = self.out(self.norm(x))
        return torch.cat([torch.sigmoid(y[..., :N_BLEND]), y[..., N_BLEND:]], dim=-1)

    def forward(self, tokens):
        x = self.embed(tokens)
        t = x.shape[1]
        i = torch.arange(t, device=x.device)
        d = (i[:, None] - i[None, :]).float()
        mask = torch.zeros(t, t).masked_fill(~((d >= 0) & (d < self.config["window"])), float("-inf"))
        for block in self.blocks:
            x = block(x, d, mask)
        return self.head(x)

    def step(self, tokens, k_cache, v_cache, valid):
        """tokens: [1, n, CTX, N_MEL]; k/v_cache: [L, H, W, dh]; valid: [W]."""
        x = self.embed(tokens)
        n = tokens.shape[1]
        w = self.config["window"]
        i = torch.arange(n)
        j = torch.arange(w + n)
        d = (i[:, None] + w - j[None, :]).float()  # query i (absolute p+i) to key j
        key_valid = torch.cat([valid, torch.ones(n, dtype=valid.dtype)])
        allowed = (d >= 0) & (d < w) & (key_valid[None, :] > 0.5)
        mask = torch.zeros(n, w + n).masked_fill(~allowed, float("-inf"))
        ks, vs = [], []
        for li, block in enumerate(self.blocks):
            x, k, v = block.step(x, k_cache[li], v_cache[li], d, mask)
            ks.append(k)
            vs.append(v)
        valid_out = key_valid[n:]
        return self.head(x), torch.stack(ks), torch.stack(vs), valid_out

    def empty_state(self):
        c = self.config
        shape = (c["layers"], c["heads"], c["window"], c["d"] // c["heads"])
        return torch.zeros(shape), torch.zeros(shape), torch.zeros(c["window"])


def tokens_from_mel(mel: torch.Tensor, first_token: int, count: int) -> torch.Tensor:
    """Tokens first_token .. first_token+count-1 of a [M, 80] log-mel (silence outside it)."""
    lo = HOP * first_token - (CTX - 1)
    hi = HOP * (first_token + count - 1) + 1
    m = mel.shape[0]
    seg = torch.full((hi - lo, N_MEL), MEL_SILENCE, dtype=mel.dtype)
    a, b = max(lo, 0), min(hi, m)
    if b > a:
        seg[a - lo : b - lo] = mel[a:b]
    return seg.unfold(0, CTX, HOP).transpose(1, 2)  # [count, CTX, N_MEL]
